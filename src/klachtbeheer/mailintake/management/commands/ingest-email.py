"""`klachtbeheer ingest-email < message.eml`: one message from an MTA pipe, same pipeline.

Exit status for the mail server: 0 stored (whatever became of it), 65 (EX_DATAERR)
for empty input, 75 (EX_TEMPFAIL) when it could not be stored, so the mail server
keeps the message and tries again later instead of bouncing it.
"""

from __future__ import annotations

import logging
import sys

from django.core.management.base import BaseCommand

from klachtbeheer.mailintake.constants import InboundSource
from klachtbeheer.mailintake.services import inbound_message_ingest

logger = logging.getLogger(__name__)

EX_DATAERR = 65
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = (
        "Process one e-mail message read from standard input (for a mail server pipe), exactly "
        "as poll-mailbox processes a message from the mailbox. Prints its status."
    )

    def handle(self, *args, **options):
        raw = sys.stdin.buffer.read()
        if not raw.strip():
            self.stderr.write("No message on standard input.")
            sys.exit(EX_DATAERR)
        try:
            result = inbound_message_ingest(raw=raw, source=InboundSource.PIPE)
        except Exception:
            logger.exception("Message from standard input could not be stored")
            sys.exit(EX_TEMPFAIL)
        message = result.message
        reference = message.complaint.reference if message.complaint_id else "-"
        repeated = "" if result.created else " (processed before)"
        self.stdout.write(f"{message.status} {reference}{repeated}")
