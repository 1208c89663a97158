"""A real IMAP server for the e-mail intake tests: Dovecot, started and stopped by the suite.

The session fixture writes its own minimal dovecot.conf in a temporary directory
(loopback only, a port in 8143-8149, plaintext login allowed, one test user
from a passwd-file, maildir storage, base and state directories in the same
temporary directory) and runs `dovecot -F -c dovecot.conf`. Without Dovecot the
IMAP tests are skipped locally with the reason, and fail in CI (env CI set).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from imap_tools import MailBoxUnencrypted

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


def _dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.path.exists(p)), None
    )


def _free_port() -> int | None:
    for port in PORTS:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return None


def _config(version: tuple[int, ...], *, root: Path, port: int, uid: int, gid: int, login: str):
    """dovecot.conf for 2.3 (Debian 12) or the 2.4 syntax (Debian 13)."""
    as_user = "" if os.getuid() == 0 else (
        f"default_login_user = {login}\ndefault_internal_user = {login}\n"
        f"default_internal_group = {login}\n"
    )  # fmt: skip
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


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"Dovecot is needed for the IMAP tests in CI: {reason}", pytrace=False)
    pytest.skip(f"IMAP tests need Dovecot (apt-get install dovecot-imapd): {reason}")


@pytest.fixture(scope="session")
def dovecot():
    binary = _dovecot_binary()
    if binary is None:
        _unavailable("the dovecot binary is not installed")
    version_text = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, check=False
    ).stdout
    version = tuple(int(n) for n in re.findall(r"\d+", version_text)[:2]) or (2, 3)
    port = _free_port()
    if port is None:
        _unavailable("no free port in 8143-8149")
    root = Path(tempfile.mkdtemp(prefix="kb-dovecot-"))
    # Dovecot drops to the mail user; it must be able to reach the temporary directory.
    root.chmod(0o755)
    if os.getuid() == 0:
        account = pwd.getpwnam("dovecot")
        uid, gid, login = account.pw_uid, account.pw_gid, account.pw_name
    else:
        uid, gid, login = os.getuid(), os.getgid(), pwd.getpwuid(os.getuid()).pw_name
    for name in ("run", "state", "mail"):
        (root / name).mkdir()
    os.chown(root / "mail", uid, gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    conf = root / "dovecot.conf"
    conf.write_text(_config(version, root=root, port=port, uid=uid, gid=gid, login=login))
    process = subprocess.Popen(
        [binary, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    server = Dovecot("127.0.0.1", port, USER, PASSWORD, root / "dovecot.log")
    try:
        deadline = time.monotonic() + 15
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                log = server.log.read_text() if server.log.exists() else ""
                _unavailable(f"dovecot exited with {process.returncode}: {output} {log}".strip())
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", port), timeout=1) as sock,
            ):
                if sock.recv(100).startswith(b"* OK"):
                    break
            if time.monotonic() > deadline:
                _unavailable("dovecot did not answer within 15 seconds")
            time.sleep(0.1)
        with server.mailbox():
            pass  # the test user can log in
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


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
