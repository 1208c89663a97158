"""Background work, run by `klachtbeheer worker` (Django's tasks framework, database backend).

`process_outbox` makes the PDFs not made yet and sends the outbox.
`periodic_tick` runs `tick` (reminders, digest, outbox sweep) and schedules
itself again `LETTERS_TICK_SECONDS` later; the worker schedules it at start,
so a worker that was killed mid-tick picks the chain up when it comes back.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Q
from django.tasks import Task, TaskResultStatus, task

from klachtbeheer.core import clock

logger = logging.getLogger(__name__)


@task()
def process_outbox() -> dict:
    from klachtbeheer.letters.services import outbox_deliver_due

    return outbox_deliver_due().as_dict()


# Finished task rows are kept this long (the tick alone adds one a minute).
KEEP_FINISHED_TASKS = dt.timedelta(days=7)


@task()
def periodic_tick() -> dict:
    from klachtbeheer.letters.services import tick_run

    try:
        report = tick_run().as_dict()
        report["pruned"] = prune_finished_tasks()
        return report
    finally:
        schedule_tick()


def prune_finished_tasks() -> int:
    from django_tasks_db.models import DBTaskResult

    cutoff = clock.now() - KEEP_FINISHED_TASKS
    deleted, _by_model = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted


def _waiting(the_task: Task, *, due_by: dt.datetime | None):
    """Tasks of this kind queued and not started, due by `due_by` (None: any time)."""
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.filter(
        task_path=the_task.module_path, status=TaskResultStatus.READY
    )
    if due_by is not None:
        queued = queued.filter(Q(run_after__isnull=True) | Q(run_after__lte=due_by))
    return queued


def enqueue_once(the_task: Task, *, run_after: dt.datetime | None = None) -> None:
    """Enqueue unless one that runs by then is already waiting: wake-ups do not pile up."""
    if _waiting(the_task, due_by=run_after or clock.now()).exists():
        return
    (the_task.using(run_after=run_after) if run_after else the_task).enqueue()


def schedule_tick(*, now: bool = False) -> None:
    seconds = float(getattr(settings, "LETTERS_TICK_SECONDS", 60))
    if _waiting(periodic_tick, due_by=None).exists():
        return
    when = None if now else clock.now() + dt.timedelta(seconds=seconds)
    (periodic_tick.using(run_after=when) if when else periodic_tick).enqueue()
