"""Microsoft 365 mail, end to end on loopback: a real Dovecot that accepts only OAuth2 tokens.

The session starts, in this order:

1. the authorization server of `authserver.py` (token endpoint + introspection),
2. an aiosmtpd server that the submission service relays to (what "the internet"
   receives, recorded),
3. Dovecot (the suite's binary, its own temporary configuration, run by
   `tests.dovecot`) with IMAP and its SMTP submission service
   (`dovecot-submissiond`), both taking SASL XOAUTH2 checked by Dovecot's oauth2
   passdb against the introspection endpoint over HTTP. A password login for the
   test user exists only to put messages in the mailbox and to prove that XOAUTH2
   is what the application uses.

Without Dovecot (or its submission service) the tests are skipped locally with the
reason, and fail in CI, as the IMAP tests of the mail intake do.
"""

from __future__ import annotations

import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from imap_tools import MailBoxUnencrypted

from klachtbeheer.core import oauth2
from tests import dovecot as dovecot_process
from tests.letters.conftest import Recorder
from tests.mailoauth2.authserver import CLIENT_ID, CLIENT_SECRET, SCOPE, AuthorizationServer

USER = "klachten@imk.example"
PASSWORD = "alleen-om-te-vullen"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class OAuthMail:
    auth: AuthorizationServer
    relay: Recorder
    imap_port: int
    submission_port: int
    log: Path

    def mailbox(self) -> MailBoxUnencrypted:
        """The test user's mailbox by password (to put messages in and look)."""
        return MailBoxUnencrypted("127.0.0.1", self.imap_port, timeout=30).login(USER, PASSWORD)


def _oauth2_settings(auth: AuthorizationServer, *, prefix: str = "") -> str:
    """Introspect every token (RFC 7662, POST, with Basic credentials in the URL); the answer's
    `username` must be the user named in the XOAUTH2 response, and `active` true."""
    return "\n".join(
        f"{prefix}{line}"
        for line in [
            "introspection_mode = post",
            f"introspection_url = {auth.introspection_url}",
            "force_introspection = yes",
            "username_attribute = username",
            "active_attribute = active",
            "active_value = true",
        ]
    )


def _config(
    version: tuple[int, ...],
    *,
    directory: dovecot_process.Root,
    auth: AuthorizationServer,
    imap_port: int,
    submission_port: int,
    relay_port: int,
) -> str:
    """dovecot.conf for 2.3 (Debian 12: what this machine and CI run) or the 2.4 syntax
    (Debian 13; written from its documentation, not run here)."""
    as_user = directory.as_user()
    root, uid, gid = directory.path, directory.uid, directory.gid
    services = f"""
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service submission-login {{
  inet_listener submission {{
    address = 127.0.0.1
    port = {submission_port}
  }}
  inet_listener submissions {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service pop3-login {{
  chroot =
}}
"""
    common = f"""protocols = imap submission
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = klachtbeheer-oauth2-{imap_port}
log_path = {root}/dovecot.log
ssl = no
hostname = mail.imk.example
first_valid_uid = 1
mail_uid = {uid}
mail_gid = {gid}
submission_relay_host = 127.0.0.1
submission_relay_port = {relay_port}
{as_user}
namespace inbox {{
  inbox = yes
  separator = /
}}
"""
    if version >= (2, 4):
        # 2.4: the XOAUTH2 mechanism introspects by the oauth2_* settings, without a passdb.
        oauth2_lines = _oauth2_settings(auth, prefix="oauth2_")
        return f"""dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
{common}
auth_allow_cleartext = yes
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
mail_home = {root}/mail/%{{user}}
mail_driver = maildir
mail_path = ~/Maildir
{oauth2_lines}
passdb passwd-file {{
  passwd_file_path = {root}/passwd
  default_password_scheme = PLAIN
}}
userdb static {{
  fields {{
    uid = {uid}
    gid = {gid}
    home = {root}/mail/%{{user}}
  }}
}}
{services}"""
    (root / "oauth2.conf.ext").write_text(_oauth2_settings(auth) + "\n")
    return f"""{common}
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
mail_location = maildir:{root}/mail/%u/Maildir
# No growing wait after the refusals the tests cause on purpose (the auth penalty):
# every request from loopback gets the field nodelay, and is then judged by the others.
passdb {{
  driver = passwd-file
  args = username_format=%{{rip}} {root}/nodelay
  default_fields = noauthenticate=y
}}
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/oauth2.conf.ext
}}
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
{services}"""


@pytest.fixture(scope="session")
def oauth_mail():
    binary = dovecot_process.binary()
    libexec = Path(binary).resolve().parent.parent / "lib" / "dovecot"
    if not (libexec / "submission").exists() and not shutil.which("submission"):
        dovecot_process.unavailable(
            "Dovecot's submission service is not installed (apt-get install dovecot-submissiond)"
        )
    version = dovecot_process.version(binary)

    auth = AuthorizationServer(mailboxes=(USER,))
    auth.start()
    relay = Recorder()
    relay_port = free_port()
    controller = Controller(relay, hostname="127.0.0.1", port=relay_port)
    controller.start()
    try:
        root = dovecot_process.make_root("kb-dovecot-oauth2-")
        (root.path / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        (root.path / "nodelay").write_text("127.0.0.1:::::::nodelay=y\n")
        imap_port, submission_port = free_port(), free_port()
        config = _config(
            version,
            directory=root,
            auth=auth,
            imap_port=imap_port,
            submission_port=submission_port,
            relay_port=relay_port,
        )
        server = OAuthMail(auth, relay, imap_port, submission_port, root.log)
        greetings = {imap_port: b"* OK", submission_port: b"220"}
        with dovecot_process.running(binary, root, config, greetings):
            with server.mailbox():
                pass
            yield server
    finally:
        controller.stop()
        auth.stop()


@pytest.fixture
def m365(oauth_mail, settings):
    """Settings as for Microsoft 365, pointed at the loopback servers; nothing kept from before."""
    server = oauth_mail
    server.auth.reset()
    server.relay.accepted.clear()
    oauth2.forget_tokens()
    with server.mailbox() as mailbox:
        uids = mailbox.uids("ALL")
        if uids:
            mailbox.delete(uids)
    settings.MAIL_OAUTH2_TENANT = ""
    settings.MAIL_OAUTH2_TOKEN_URL = server.auth.token_url
    settings.MAIL_OAUTH2_CLIENT_ID = CLIENT_ID
    settings.MAIL_OAUTH2_CLIENT_SECRET = CLIENT_SECRET
    settings.MAIL_OAUTH2_SCOPE = SCOPE
    settings.MAIL_OAUTH2_CLIENT_AUTH = "client_secret_post"
    settings.MAIL_OAUTH2_REFRESH_BEFORE_SECONDS = 300
    settings.MAIL_OAUTH2_TIMEOUT = 10
    settings.MAILINTAKE_IMAP_HOST = "127.0.0.1"
    settings.MAILINTAKE_IMAP_PORT = server.imap_port
    settings.MAILINTAKE_IMAP_USER = USER
    settings.MAILINTAKE_IMAP_PASSWORD = ""
    settings.MAILINTAKE_IMAP_AUTH = "oauth2"
    settings.MAILINTAKE_IMAP_FOLDER = "INBOX"
    settings.MAILINTAKE_IMAP_TLS = False
    settings.MAILINTAKE_IMAP_STARTTLS = False
    settings.MAILINTAKE_IMAP_PROCESSED = "seen"
    settings.MAILINTAKE_ADDRESS = USER
    settings.EMAIL_AUTH = "oauth2"
    settings.MAILERS = {
        "default": {
            "BACKEND": "klachtbeheer.core.mailbackend.OAuth2EmailBackend",
            "OPTIONS": {
                "host": "127.0.0.1",
                "port": server.submission_port,
                "username": USER,
                "timeout": 10,
            },
        }
    }
    settings.DEFAULT_FROM_EMAIL = f"IMK Klachten <{USER}>"
    yield server
    oauth2.forget_tokens()
