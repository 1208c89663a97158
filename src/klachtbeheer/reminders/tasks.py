"""The tick as a task of the worker: it runs and schedules itself again.

`periodic_tick` runs `tick_run` (reminders, digest, overdue measures) and the
pruning of finished task rows, then schedules itself `LETTERS_TICK_SECONDS`
later; the worker schedules it at start, so a worker that was killed mid-tick
picks the chain up when it comes back.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.tasks import task

from klachtbeheer.core import clock
from klachtbeheer.letters.tasks import prune_finished_tasks, waiting
from klachtbeheer.reminders.services import tick_run


@task()
def periodic_tick() -> dict:
    try:
        report = tick_run().as_dict()
        report["pruned"] = prune_finished_tasks()
        return report
    finally:
        schedule_tick()


def schedule_tick(*, now: bool = False) -> None:
    seconds = float(getattr(settings, "LETTERS_TICK_SECONDS", 60))
    if waiting(periodic_tick, due_by=None).exists():
        return
    when = None if now else clock.now() + dt.timedelta(seconds=seconds)
    (periodic_tick.using(run_after=when) if when else periodic_tick).enqueue()
