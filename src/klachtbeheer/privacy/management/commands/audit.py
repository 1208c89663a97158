"""`klachtbeheer audit verify`: check the whole chain (issue 11.7).
`klachtbeheer audit export --from YYYY-MM-DD --to YYYY-MM-DD --format csv|json [--out FILE]`."""

from __future__ import annotations

import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError

from klachtbeheer.privacy import record


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"Not a date (YYYY-MM-DD): {text}") from error


class Command(BaseCommand):
    help = "Verify the tamper-evident chain, or export the audit log of a period."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check every row of the chain; exit 1 at the first misfit")
        export = sub.add_parser("export", help="the audit log of a period as CSV or JSON")
        export.add_argument("--from", dest="start", required=True)
        export.add_argument("--to", dest="end", required=True)
        export.add_argument("--format", choices=["csv", "json"], default="csv")
        export.add_argument("--out")

    def handle(self, *args, action, **options):
        if action == "verify":
            result = record.verify()
            if result.ok:
                self.stdout.write(
                    f"The chain is intact: {result.rows} rows checked, {result.erased} erased "
                    "by anonymisation."
                )
                return
            self.stderr.write(f"The chain does not fit at {result.problem}.")
            sys.exit(1)
        start, end = _date(options["start"]), _date(options["end"])
        if end < start:
            raise CommandError("--to is before --from")
        text = (record.audit_csv if options["format"] == "csv" else record.audit_json)(start, end)
        if options["out"]:
            with open(options["out"], "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        else:
            self.stdout.write(text, ending="")
