"""The mailbox polled by the worker (`klachtbeheer worker`) every MAILINTAKE_POLL_SECONDS.

`periodic_poll` reads the mailbox once and schedules itself again, as the
letters' tick does, on Django's tasks framework (the database backend of
django-tasks-db, which the worker runs). The worker does not know this app:
the chain is (re)started by `task_finished`, sent by the worker after every
task it runs (the tick runs every minute), whenever no poll is waiting. So a
worker that was killed mid-poll resumes polling within a tick of coming back,
and `klachtbeheer poll-mailbox` stays available for cron or by hand.

One process reads the mailbox at a time, however many workers there are: the
poll runs inside `core.locks.exclusive("mailintake.poll")` (as does the command),
and so does the scheduling of the next one; a poll that finds the lock taken
ends without a successor, so a second chain dies out.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.dispatch import receiver
from django.tasks import default_task_backend, task
from django.tasks.signals import task_finished

from klachtbeheer.core import clock
from klachtbeheer.core.beacons import MAILBOX_POLL, beacon_set
from klachtbeheer.core.locks import exclusive
from klachtbeheer.mailintake.imap import ImapConfig, poll_mailbox

logger = logging.getLogger(__name__)


POLL_LOCK = "mailintake.poll"


@task()
def periodic_poll() -> dict:
    with exclusive(POLL_LOCK) as held:
        if not held:
            # Another worker (or `poll-mailbox`) reads the mailbox now and keeps the chain.
            return {"skipped": "another process polls the mailbox"}
        try:
            config = ImapConfig.from_settings()
            if not config.configured:
                return {"skipped": "MAILINTAKE_IMAP_HOST is not set"}
            report = poll_mailbox(config)
            result = {"new": dict(report.new), "repeated": report.repeated, "failed": report.failed}
            beacon_set(MAILBOX_POLL, **result)
            return result
        finally:
            _schedule(now=False)


def _poll_waiting() -> bool:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=periodic_poll.module_path, status="READY").exists()


def _schedule(*, now: bool) -> bool:
    if not settings.MAILINTAKE_IMAP_HOST or not default_task_backend.supports_defer:
        return False
    try:
        if _poll_waiting():
            return False
    except ImportError:
        return False
    when = None if now else clock.now() + dt.timedelta(seconds=settings.MAILINTAKE_POLL_SECONDS)
    (periodic_poll.using(run_after=when) if when else periodic_poll).enqueue()
    return True


def schedule_poll(*, now: bool = False) -> bool:
    """Queue the next poll unless one is waiting or running; True when one was queued.

    Only with a mailbox configured and a backend that can run tasks later (the
    worker's database backend): never polls inline in a web request or a test.
    Under the poll's lock, so two workers never start two chains.
    """
    if not settings.MAILINTAKE_IMAP_HOST or not default_task_backend.supports_defer:
        return False
    with exclusive(POLL_LOCK) as held:
        return _schedule(now=now) if held else False


@receiver(task_finished, dispatch_uid="mailintake.keep_polling")
def keep_polling(sender, task_result, **kwargs) -> None:
    """After any task the worker ran: make sure the next poll is queued."""
    if task_result.task.module_path == periodic_poll.module_path:
        return  # it scheduled its successor itself
    try:
        if schedule_poll(now=True):
            logger.info("Mailbox polling (re)started by the worker")
    except Exception:
        logger.exception("Could not schedule the mailbox poll")
