"""The tick as a task of the worker: it runs and schedules itself again.

`periodic_tick` runs `tick_run` (reminders, digest, overdue measures), the
pruning of finished task rows and the removal of register exports past their
term, then schedules itself `LETTERS_TICK_SECONDS` later; the worker schedules it
at start and its heartbeat makes sure one is
always waiting, so a worker that was killed mid-tick, or a database that went
away, does not end the chain.

However many workers share the database, one runs the tick at a time: it runs
inside `core.locks.exclusive("reminders.tick")`, and so does the scheduling of
the next one. A tick that finds the lock taken ends without scheduling a
successor: the one running keeps the chain, so duplicate chains die out.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.tasks import task

from klachtbeheer.core import clock
from klachtbeheer.core.beacons import TICK, beacon_set
from klachtbeheer.core.locks import exclusive
from klachtbeheer.letters.tasks import prune_finished_tasks, waiting
from klachtbeheer.reminders.services import tick_run
from klachtbeheer.reporting.exportjobs import jobs_prune

TICK_LOCK = "reminders.tick"


@task()
def periodic_tick() -> dict:
    with exclusive(TICK_LOCK) as held:
        if not held:
            return {"skipped": "another worker runs the tick"}
        try:
            report = tick_run().as_dict()
            report["pruned"] = prune_finished_tasks()
            report["exports_removed"] = jobs_prune()  # issue 15.5: files past their term
            beacon_set(TICK, **report)
            return report
        finally:
            _schedule(now=False)


def _schedule(*, now: bool) -> bool:
    if waiting(periodic_tick, due_by=None).exists():
        return False
    seconds = float(getattr(settings, "LETTERS_TICK_SECONDS", 60))
    when = None if now else clock.now() + dt.timedelta(seconds=seconds)
    (periodic_tick.using(run_after=when) if when else periodic_tick).enqueue()
    return True


def schedule_tick(*, now: bool = False) -> bool:
    """Queue the next tick unless one waits or runs; True when one was queued."""
    with exclusive(TICK_LOCK) as held:
        return _schedule(now=now) if held else False
