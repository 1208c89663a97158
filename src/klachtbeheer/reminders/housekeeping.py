"""Clean-ups of apps above the tick, run by it every time (`reminders.services.tick_run`).

The tick lives low in the layers (README, Architecture), so it cannot import the
apps that keep something only for a while; each of those registers its clean-up
here when Django starts (its `AppConfig.ready`), and the tick runs them after the
retention job. A job takes the tick's moment and says how many rows it removed;
the number goes into the tick's report (and its beacon) under the job's name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Job = Callable[[dt.datetime], int]
_JOBS: dict[str, Job] = {}


def register(name: str, job: Job) -> None:
    """Run `job(now)` on every tick, reported as `name`. Registering a name again replaces it."""
    _JOBS[name] = job


def run(now: dt.datetime) -> dict[str, int]:
    return {name: job(now) for name, job in sorted(_JOBS.items())}
