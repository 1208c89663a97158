"""`klachtbeheer backup` while complaints are being registered, `restore` into a fresh
database and data directory (issue #13): every table's row count and every file's hash
come back; a target with data and a changed backup are refused.

SQLite: files in a temporary directory. PostgreSQL: two databases of our own
(`kb_prod_bk_*`) on the test server, dropped afterwards (nothing is restarted).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.operations.conftest import KLACHTBEHEER, production_env, run

WRITER = """
import datetime as dt, os, pathlib
from django.core.files.uploadedfile import SimpleUploadedFile
from klachtbeheer.complaints.services import ComplainantData, complaint_register
from klachtbeheer.organisation.models import Organisation
Organisation.current()
stop = pathlib.Path(os.environ["KB_WRITER_STOP"])
for n in range(2000):
    if stop.exists():
        break
    complaint_register(
        actor=None, channel="email", received_on=dt.date.today(),
        complainant=ComplainantData(complainant_type="client", name=f"Klager {n}",
                                    email=f"klager{n}@example.nl"),
        substantiation=f"Klacht {n}",
        attachments=[SimpleUploadedFile(f"brief-{n}.pdf",
                     b"%PDF-1.4\\n%" + str(n).encode() * 2000 + b"\\n%%EOF\\n", "application/pdf")],
    )
    if n == 5:
        print("started", flush=True)
"""


def _count_rows_sqlite(path: Path) -> dict[str, int]:
    db = sqlite3.connect(path)
    try:
        tables = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )]  # fmt: skip
        return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        db.close()


def _count_rows_postgres(url: str) -> dict[str, int]:
    with psycopg.connect(url) as db:
        tables = [r[0] for r in db.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )]  # fmt: skip
        return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


@pytest.fixture
def databases(tmp_path):
    """(source URL, target URL, row counter) on the vendor the suite runs on."""
    if connection.vendor == "sqlite":
        source, target = tmp_path / "source.sqlite3", tmp_path / "target.sqlite3"
        yield f"sqlite:///{source}", f"sqlite:///{target}", lambda: _count_rows_sqlite(target)
        return
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    server = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    names = [f"kb_prod_bk_{which}_{secrets.token_hex(4)}" for which in ("src", "dst")]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        target = f"{server}/{names[1]}"
        yield f"{server}/{names[0]}", target, lambda: _count_rows_postgres(target)
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_backup_taken_while_complaints_are_registered_restores_exactly(databases, tmp_path):
    source_url, target_url, target_rows = databases
    source = production_env(tmp_path / "source-data", DATABASE_URL=source_url)
    target = production_env(tmp_path / "target-data", DATABASE_URL=target_url)
    done = run("migrate", "--noinput", "-v0", env=source, timeout=300)
    assert done.returncode == 0, done.stderr

    stop = tmp_path / "stop-writing"
    writer = subprocess.Popen(
        [KLACHTBEHEER, "shell", "-v0", "-c", WRITER],
        env={**source, "KB_WRITER_STOP": str(stop)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "started", writer.stderr.read()
        began = time.monotonic()
        backup = run("backup", "--out", str(tmp_path / "backup"), env=source)
        backup_seconds = time.monotonic() - began
        assert backup.returncode == 0, backup.stderr
        still_writing = writer.poll() is None
    finally:
        stop.write_text("")
        writer.wait(timeout=300)
    assert writer.returncode == 0, writer.stderr.read()

    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    counts = manifest["database"]["tables"]
    assert still_writing  # the backup was taken while complaints were being registered
    assert counts["complaints_complaint"] >= 6
    assert counts["complaints_attachment"] == counts["complaints_complaint"]
    attachments = {k: v for k, v in manifest["files"].items() if k.startswith("files/complaints/")}
    assert len(attachments) >= counts["complaints_attachment"]  # written before their rows

    began = time.monotonic()
    restored = run("restore", str(tmp_path / "backup"), env=target)
    restore_seconds = time.monotonic() - began
    assert restored.returncode == 0, restored.stderr

    # Every table's row count, as in the manifest (the backup's own moment).
    assert target_rows() == counts
    # Every file, byte for byte.
    data = tmp_path / "target-data"
    for relative, digest in manifest["files"].items():
        assert _sha256(data / relative) == digest
    # Every attachment row's file is there, with the hash the row records.
    if connection.vendor == "sqlite":
        db = sqlite3.connect(target_url.removeprefix("sqlite:///"))
        rows = db.execute("SELECT file, sha256 FROM complaints_attachment").fetchall()
        db.close()
    else:
        with psycopg.connect(target_url) as db:
            rows = db.execute("SELECT file, sha256 FROM complaints_attachment").fetchall()
    assert rows and all(_sha256(data / "files" / name) == digest for name, digest in rows)
    # The restored installation works.
    check = run("check", "--database", "default", env=target)
    assert check.returncode == 0, check.stderr
    print(
        f"\nbackup {backup_seconds:.1f} s (writer still running: {still_writing}), restore "
        f"{restore_seconds:.1f} s; {counts['complaints_complaint']} complaints, "
        f"{len(manifest['files'])} files; {backup.stdout.strip()}"
    )

    # A target that holds data is refused, and so is a backup that was changed.
    again = run("restore", str(tmp_path / "backup"), env=target)
    assert again.returncode != 0 and "not empty" in again.stderr
    fresh = production_env(
        tmp_path / "fresh-data", DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    )
    name = next(iter(attachments))
    (tmp_path / "backup" / "files" / name).write_bytes(b"changed")
    tampered = run("restore", str(tmp_path / "backup"), env=fresh)
    assert tampered.returncode != 0 and "does not match its hash" in tampered.stderr


def test_backup_refuses_a_directory_that_is_not_empty(tmp_path):
    env = production_env(tmp_path / "data")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "something").write_text("x")
    result = run("backup", "--out", str(tmp_path / "out"), env=env)
    assert result.returncode != 0 and "not empty" in result.stderr
