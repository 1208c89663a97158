"""`klachtbeheer backup --out DIR`: the database and the data directory, with a manifest."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from klachtbeheer.operations.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Write a consistent copy of the database (pg_dump, or SQLite's online backup) and of "
        "the files under KLACHTBEHEER_DATA_DIR into an empty directory, with manifest.json "
        "(row counts, SHA-256 of every file). Safe while Klachtbeheer runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, type=Path, help="a new or empty directory")

    def handle(self, *args, out: Path, **options):
        try:
            summary = backup(out)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Backup in {out.resolve()}: {summary.tables} tables, {summary.rows} rows, "
            f"{summary.files} files, {summary.bytes / 1e6:.1f} MB in {summary.seconds:.1f} s"
        )
