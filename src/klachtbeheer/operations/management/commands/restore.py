"""`klachtbeheer restore DIR`: a backup into an empty database and data directory."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from klachtbeheer.operations.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `klachtbeheer backup` into the (empty) database of "
        "DATABASE_URL and the (empty) KLACHTBEHEER_DATA_DIR. Checks every hash in the "
        "manifest first and every table's row count after; refuses a target that holds data."
    )
    requires_system_checks = []  # the database is empty: nothing to check against yet

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help="the directory the backup was written to")

    def handle(self, *args, source: Path, **options):
        try:
            summary = restore(source)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored from {source.resolve()}: {summary.tables} tables, {summary.rows} rows, "
            f"{summary.files} files in {summary.seconds:.1f} s. Start the services again."
        )
