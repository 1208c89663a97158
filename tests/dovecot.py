"""Starting and stopping a real Dovecot for the mail tests, in one place.

The IMAP tests of the mail intake (`tests/mailintake/conftest.py`) and the
Microsoft 365 tests with XOAUTH2 (`tests/mailoauth2/conftest.py`) each write
their own dovecot.conf; what they share is here: finding the binary and its
version, a temporary directory Dovecot may enter as its mail user, the lines
that let it run as the current user, and running `dovecot -F -c dovecot.conf`
until its services greet, then stopping it. Without Dovecot the tests are
skipped locally with the reason, and fail in CI (env CI set).
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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

GREETING_SECONDS = 15


def unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"Dovecot is needed for the IMAP tests in CI: {reason}", pytrace=False)
    pytest.skip(f"IMAP tests need Dovecot (apt-get install dovecot-imapd): {reason}")


def binary() -> str:
    """The dovecot binary; skips (or fails in CI) without one."""
    found = shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.path.exists(p)), None
    )
    if found is None:
        unavailable("the dovecot binary is not installed")
    return found


def version(dovecot: str) -> tuple[int, ...]:
    """(2, 3) on Debian 12, (2, 4) on Debian 13: the configuration syntax differs."""
    text = subprocess.run([dovecot, "--version"], capture_output=True, text=True, check=False)
    return tuple(int(n) for n in re.findall(r"\d+", text.stdout)[:2]) or (2, 3)


@dataclass(frozen=True)
class Root:
    """A temporary directory for one Dovecot: run/, state/, mail/, and who owns the mail."""

    path: Path
    uid: int
    gid: int
    login: str

    @property
    def log(self) -> Path:
        return self.path / "dovecot.log"

    def as_user(self) -> str:
        """Settings that let an unprivileged user run Dovecot (none are needed as root)."""
        if os.getuid() == 0:
            return ""
        return (
            f"default_login_user = {self.login}\ndefault_internal_user = {self.login}\n"
            f"default_internal_group = {self.login}\n"
        )


def make_root(prefix: str) -> Root:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    # Dovecot drops to the mail user; it must be able to reach the temporary directory.
    path.chmod(0o755)
    if os.getuid() == 0:
        account = pwd.getpwnam("dovecot")
        uid, gid, login = account.pw_uid, account.pw_gid, account.pw_name
    else:
        uid, gid, login = os.getuid(), os.getgid(), pwd.getpwuid(os.getuid()).pw_name
    for name in ("run", "state", "mail"):
        (path / name).mkdir()
    os.chown(path / "mail", uid, gid)
    return Root(path, uid, gid, login)


def _wait_for_greeting(port: int, greeting: bytes, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + GREETING_SECONDS
    while True:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            text = log.read_text() if log.exists() else ""
            unavailable(f"dovecot exited with {process.returncode}: {output} {text}".strip())
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), timeout=1) as sock,
        ):
            if sock.recv(100).startswith(greeting):
                return
        if time.monotonic() > deadline:
            unavailable(f"dovecot did not answer on port {port} within {GREETING_SECONDS} seconds")
        time.sleep(0.1)


@contextlib.contextmanager
def running(dovecot: str, root: Root, config: str, greetings: dict[int, bytes]) -> Iterator[None]:
    """Dovecot with `config` until the block ends, once every port in `greetings` greets with
    its bytes (`* OK` for IMAP, `220` for submission); the directory is removed afterwards."""
    conf = root.path / "dovecot.conf"
    conf.write_text(config)
    process = subprocess.Popen(
        [dovecot, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        for port, greeting in greetings.items():
            _wait_for_greeting(port, greeting, process, root.log)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root.path, ignore_errors=True)
