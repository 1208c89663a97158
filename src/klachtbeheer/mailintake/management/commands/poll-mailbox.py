"""`klachtbeheer poll-mailbox`: turn the intake mailbox's new messages into complaints (P2.1)."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from klachtbeheer.core.beacons import MAILBOX_POLL, beacon_set
from klachtbeheer.core.locks import exclusive
from klachtbeheer.core.oauth2 import TokenError
from klachtbeheer.mailintake.imap import ImapConfig, OAuth2LoginRefused, poll_mailbox
from klachtbeheer.mailintake.tasks import POLL_LOCK


class Command(BaseCommand):
    help = (
        "Read the IMAP intake mailbox once: every new message becomes a complaint, a reply on "
        "its case, an ignored automatic message, or waits for review. Safe to run again or "
        "concurrently: a message is only flagged after it is committed, never processed twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=None, help="Process at most this many messages."
        )

    def handle(self, *args, limit=None, **options):
        config = ImapConfig.from_settings()
        try:
            config.check()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        with exclusive(POLL_LOCK) as held:
            if not held:
                self.stdout.write("Another process is reading the mailbox now; nothing done.")
                return
            try:
                report = poll_mailbox(config, limit=limit)
            except (TokenError, OAuth2LoginRefused) as error:
                raise CommandError(str(error)) from None
            beacon_set(
                MAILBOX_POLL, new=dict(report.new), repeated=report.repeated, failed=report.failed
            )
        self.stdout.write(str(report))
        if report.failed:
            raise CommandError(f"{report.failed} message(s) left in the mailbox for the next poll")
