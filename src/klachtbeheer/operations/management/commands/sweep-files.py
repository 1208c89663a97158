"""`klachtbeheer sweep-files [--dry-run]`: remove what a killed process left in storage.

Temporary files (`.NAME.RANDOM.part`) older than an hour and files that no row
refers to older than a day (core.storage.sweep_orphans; `intake_cleanup` runs it
daily too).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from klachtbeheer.core.storage import sweep_orphans


class Command(BaseCommand):
    help = "Remove temporary files and files no row refers to from the file storage."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only list them.")

    def handle(self, *args, dry_run: bool = False, **options):
        report = sweep_orphans(dry_run=dry_run)
        for name in report.names:
            self.stdout.write(name)
        verb = "found" if dry_run else "removed"
        self.stdout.write(
            f"{verb} {report.temporary} temporary and {report.orphans} orphaned files"
        )
