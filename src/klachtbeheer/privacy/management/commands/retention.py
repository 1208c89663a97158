"""`klachtbeheer retention [--as-of YYYY-MM-DD] [--dry-run]`: anonymise and remove what
is due (issue 10); the tick runs it daily. `--dry-run` lists it in words, changes nothing."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from klachtbeheer.privacy.services import retention_run


class Command(BaseCommand):
    help = "Anonymise complaints and remove records whose retention term has ended."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="the day to count the terms to (default: today)")
        parser.add_argument("--dry-run", action="store_true", help="list, change nothing")
        parser.add_argument("--language", default="nl", choices=["nl", "en"])

    def handle(self, *args, as_of=None, dry_run=False, language="nl", **options):
        try:
            day = dt.date.fromisoformat(as_of) if as_of else None
        except ValueError as error:
            raise CommandError(f"--as-of is not a date (YYYY-MM-DD): {as_of}") from error
        with translation.override(language):
            report = retention_run(as_of=day, dry_run=dry_run)
            head = "Would do" if dry_run else "Done"
            self.stdout.write(f"Retention as of {report.as_of.isoformat()}: {head}:")
            for action in report.actions:
                self.stdout.write(f"- {action.words}")
            if not report.actions:
                self.stdout.write("- nothing is due.")
