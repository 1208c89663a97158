"""`klachtbeheer figures --rebuild`: the dashboard's aggregates counted again (issue 15).

The database keeps the aggregates itself (`reporting.aggregates`); the migration that
made them counted what was there (the backfill). This is for a database restored
without them, or to repair: every complaint counted again in one statement, safe
while the application runs. `--compact` adds the appended rows of each key together
(the daily tick does this).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from klachtbeheer.reporting import aggregates


class Command(BaseCommand):
    help = "Count the dashboard's aggregates again from the complaints, or compact them."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--rebuild", action="store_true", help="count every complaint again")
        group.add_argument("--compact", action="store_true", help="add the rows of a key together")

    def handle(self, *args, rebuild, compact, **options):
        if not aggregates.available():
            raise CommandError("the aggregates are kept on PostgreSQL only")
        rows = aggregates.figures_rebuild() if rebuild else aggregates.figures_compact()
        self.stdout.write(f"{rows} rows of figures")
