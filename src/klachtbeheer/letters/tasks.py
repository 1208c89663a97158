"""The task queue as the project uses it (Django's tasks framework, database backend).

`enqueue_once` puts a task in the queue unless one that runs by then already
waits, so wake-ups never pile up; `prune_finished_tasks` keeps the table small.
The tasks themselves live beside their services (`letters.services.process_outbox`,
`reminders.tasks.periodic_tick`, `mailintake.tasks.poll_mailbox_task`).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import Q
from django.tasks import Task, TaskResultStatus

from klachtbeheer.core import clock

logger = logging.getLogger(__name__)


# Finished task rows are kept this long (the tick alone adds one a minute).
KEEP_FINISHED_TASKS = dt.timedelta(days=7)


def prune_finished_tasks() -> int:
    from django_tasks_db.models import DBTaskResult

    cutoff = clock.now() - KEEP_FINISHED_TASKS
    deleted, _by_model = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted


def waiting(the_task: Task, *, due_by: dt.datetime | None):
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
    if waiting(the_task, due_by=run_after or clock.now()).exists():
        return
    (the_task.using(run_after=run_after) if run_after else the_task).enqueue()
