"""A small OAuth2 authorization server on loopback, for the Microsoft 365 mail tests.

It plays Entra ID's part: `POST /token` gives an access token for the client
credentials grant (RFC 6749 4.4; client id and secret in the form or as HTTP
Basic), and `POST /introspect` (RFC 7662, for the mail server, with its own
Basic credentials) says whether a token is active and which mailbox it is for,
as Exchange knows which mailboxes an app may use. Tokens can be revoked, and the
server counts what it was asked, so the tests see how often a token was fetched.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote

CLIENT_ID = "8d1c2f3a-klachtbeheer-test"
CLIENT_SECRET = "Zq8~test-client-secret-do-not-log"
SCOPE = "https://outlook.office365.com/.default"
INTROSPECTION_USER = "dovecot"
INTROSPECTION_PASSWORD = "introspectie-geheim"


@dataclass
class Issued:
    client_id: str
    scope: str
    mailboxes: tuple[str, ...]


@dataclass
class AuthorizationServer:
    mailboxes: tuple[str, ...]  # the mailboxes the test client may use
    expires_in: int = 3600
    tokens: dict[str, Issued] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)  # without the secret
    introspections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def token_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tenant-test/oauth2/v2.0/token"

    @property
    def introspection_url(self) -> str:
        return (
            f"http://{INTROSPECTION_USER}:{INTROSPECTION_PASSWORD}@127.0.0.1:{self.port}/introspect"
        )

    def start(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def reset(self) -> None:
        with self.lock:
            self.tokens.clear()
            self.token_requests.clear()
            self.introspections = 0
            self.expires_in = 3600

    def revoke_all(self) -> None:
        with self.lock:
            self.tokens.clear()

    # --- the endpoints -------------------------------------------------------------

    def issue(self, form: dict[str, str], basic: tuple[str, str] | None) -> tuple[int, dict]:
        client_id, client_secret = basic or (form.get("client_id", ""), form.get("client_secret"))
        with self.lock:
            self.token_requests.append(
                {
                    "grant_type": form.get("grant_type", ""),
                    "client_id": client_id,
                    "scope": form.get("scope", ""),
                    "client_auth": "basic" if basic else "post",
                }
            )
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        if client_id != CLIENT_ID or not secrets.compare_digest(
            (client_secret or "").encode(), CLIENT_SECRET.encode()
        ):
            return 401, {
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided.",
            }
        if form.get("scope") != SCOPE:
            return 400, {"error": "invalid_scope", "error_description": "AADSTS70011: bad scope."}
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = Issued(client_id, SCOPE, self.mailboxes)
        return 200, {"token_type": "Bearer", "expires_in": self.expires_in, "access_token": token}

    def introspect(self, form: dict[str, str], basic: tuple[str, str] | None) -> tuple[int, dict]:
        if basic != (INTROSPECTION_USER, INTROSPECTION_PASSWORD):
            return 401, {"error": "invalid_client"}
        with self.lock:
            self.introspections += 1
            issued = self.tokens.get(form.get("token", ""))
        if issued is None:
            return 200, {"active": False}
        return 200, {
            "active": True,
            "client_id": issued.client_id,
            "scope": issued.scope,
            # Dovecot compares this with the user named in the XOAUTH2 response.
            "username": issued.mailboxes[0],
        }


def _handler_for(server: AuthorizationServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _basic(self) -> tuple[str, str] | None:
            header = self.headers.get("Authorization", "")
            if not header.lower().startswith("basic "):
                return None
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            return unquote(user), unquote(password)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            form = {key: values[0] for key, values in parse_qs(body).items()}
            if self.path.endswith("/oauth2/v2.0/token"):
                status, answer = server.issue(form, self._basic())
            elif self.path == "/introspect":
                status, answer = server.introspect(form, self._basic())
            else:
                status, answer = 404, {"error": "not_found"}
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler
