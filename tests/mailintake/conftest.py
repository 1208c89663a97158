"""A real IMAP server for the e-mail intake tests: Dovecot, started and stopped by the suite.

The session fixture writes its own minimal dovecot.conf in a temporary directory
(loopback only, a port in 8143-8149, plaintext login allowed, one test user
from a passwd-file, maildir storage, base and state directories in the same
temporary directory) and runs `dovecot -F -c dovecot.conf` (`tests.dovecot`, shared
with the Microsoft 365 tests). Without Dovecot the IMAP tests are skipped locally
with the reason, and fail in CI (env CI set).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

import pytest
from imap_tools import MailBoxUnencrypted

from tests import dovecot as dovecot_process

CORPUS = Path(__file__).parent / "corpus"
PORTS = range(8143, 8150)
USER = "klachten"
PASSWORD = "imap-test-geheim"
INTAKE_ADDRESS = "klachten@imk.example"


@dataclass(frozen=True)
class Dovecot:
    host: str
    port: int
    user: str
    password: str
    log: Path

    def mailbox(self) -> MailBoxUnencrypted:
        return MailBoxUnencrypted(self.host, self.port, timeout=30).login(self.user, self.password)


def _free_port() -> int | None:
    for port in PORTS:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return None


def _config(version: tuple[int, ...], *, directory: dovecot_process.Root, port: int) -> str:
    """dovecot.conf for 2.3 (Debian 12) or the 2.4 syntax (Debian 13)."""
    as_user = directory.as_user()
    root, uid, gid = directory.path, directory.uid, directory.gid
    common_services = f"""
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
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
service submission-login {{
  chroot =
}}
"""
    if version >= (2, 4):
        return f"""dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = klachtbeheer-test-{port}
log_path = {root}/dovecot.log
ssl = no
auth_allow_cleartext = yes
auth_mechanisms = plain login
first_valid_uid = 1
mail_uid = {uid}
mail_gid = {gid}
mail_home = {root}/mail/%{{user}}
mail_driver = maildir
mail_path = ~/Maildir
{as_user}
namespace inbox {{
  inbox = yes
  separator = /
}}
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
{common_services}"""
    return f"""protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = klachtbeheer-test-{port}
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_uid = {uid}
mail_gid = {gid}
mail_location = maildir:{root}/mail/%u/Maildir
{as_user}
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
{common_services}"""


@pytest.fixture(scope="session")
def dovecot():
    binary = dovecot_process.binary()
    version = dovecot_process.version(binary)
    port = _free_port()
    if port is None:
        dovecot_process.unavailable("no free port in 8143-8149")
    root = dovecot_process.make_root("kb-dovecot-")
    (root.path / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    server = Dovecot("127.0.0.1", port, USER, PASSWORD, root.log)
    config = _config(version, directory=root, port=port)
    with dovecot_process.running(binary, root, config, {port: b"* OK"}):
        with server.mailbox():
            pass  # the test user can log in
        yield server


@pytest.fixture
def imap(dovecot, settings):
    """An empty intake mailbox, and the settings that make the intake read it."""
    with dovecot.mailbox() as mailbox:
        for folder in mailbox.folder.list():
            mailbox.folder.set(folder.name)
            uids = mailbox.uids("ALL")
            if uids:
                mailbox.delete(uids)
        mailbox.folder.set("INBOX")
    settings.MAILINTAKE_IMAP_HOST = dovecot.host
    settings.MAILINTAKE_IMAP_PORT = dovecot.port
    settings.MAILINTAKE_IMAP_USER = dovecot.user
    settings.MAILINTAKE_IMAP_PASSWORD = dovecot.password
    settings.MAILINTAKE_IMAP_FOLDER = "INBOX"
    settings.MAILINTAKE_IMAP_TLS = False
    settings.MAILINTAKE_IMAP_STARTTLS = False
    settings.MAILINTAKE_IMAP_PROCESSED = "seen"
    settings.MAILINTAKE_ADDRESS = INTAKE_ADDRESS
    return dovecot


@pytest.fixture(autouse=True)
def _intake_address(settings):
    settings.MAILINTAKE_ADDRESS = INTAKE_ADDRESS


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()
