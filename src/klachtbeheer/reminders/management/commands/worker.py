"""`klachtbeheer worker`: the long-running process that sends mail and runs the tick.

It is django-tasks-db's `db_worker` (Django's tasks framework with its
database backend), started with the periodic tick scheduled and the outbox
swept, so work left by a worker that died is picked up at once.
"""

from __future__ import annotations

from django_tasks_db.management.commands import db_worker

from klachtbeheer.letters.services import process_outbox
from klachtbeheer.letters.tasks import enqueue_once
from klachtbeheer.reminders.tasks import schedule_tick


class Command(db_worker.Command):
    help = (
        "Send the outbox (letters, reminders, digests) with retries, and run the tick "
        "every LETTERS_TICK_SECONDS. Stop with Ctrl-C or SIGTERM (finishes the current task)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        # A worker under `make run` or a service manager: no reloader child, no random delay.
        parser.set_defaults(reload=False, startup_delay=False)

    def handle(self, *args, **options):
        self.configure_logging(options["verbosity"])
        schedule_tick(now=True)
        enqueue_once(process_outbox)
        return super().handle(*args, **options)
