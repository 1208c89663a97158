"""Work that runs in one process at a time across all workers (README, Several processes).

`exclusive(name)` takes a lock without waiting and says whether it got it: the
mailbox poll and the tick run inside one, so however many workers share the
database, one polls and one ticks. On PostgreSQL it is a session-level advisory
lock (`pg_try_advisory_lock`), held by the database connection: a worker that dies
or loses its connection frees it at once. SQLite lives on one machine, so there it
is an `flock` on a file beside the data (`KLACHTBEHEER_DATA_DIR/locks/`), freed by
the kernel when the process dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)


def _key(name: str) -> int:
    """A stable signed 64-bit key for the advisory lock."""
    return int.from_bytes(
        hashlib.sha256(f"klachtbeheer:{name}".encode()).digest()[:8], "big", signed=True
    )


@contextlib.contextmanager
def _postgres(name: str) -> Iterator[bool]:
    key = _key(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
            except DatabaseError:
                # The connection is gone, and the lock with it.
                logger.warning("Lock %s: connection lost; the server released it", name)
                connection.close()


@contextlib.contextmanager
def _file(name: str) -> Iterator[bool]:
    directory = Path(settings.DATA_DIR) / "locks"
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / f"{name}.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def exclusive(name: str) -> contextlib.AbstractContextManager[bool]:
    """`with exclusive("mailintake.poll") as held:` — True in exactly one process at a time."""
    return _postgres(name) if connection.vendor == "postgresql" else _file(name)
