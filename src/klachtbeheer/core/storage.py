"""Files written safely: under a temporary name, in place only once the database has committed.

`SafeFileSystemStorage` is the default storage. A file is written next to where
it belongs as `.NAME.RANDOM.part`; inside a transaction it is renamed into
place by `transaction.on_commit`, so a row never points to a file that is not
whole and a rolled-back step leaves no file under its real name. A write that
fails (a full disk, storage that cannot be written) removes what it wrote and
raises `core.errors.StorageUnavailable` (the pages show a Dutch and English 503
page, the API a JSON 503). The temporary files of a transaction that rolled
back are removed as soon as that is known (`discard_uncommitted`: at the next
write, after each request, after each e-mail); `sweep_orphans` (once a day by the
worker's tick, by `intake_cleanup`, or `klachtbeheer sweep-files`) removes what a
killed process left: temporary files, and files no row refers to.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.signals import request_finished
from django.db import connection, models, transaction
from django.dispatch import receiver

from klachtbeheer.core import clock
from klachtbeheer.core.beacons import beacon_at, beacon_set
from klachtbeheer.core.errors import StorageUnavailable

logger = logging.getLogger(__name__)

FILE_SWEEP = "files.sweep"
PART_SUFFIX = ".part"
PART_MAX_AGE = dt.timedelta(hours=1)
ORPHAN_MAX_AGE = dt.timedelta(days=1)
# Kept uploads (core.kept_uploads) are referred to by a signed token, not a row; they
# remove themselves after a day.
UNREFERENCED_BY_DESIGN = ("kept-uploads/",)


@dataclass
class _Pending:
    temporary: str
    final: str
    moved: bool = False
    callback: Callable[[], None] | None = None

    def move(self) -> None:
        # FileNotFoundError: deleted again inside its own transaction.
        with contextlib.suppress(FileNotFoundError):
            os.replace(self.temporary, self.final)
        self.moved = True


class _Registry(threading.local):
    def __init__(self) -> None:
        self.pending: list[_Pending] = []


_registry = _Registry()
_names_lock = threading.RLock()
_reserved: set[str] = set()  # final paths waiting for a commit, so no second file takes them


def discard_uncommitted() -> int:
    """Remove this thread's temporary files whose transaction rolled back; how many."""
    live = {id(func) for _sids, func, _robust in getattr(connection, "run_on_commit", [])}
    removed = 0
    keep = []
    for entry in _registry.pending:
        if not entry.moved and id(entry.callback) in live:
            keep.append(entry)
            continue
        if not entry.moved:
            try:
                os.unlink(entry.temporary)
                removed += 1
            except FileNotFoundError:
                pass
        _release(entry.final)
    _registry.pending = keep
    return removed


@receiver(request_finished, dispatch_uid="klachtbeheer.core.storage.discard_uncommitted")
def _after_request(sender, **kwargs) -> None:
    discard_uncommitted()


def _release(final: str) -> None:
    with _names_lock:
        _reserved.discard(final)


class SafeFileSystemStorage(FileSystemStorage):
    """FileSystemStorage whose files appear under their name only once their row committed.

    Until then the thread that wrote one sees it (as its transaction sees its own rows),
    through `path`, and no other thread can take its name.
    """

    def path(self, name: str) -> str:
        real = super().path(name)
        for entry in _registry.pending:
            if entry.final == real and not entry.moved:
                return entry.temporary
        return real

    def exists(self, name: str) -> bool:
        if super().exists(name):
            return True
        with _names_lock:
            return super().path(name) in _reserved

    def _save(self, name: str, content) -> str:
        discard_uncommitted()
        directory, base = os.path.split(name)
        final = super().path(name)
        with _names_lock:
            while final in _reserved or os.path.exists(final):
                name = self.get_available_name(name)
                directory, base = os.path.split(name)
                final = super().path(name)
            _reserved.add(final)
        temporary_name = os.path.join(directory, f".{base}.{secrets.token_hex(8)}{PART_SUFFIX}")
        try:
            written = super()._save(temporary_name, content)
        except OSError as error:
            _release(final)
            with contextlib.suppress(OSError):
                os.unlink(super().path(temporary_name))
            logger.error("A file could not be written (%s)", error.strerror or type(error).__name__)
            raise StorageUnavailable() from error
        entry = _Pending(temporary=super().path(written), final=final)
        if connection.in_atomic_block:

            def callback() -> None:
                try:
                    entry.move()
                finally:
                    _release(entry.final)

            entry.callback = callback
            _registry.pending.append(entry)
            transaction.on_commit(callback)
        else:
            try:
                entry.move()
            finally:
                _release(final)
        return os.path.relpath(final, self.location).replace("\\", "/")


# --- the sweep ---------------------------------------------------------------------------------


@dataclass
class SweepReport:
    temporary: int = 0
    orphans: int = 0
    names: list[str] = field(default_factory=list)


def referenced_names() -> set[str]:
    """Every file name a row refers to, from every FileField of every installed model."""
    names: set[str] = set()
    for model in apps.get_models():
        for model_field in model._meta.get_fields():
            if isinstance(model_field, models.FileField) and model_field.concrete:
                names.update(
                    value
                    for value in model._base_manager.values_list(model_field.attname, flat=True)
                    if value
                )
    return names


def sweep_orphans(*, dry_run: bool = False) -> SweepReport:
    """Remove temporary files older than an hour and files no row refers to older than a day."""
    report = SweepReport()
    storage = default_storage
    root = Path(getattr(storage, "location", ""))
    if not root.is_dir():
        return report
    now = clock.now().timestamp()
    referenced = referenced_names()
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        relative = path.relative_to(root).as_posix()
        age = now - path.stat().st_mtime
        if path.name.startswith(".") and path.name.endswith(PART_SUFFIX):
            if age > PART_MAX_AGE.total_seconds():
                report.temporary += 1
                report.names.append(relative)
                if not dry_run:
                    path.unlink(missing_ok=True)
            continue
        if relative.startswith(UNREFERENCED_BY_DESIGN) or relative in referenced:
            continue
        if age > ORPHAN_MAX_AGE.total_seconds():
            report.orphans += 1
            report.names.append(relative)
            if not dry_run:
                path.unlink(missing_ok=True)
    if report.temporary or report.orphans:
        logger.warning(
            "File sweep: %s temporary and %s orphaned files %s",
            report.temporary,
            report.orphans,
            "found" if dry_run else "removed",
        )
    return report


def sweep_orphans_daily() -> SweepReport | None:
    """The sweep at most once a day (the worker's tick calls this every minute)."""
    last = beacon_at(FILE_SWEEP)
    if last is not None and clock.now() - last < dt.timedelta(days=1):
        return None
    report = sweep_orphans()
    beacon_set(FILE_SWEEP, temporary=report.temporary, orphans=report.orphans)
    return report
