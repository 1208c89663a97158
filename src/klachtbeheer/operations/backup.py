"""Backup and restore: the database and the data directory, with a manifest of hashes.

`backup(out)` writes, into an empty directory:

- `database.dump` (PostgreSQL: `pg_dump --format=custom`, inside an exported
  snapshot, so the row counts in the manifest are those of the dump exactly) or
  `database.sqlite3` (SQLite's online backup API, consistent while others write);
- `files/…`: a copy of everything under the data directory that is not the
  database, static files, metrics or locks (attachments, letters' PDFs, kept
  e-mails). The database is copied first and files are never changed once
  written, so every file the copy names is in the backup;
- `manifest.json`: when, which database, the row count of every table, and the
  SHA-256 of the database copy and of every file.

`restore(source)` checks every hash in the manifest first, refuses a database
that has any table or a data directory that holds files, restores the database
(`pg_restore` in one transaction, or SQLite's backup API) and the files, and
compares every table's row count with the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from klachtbeheer.core import clock

MANIFEST = "manifest.json"
FORMAT = 1
# Under the data directory but not data: made again (static), per process (run), or locks.
NOT_DATA = {"static", "run", "locks"}


class BackupError(Exception):
    """A backup or restore that cannot go on, with the reason in words."""


@dataclass
class Summary:
    tables: int
    rows: int
    files: int
    bytes: int
    seconds: float


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _database() -> dict[str, Any]:
    return settings.DATABASES["default"]


def _is_sqlite() -> bool:
    return _database()["ENGINE"] == "django.db.backends.sqlite3"


def _pg_env() -> dict[str, str]:
    db = _database()
    env = {**os.environ}
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"),
                          ("PGPASSWORD", "PASSWORD"), ("PGDATABASE", "NAME")):  # fmt: skip
        if db.get(key):
            env[variable] = str(db[key])
    return env


def _pg_program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client).")
    return found


def _table_counts(cursor, tables: list[str]) -> dict[str, int]:
    quote = connection.ops.quote_name
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - names from introspection
        counts[table] = cursor.fetchone()[0]
    return counts


def _data_files(root: Path, *, skip: set[Path]) -> list[Path]:
    found = []
    if not root.exists():
        return found
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] in NOT_DATA or not path.is_file():
            continue
        if path.name.startswith(".") and path.name.endswith(".part"):
            continue  # a file not yet committed (core.storage): not data until it is
        if any(path == s or s in path.parents for s in skip):
            continue
        if (
            path.name.endswith(("-wal", "-shm", "-journal"))
            and path.with_name(path.name.rsplit("-", 1)[0]) in skip
        ):
            continue
        found.append(path)
    return found


def _sqlite_path() -> Path:
    return Path(_database()["NAME"]).resolve()


def _backup_database(out: Path) -> tuple[str, dict[str, int]]:
    if _is_sqlite():
        target = out / "database.sqlite3"
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)
            cursor = copy.cursor()
            tables = [
                row[0]
                for row in cursor.execute(
                    "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                )
            ]
            counts = {}
            for table in sorted(tables):
                counts[table] = cursor.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]  # noqa: S608
        finally:
            copy.close()
        return target.name, counts
    target = out / "database.dump"
    connection.ensure_connection()
    with connection.cursor() as cursor:
        # One snapshot for the dump and the counts: they describe the same moment.
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = _table_counts(cursor, connection.introspection.table_names(cursor))
            done = subprocess.run(  # noqa: S603 - our arguments, no shell
                [_pg_program("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                 f"--snapshot={snapshot}", f"--file={target}"],
                env=_pg_env(), capture_output=True, text=True, check=False,
            )  # fmt: skip
        finally:
            cursor.execute("ROLLBACK")
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    return target.name, counts


def backup(out: Path) -> Summary:
    started = time.monotonic()
    out = out.resolve()
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"{out} is not empty: a backup goes into a new or empty directory.")
    out.mkdir(parents=True, exist_ok=True)
    database_file, counts = _backup_database(out)
    data = Path(settings.DATA_DIR).resolve()
    skip = {out}
    if _is_sqlite():
        skip.add(_sqlite_path())
    files: dict[str, str] = {}
    size = 0
    for path in _data_files(data, skip=skip):
        relative = path.relative_to(data).as_posix()
        target = out / "files" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        files[relative] = sha256_of(target)
        size += target.stat().st_size
    manifest = {
        "format": FORMAT,
        "made_at": clock.now().isoformat(),
        "database": {
            "vendor": "sqlite" if _is_sqlite() else "postgresql",
            "file": database_file,
            "sha256": sha256_of(out / database_file),
            "tables": counts,
        },
        "files": files,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return Summary(
        tables=len(counts),
        rows=sum(counts.values()),
        files=len(files),
        bytes=size + (out / database_file).stat().st_size,
        seconds=time.monotonic() - started,
    )


def read_manifest(source: Path) -> dict[str, Any]:
    """The manifest, after checking the hash of the database copy and of every file."""
    path = source / MANIFEST
    if not path.exists():
        raise BackupError(f"{source} has no {MANIFEST}: not a Klachtbeheer backup.")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
    database = manifest["database"]
    if sha256_of(source / database["file"]) != database["sha256"]:
        raise BackupError(f"{database['file']} does not match its hash in the manifest.")
    present = {
        p.relative_to(source / "files").as_posix()
        for p in (source / "files").rglob("*")
        if p.is_file()
    } if (source / "files").exists() else set()  # fmt: skip
    if present != set(manifest["files"]):
        raise BackupError("The files in the backup are not those its manifest lists.")
    for relative, digest in manifest["files"].items():
        if sha256_of(source / "files" / relative) != digest:
            raise BackupError(f"files/{relative} does not match its hash in the manifest.")
    return manifest


def _target_is_empty() -> None:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    if tables:
        raise BackupError(
            f"The database is not empty ({len(tables)} tables): restore only into a new, "
            "empty database."
        )
    data = Path(settings.DATA_DIR).resolve()
    skip = {_sqlite_path()} if _is_sqlite() else set()
    if _data_files(data, skip=skip):
        raise BackupError(f"The data directory {data} holds files: restore only into an empty one.")


def restore(source: Path) -> Summary:
    started = time.monotonic()
    source = source.resolve()
    manifest = read_manifest(source)
    vendor = "sqlite" if _is_sqlite() else "postgresql"
    if manifest["database"]["vendor"] != vendor:
        raise BackupError(
            f"This backup is of a {manifest['database']['vendor']} database; DATABASE_URL "
            f"points at {vendor}."
        )
    _target_is_empty()
    dump = source / manifest["database"]["file"]
    if vendor == "sqlite":
        connection.ensure_connection()
        copy = sqlite3.connect(dump)
        try:
            copy.backup(connection.connection)
        finally:
            copy.close()
    else:
        connection.close()
        done = subprocess.run(  # noqa: S603 - our arguments, no shell
            [_pg_program("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction",
             "--exit-on-error", f"--dbname={_database()['NAME']}", str(dump)],
            env=_pg_env(), capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
    data = Path(settings.DATA_DIR).resolve()
    size = 0
    for relative in manifest["files"]:
        target = data / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / "files" / relative, target)
        size += target.stat().st_size
    with connection.cursor() as cursor:
        counts = _table_counts(cursor, list(manifest["database"]["tables"]))
    if counts != manifest["database"]["tables"]:
        differ = sorted(t for t in counts if counts[t] != manifest["database"]["tables"][t])
        raise BackupError(f"Row counts differ from the manifest after the restore: {differ}")
    return Summary(
        tables=len(counts),
        rows=sum(counts.values()),
        files=len(manifest["files"]),
        bytes=size + dump.stat().st_size,
        seconds=time.monotonic() - started,
    )
