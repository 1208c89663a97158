"""`klachtbeheer tick`: reminders before each term and the daily overdue digest (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from klachtbeheer.letters.services import outbox_deliver_due
from klachtbeheer.reminders.services import tick_run
from klachtbeheer.reporting.exportjobs import jobs_prune


class Command(BaseCommand):
    help = (
        "Queue the reminders to handlers (N working days before each term) and the daily "
        "overdue digest to the quality manager. Run it twice: each goes out once. The worker "
        "runs it every LETTERS_TICK_SECONDS; --deliver also sends the outbox now."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--deliver", action="store_true", help="Also send what is due in the outbox now."
        )

    def handle(self, *args, **options):
        report = tick_run()
        removed = jobs_prune()  # register exports past their term (issue 15.5)
        self.stdout.write(
            f"reminders queued: {report.reminders}, digests queued: {report.digests}, "
            f"skipped (no e-mail address): {report.skipped_without_address}, "
            f"exports removed: {removed}"
        )
        if options["deliver"]:
            delivery = outbox_deliver_due()
            self.stdout.write(
                f"sent: {delivery.sent}, retrying: {delivery.retrying}, "
                f"failed for good: {delivery.failed}"
            )
