"""Access tokens for the mailboxes: OAuth2 client credentials (RFC 6749 section 4.4).

Microsoft 365 / Exchange Online accepts no password for IMAP or SMTP from an
application; it wants SASL XOAUTH2 with an access token that the application
gets from Entra ID's token endpoint with its client id and secret. The intake
mailbox (`mailintake.imap`) and outgoing mail (`core.mailbackend`) both ask
`access_token()` here.

The request itself is Authlib's (client authentication, the form, the JSON
answer and its errors); this module keeps the token in the process until
`MAIL_OAUTH2_REFRESH_BEFORE_SECONDS` before it expires (by the project's clock),
then fetches a new one. A token that the mail server refuses is dropped
(`invalidate`), so the next login fetches a fresh one.

Each fetch is recorded in the beacon `mail.oauth2` (ok, or the endpoint's error
code and description), which /readyz shows. The client secret and the tokens
never appear in a log line, an exception message or the beacon.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from klachtbeheer.core import clock
from klachtbeheer.core.beacons import MAIL_OAUTH2, beacon_set
from klachtbeheer.core.mailauth import oauth2_problems, token_url_for

logger = logging.getLogger(__name__)

_DESCRIPTION_LIMIT = 300


class TokenError(Exception):
    """The token endpoint gave no token: refused (`error` from RFC 6749 5.2) or unreachable."""

    def __init__(self, error: str, description: str, *, endpoint: str):
        self.error = error
        self.description = description
        self.endpoint = endpoint
        super().__init__(
            f"The OAuth2 token endpoint {endpoint} gave no access token: {error}"
            + (f" ({description})" if description else "")
            + ". Check MAIL_OAUTH2_CLIENT_ID, MAIL_OAUTH2_CLIENT_SECRET, MAIL_OAUTH2_SCOPE "
            "and MAIL_OAUTH2_TOKEN_URL (docs/deployment.md, Microsoft 365)."
        )


@dataclass(frozen=True)
class OAuth2Config:
    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scope: str
    client_auth: str = "client_secret_post"
    refresh_before_seconds: float = 300.0
    timeout: float = 30.0

    @classmethod
    def from_settings(cls) -> OAuth2Config:
        return cls(
            token_url=token_url_for(
                token_url=settings.MAIL_OAUTH2_TOKEN_URL, tenant=settings.MAIL_OAUTH2_TENANT
            ),
            client_id=settings.MAIL_OAUTH2_CLIENT_ID,
            client_secret=settings.MAIL_OAUTH2_CLIENT_SECRET,
            scope=settings.MAIL_OAUTH2_SCOPE,
            client_auth=settings.MAIL_OAUTH2_CLIENT_AUTH,
            refresh_before_seconds=settings.MAIL_OAUTH2_REFRESH_BEFORE_SECONDS,
            timeout=settings.MAIL_OAUTH2_TIMEOUT,
        )

    @property
    def endpoint(self) -> str:
        """The token endpoint's host, for messages (the path holds only the tenant)."""
        return urlsplit(self.token_url).netloc or "(MAIL_OAUTH2_TOKEN_URL not set)"

    def check(self, *, imap_user: str = "-", smtp_user: str = "-") -> None:
        """Raise ImproperlyConfigured when a token cannot be asked for (core.mailauth's rule)."""
        problems = oauth2_problems(
            imap_auth="oauth2",
            imap_user=imap_user,
            smtp_auth="oauth2",
            smtp_user=smtp_user,
            token_url=self.token_url,
            client_id=self.client_id,
            client_secret=self.client_secret,
            scope=self.scope,
            client_auth=self.client_auth,
        )
        if problems:
            raise ImproperlyConfigured(" ".join(message for message, _hint in problems))


@dataclass(frozen=True)
class AccessToken:
    value: str = field(repr=False)
    renew_at: dt.datetime


class TokenClient:
    """One OAuth2 client's token, kept until shortly before it expires; safe across threads."""

    def __init__(self, config: OAuth2Config):
        self.config = config
        self._token: AccessToken | None = None
        self._lock = threading.Lock()
        self.fetches = 0

    def token(self) -> str:
        with self._lock:
            if self._token is None or clock.now() >= self._token.renew_at:
                self._token = self._fetch()
            return self._token.value

    def invalidate(self, value: str) -> None:
        """The mail server refused `value` (revoked, say): the next `token()` fetches anew."""
        with self._lock:
            if self._token is not None and self._token.value == value:
                self._token = None

    def _redact(self, text: str) -> str:
        text = " ".join(str(text).split())
        if self.config.client_secret:
            text = text.replace(self.config.client_secret, "***")
        return text[:_DESCRIPTION_LIMIT]

    def _fetch(self) -> AccessToken:
        config = self.config
        config.check()
        started = clock.now()
        self.fetches += 1
        try:
            with OAuth2Session(
                client_id=config.client_id,
                client_secret=config.client_secret,
                scope=config.scope,
                token_endpoint_auth_method=config.client_auth,
            ) as session:
                answer = session.fetch_token(
                    config.token_url, grant_type="client_credentials", timeout=config.timeout
                )
            value = answer.get("access_token")
            if not value:
                raise TokenError("no_access_token", "", endpoint=config.endpoint)
            if str(answer.get("token_type", "bearer")).lower() != "bearer":
                raise TokenError(
                    "unsupported_token_type",
                    self._redact(answer.get("token_type")),
                    endpoint=config.endpoint,
                )
        except AuthlibBaseError as error:
            failure = TokenError(
                self._redact(error.error or "oauth_error"),
                self._redact(error.description or ""),
                endpoint=config.endpoint,
            )
            self._record_failure(failure)
            raise failure from None
        except requests.RequestException as error:
            status = getattr(error.response, "status_code", None)
            failure = TokenError(
                f"http_{status}" if status else type(error).__name__,
                "" if status else "the token endpoint could not be reached",
                endpoint=config.endpoint,
            )
            self._record_failure(failure)
            raise failure from None
        except TokenError as failure:
            self._record_failure(failure)
            raise
        lifetime = _seconds(answer.get("expires_in"), default=3600.0)
        margin = min(config.refresh_before_seconds, lifetime / 2)
        renew_at = started + dt.timedelta(seconds=lifetime - margin)
        beacon_set(MAIL_OAUTH2, ok=True, endpoint=config.endpoint, expires_in=lifetime)
        logger.info(
            "OAuth2 access token from %s, valid %ss, renewed after %ss",
            config.endpoint,
            round(lifetime),
            round(lifetime - margin),
        )
        return AccessToken(value=value, renew_at=renew_at)

    def _record_failure(self, failure: TokenError) -> None:
        logger.error("%s", failure)
        beacon_set(
            MAIL_OAUTH2,
            ok=False,
            endpoint=failure.endpoint,
            error=failure.error,
            description=failure.description,
        )


def _seconds(value, *, default: float) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return default
    return seconds if seconds > 0 else default


_clients: dict[OAuth2Config, TokenClient] = {}
_clients_lock = threading.Lock()


def token_client(config: OAuth2Config | None = None) -> TokenClient:
    """This process's client for `config` (the settings' by default): one cache per client."""
    config = config or OAuth2Config.from_settings()
    with _clients_lock:
        client = _clients.get(config)
        if client is None:
            client = _clients[config] = TokenClient(config)
        return client


def forget_tokens() -> None:
    """Drop every kept token (tests; a changed configuration)."""
    with _clients_lock:
        _clients.clear()


def xoauth2_response(user: str, token: str):
    """The SASL XOAUTH2 client response, as a callable for imaplib's and smtplib's `authenticate`.

    First call: `user=…^Aauth=Bearer …^A^A`. When the server answers with its JSON error
    as a challenge, the empty response that ends the exchange (so the server says no).
    """
    sent = False

    def respond(challenge=None) -> str:
        nonlocal sent
        if sent:
            return ""
        sent = True
        return f"user={user}\x01auth=Bearer {token}\x01\x01"

    return respond
