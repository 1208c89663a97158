"""The one clock of the project: every "now" and "today" in the code comes from here.

Terms (P3.3, P3.8), reminders and retention all ask this module, so a test
that moves time moves it for all of them at once (`tests.conftest.clock`).
Model fields with `auto_now_add` keep the database's own moment of writing.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    """The current moment (aware, UTC)."""
    return timezone.now()


def today() -> dt.date:
    """Today's date in the organisation's time zone (the date every term counts in)."""
    return timezone.localdate(now())
