"""`klachtbeheer worker`: the long-running process that sends mail and runs the tick.

It is django-tasks-db's `db_worker` (Django's tasks framework with its
database backend), started with the periodic tick scheduled and the outbox
swept, so work left by a worker that died is picked up at once. Run one or more
beside `klachtbeheer serve` (README, Running in production):

- it refuses to start when production is configured half (`core.checks`);
- a heartbeat thread records `worker:<id>` every WORKER_HEARTBEAT_SECONDS (for
  /readyz and /metrics) and makes sure a tick and a mailbox poll are waiting, so
  their chains survive a crash or a database outage;
- the loop survives the database going away (`OperationalError`,
  `InterfaceError`): it drops its connections, waits (1, 2, 4 … 30 s) and goes on
  with a new connection, without a restart.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django_tasks_db.management.commands import db_worker

from klachtbeheer.core.beacons import WORKER_PREFIX, beacon_set, worker_beacons_prune
from klachtbeheer.core.checks import exit_if_half_configured
from klachtbeheer.letters.pdf import warm_up as pdf_warm_up
from klachtbeheer.letters.services import process_outbox
from klachtbeheer.letters.tasks import enqueue_once
from klachtbeheer.mailintake.tasks import schedule_poll
from klachtbeheer.reminders.tasks import schedule_tick

logger = logging.getLogger("klachtbeheer.worker")

DATABASE_GONE = (OperationalError, InterfaceError)
LONGEST_WAIT = 30.0
_DAY = dt.timedelta(days=1)


class Heartbeat(threading.Thread):
    """Beats, and keeps the tick's and the poll's chains alive, on its own connection."""

    def __init__(self, worker_id: str, seconds: float):
        super().__init__(name="heartbeat", daemon=True)
        self.key = f"{WORKER_PREFIX}{worker_id}"
        self.seconds = max(0.5, seconds)
        self.stopped = threading.Event()

    def beat(self) -> None:
        close_old_connections()
        beacon_set(self.key, host=socket.gethostname(), pid=os.getpid())
        try:
            schedule_tick()
            schedule_poll()
            worker_beacons_prune(older_than=_DAY)
        except DATABASE_GONE:
            connections.close_all()
        except Exception:
            logger.exception("Heartbeat: could not keep the tick and the poll going")

    def run(self) -> None:
        while not self.stopped.is_set():
            self.beat()
            self.stopped.wait(self.seconds)
        connections.close_all()


class ResilientWorker(db_worker.Worker):
    """db_worker's loop, started again after the database went away."""

    def run(self) -> None:
        wait, last_failure = 1.0, 0.0
        while self.running:
            try:
                super().run()
                return
            except DATABASE_GONE as error:
                if not self.running:
                    return
                if time.monotonic() - last_failure > 2 * LONGEST_WAIT:
                    wait = 1.0  # a new outage starts with a short wait
                last_failure = time.monotonic()
                logger.warning(
                    "Database unavailable (%s); trying again in %.0f s", type(error).__name__, wait
                )
                connections.close_all()
                time.sleep(wait)
                wait = min(wait * 2, LONGEST_WAIT)


AUTOGROUP = Path("/proc/self/autogroup")


def lower_priority(steps: int) -> int:
    """Make this process `steps` nicer (never less nice: a negative value is ignored); the
    niceness it has afterwards. Under a burst of intake the web server's requests get the
    processor first, and the worker's PDFs and mail follow in the quiet after (issue 15).

    Linux shares the processor between sessions first ("autogroups") and only then by
    niceness within one, so a worker started in a session of its own (a service, a
    terminal) would get as much as the whole web server. Leading its own session, it
    makes that session's group as nice as itself (man 7 sched). Under systemd with the
    cgroup CPU controller the unit's CPUWeight does this (deploy/systemd).
    """
    if steps <= 0:
        return os.nice(0)
    try:
        niceness = os.nice(steps)
    except OSError:  # pragma: no cover - a platform without nice
        logger.warning("Could not lower the worker's priority")
        return os.nice(0)
    if os.getsid(0) == os.getpid() and AUTOGROUP.exists():
        try:
            AUTOGROUP.write_text(str(niceness))
        except OSError:
            logger.info("The worker's session group keeps its priority")
    return niceness


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
        exit_if_half_configured("worker")
        self.configure_logging(options["verbosity"])
        heartbeat = Heartbeat(options["worker_id"], settings.WORKER_HEARTBEAT_SECONDS)
        lower_priority(settings.WORKER_NICE)
        # Letters are rendered here too: the first as fast as the rest (issue 15).
        pdf_warm_up()
        self._start(heartbeat)
        # The parent's handle() makes the Worker from its module: give it ours.
        db_worker.Worker, original = ResilientWorker, db_worker.Worker
        try:
            return super().handle(*args, **options)
        finally:
            db_worker.Worker = original
            heartbeat.stopped.set()

    def _start(self, heartbeat: Heartbeat) -> None:
        """Sweep and schedule now, retrying while the database is not there yet."""
        wait = 1.0
        while True:
            try:
                schedule_tick(now=True)
                enqueue_once(process_outbox)
                break
            except DATABASE_GONE as error:
                logger.warning(
                    "Database unavailable at start (%s); trying again in %.0f s",
                    type(error).__name__,
                    wait,
                )
                connections.close_all()
                time.sleep(wait)
                wait = min(wait * 2, LONGEST_WAIT)
        heartbeat.start()
