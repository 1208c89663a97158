"""Helpers for the production tests: real processes (`klachtbeheer serve`, `worker`)."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.mailintake.conftest import dovecot  # noqa: F401 - the suite's Dovecot, for the load

KLACHTBEHEER = str(Path(sys.executable).parent / "klachtbeheer")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """A complete production configuration on loopback (SQLite unless DATABASE_URL is given)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("MAILINTAKE_", "EMAIL_", "MAIL_OAUTH2_", "WEB_", "PROMETHEUS_", "DATABASE_URL")
        )
    }
    env.update(
        {
            "KLACHTBEHEER_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "klachten.example.nl,127.0.0.1",
            "CSRF_TRUSTED_ORIGINS": "https://klachten.example.nl",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": "8025",
            "KLACHTBEHEER_DATA_DIR": str(data_dir),
            "DATABASE_URL": f"sqlite:///{data_dir / 'klachtbeheer.sqlite3'}",
        }
    )
    env.update(extra)
    return env


def run(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [KLACHTBEHEER, *args], env=env, capture_output=True, text=True, timeout=timeout
    )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def get(url: str, headers: dict[str, str] | None = None, timeout: float = 10, data=None):
    """(status, headers, body) without raising on 4xx/5xx or following redirects."""
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError):
            status, _, _ = get(url, timeout=2)
            if status == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"{url} never answered:\n{log.read_text()}")


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory) -> Path:
    """`collectstatic` once for every production test (hashing and compressing takes a while)."""
    root = tmp_path_factory.mktemp("static")
    env = production_env(tmp_path_factory.mktemp("collect"), STATIC_ROOT=str(root))
    done = run("collectstatic", "--noinput", "-v0", env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    return root


def hashed_static(root: Path, name: str) -> str:
    import json

    return json.loads((root / "staticfiles.json").read_text())["paths"][name]


# --- a throw-away PostgreSQL cluster of our own (it is restarted by the tests) ---------


class PostgresCluster:
    """initdb + pg_ctl in a temporary directory on a free loopback port, as user postgres.

    Never the shared server: a test that restarts a database restarts only this one.
    """

    def __init__(self):
        import shutil
        import tempfile

        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=_version)
        if not versions:
            pytest.skip("needs PostgreSQL's server programs (apt-get install postgresql)")
        self.bin = versions[-1].parent
        self.root = Path(tempfile.mkdtemp(prefix="kb_prod_pg_"))
        self.data, self.sockets = self.root / "data", self.root / "sockets"
        self.sockets.mkdir()
        self.port = free_port()
        self.as_user = [] if os.getuid() != 0 else ["runuser", "-u", "postgres", "--"]
        if self.as_user:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sockets, "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip
        self.start()

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self.as_user, *args], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
                  "-l", str(self.root / "server.log"), "-w", "start")  # fmt: skip

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def createdb(self, name: str) -> str:
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", "postgres", name)  # fmt: skip
        return self.url(name)

    def remove(self) -> None:
        import shutil

        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                          "-w", "stop")  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)


def _version(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in path.parent.parent.name.split(".") if part.isdigit())


@pytest.fixture
def postgres_cluster():
    cluster = PostgresCluster()
    try:
        yield cluster
    finally:
        cluster.remove()
