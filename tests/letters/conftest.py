"""Fixtures for the letters tests: a real SMTP server (aiosmtpd) and a worker process.

The SMTP server listens on a loopback port in 8025-8029 and records what it
accepts; it can refuse (4xx), be stopped and started again on the same port,
and hold one message until the test says so (to kill a worker mid-send).
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import fcntl
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

SMTP_PORTS = range(8025, 8030)


@contextlib.contextmanager
def _claimed_port():
    """A port in 8025-8029 that no other test run on this machine uses meanwhile.

    A stopped server must mean "connection refused", never another run's server
    on the same port, so each run holds a lock file for its port while it uses it.
    """
    for port in SMTP_PORTS:
        lock = (Path(tempfile.gettempdir()) / f"klachtbeheer-test-smtp-{port}.lock").open("w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # As the server will: a port with connections in TIME_WAIT is free to listen on.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                lock.close()
                continue
        try:
            yield port
        finally:
            lock.close()
        return
    raise RuntimeError("no free port in 8025-8029 for the test SMTP server")


@dataclass
class Recorder:
    """The aiosmtpd handler: keeps every message it accepted, as bytes."""

    accepted: list[bytes] = field(default_factory=list)
    refuse_with: str | None = None  # e.g. "451 4.3.0 Try again later"
    hold_data_number: int | None = None  # the n-th DATA waits for `release`
    data_seen: int = 0
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    dropped: threading.Event = field(default_factory=threading.Event)  # held client went away
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.data_seen += 1
            number = self.data_seen
        if self.refuse_with:
            return self.refuse_with
        if number == self.hold_data_number:
            self.holding.set()
            # Like a real MTA: a message whose client is gone before the reply is not taken
            # (aiosmtpd cancels this handler when the connection is lost).
            try:
                while not self.release.is_set():
                    if server.transport is None or server.transport.is_closing():
                        self.dropped.set()
                        return "421 4.4.2 Connection lost"
                    await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                self.dropped.set()
                raise
        self.accepted.append(envelope.content)
        return "250 2.0.0 OK"

    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(raw, policy=email.policy.default) for raw in self.accepted]

    def message_ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages()]

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.accepted) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(self.accepted)} of {count} messages arrived")
            time.sleep(0.05)


class SmtpServer:
    def __init__(self, port: int):
        self.port = port
        self.recorder = Recorder()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def mailer(self) -> dict:
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 5},
            }
        }


@pytest.fixture
def smtp_port():
    with _claimed_port() as port:
        yield port


@pytest.fixture
def smtp_server(smtp_port):
    """The test SMTP server, not started yet (its port reserved)."""
    server = SmtpServer(smtp_port)
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server, settings):
    """A running SMTP server; Django sends to it (MAILERS), with quick retries."""
    server = smtp_server
    server.start()
    settings.MAILERS = server.mailer
    settings.DEFAULT_FROM_EMAIL = "IMK Klachten <klachten@imk.example>"
    settings.LETTERS_RETRY_BASE_SECONDS = 0
    settings.LETTERS_RETRY_MAX_SECONDS = 0
    yield server


# --- a worker process on the test database --------------------------------------


@dataclass
class SharedDatabase:
    """The test database, reachable from another process (PostgreSQL as is, SQLite as a file)."""

    url: str
    push: callable
    pull: callable


@pytest.fixture
def shared_database(transactional_db, tmp_path) -> SharedDatabase:
    if connection.vendor == "sqlite":
        # The test database lives in memory: copy it to a file for the worker and back.
        path = tmp_path / "worker.sqlite3"

        def push():
            connection.ensure_connection()
            target = sqlite3.connect(path)
            connection.connection.backup(target)
            target.close()

        def pull():
            connection.ensure_connection()
            source = sqlite3.connect(path)
            source.backup(connection.connection)
            source.close()

        return SharedDatabase(url=f"sqlite:///{path}", push=push, pull=pull)
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    url = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return SharedDatabase(url=url, push=lambda: None, pull=lambda: None)


class WorkerProcess:
    """`klachtbeheer worker` as a real process, its output in a file."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env, self.log = env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [str(Path(sys.executable).parent / "klachtbeheer"), "worker", "--interval", "0.1"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_for_output(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if time.monotonic() > deadline:
                raise AssertionError(f"worker never said {text!r}:\n{self.output()}")
            time.sleep(0.05)


@pytest.fixture
def worker_factory(shared_database, tmp_path, smtp_port):
    workers: list[WorkerProcess] = []

    def make() -> WorkerProcess:
        env = {
            **os.environ,
            "DATABASE_URL": shared_database.url,
            "KLACHTBEHEER_DATA_DIR": str(tmp_path),
            "DEBUG": "false",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_TIMEOUT": "5",
            "EMAIL_FROM": "IMK Klachten <klachten@imk.example>",
            "LETTERS_RETRY_BASE_SECONDS": "0.3",
            "LETTERS_RETRY_MAX_SECONDS": "0.6",
            "LETTERS_LEASE_SECONDS": "2",
            "LETTERS_TICK_SECONDS": "1",
            "LOG_LEVEL": "INFO",
        }
        worker = WorkerProcess(env, tmp_path / f"worker-{len(workers)}.log")
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        worker.stop()
