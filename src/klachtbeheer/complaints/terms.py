"""The terms of the procedure (P3.3, P3.8): dates in, dates out, no database.

A term runs a fixed number of calendar days from the date of receipt. When the
last day falls on a day the organisation does not work (weekend, Dutch public
holiday, 5 May, Good Friday, or one of its own closure days), the handler must
act by the last working day before it; every answer says why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

import holidays
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _


@lru_cache(maxsize=64)
def _public_holidays(year: int, language: str) -> Mapping[dt.date, str]:
    # "optional" holds Liberation Day (5 May) in the years it is not a lustrum;
    # the organisation is closed on it every year.
    return dict(holidays.NL(years=year, categories=("public", "optional"), language=language))


def _holiday_language() -> str:
    """The holiday names in the language of the page (Dutch unless English is active)."""
    return "en_US" if (get_language() or "nl").startswith("en") else "nl"


@dataclass(frozen=True)
class WorkCalendar:
    closure_days: Mapping[dt.date, str] = field(default_factory=dict)

    def why_not_working(self, day: dt.date) -> str | None:
        """The reason `day` is not a working day, or None when it is one."""
        if day.weekday() == 5:
            return _("Saturday")
        if day.weekday() == 6:
            return _("Sunday")
        holiday = _public_holidays(day.year, _holiday_language()).get(day)
        if holiday:
            return holiday
        if day in self.closure_days:
            return self.closure_days[day]
        return None

    def is_working_day(self, day: dt.date) -> bool:
        return self.why_not_working(day) is None

    def last_working_day_on_or_before(self, day: dt.date) -> tuple[dt.date, list[str]]:
        reasons: list[str] = []
        while (reason := self.why_not_working(day)) is not None:
            reasons.append(f"{day:%d-%m-%Y}: {reason}")
            day -= dt.timedelta(days=1)
        return day, reasons

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (negative when end < start)."""
        if end == start:
            return 0
        step = 1 if end > start else -1
        count, day = 0, start
        while day != end:
            day += dt.timedelta(days=step)
            if self.is_working_day(day):
                count += step
        return count


@dataclass(frozen=True)
class Deadline:
    due: dt.date  # the last day of the term, as the procedure states it
    act_by: dt.date  # the last working day on or before `due`
    reasons: tuple[str, ...]  # why act_by is earlier than due

    @property
    def explanation(self) -> str:
        if self.act_by == self.due:
            return ""
        return _("The term ends on %(due)s, which is not a working day (%(why)s).") % {
            "due": f"{self.due:%d-%m-%Y}",
            "why": "; ".join(self.reasons),
        }


def deadline(received_on: dt.date, days: int, calendar: WorkCalendar) -> Deadline:
    due = received_on + dt.timedelta(days=days)
    return deadline_on(due, calendar)


def deadline_on(due: dt.date, calendar: WorkCalendar) -> Deadline:
    act_by, reasons = calendar.last_working_day_on_or_before(due)
    return Deadline(due=due, act_by=act_by, reasons=tuple(reasons))


class TermStatus(StrEnum):
    MET = "met"
    OPEN = "open"
    AT_RISK = "at_risk"
    MISSED = "missed"
    NOT_APPLICABLE = "n/a"


@dataclass(frozen=True)
class TermState:
    status: TermStatus
    deadline: Deadline | None
    done_on: dt.date | None
    days_left: int | None  # calendar days to `due`, negative when late

    @property
    def words(self) -> str:
        """The term as words for the work list ("Nog 5 dagen", "3 dagen te laat")."""
        if self.status == TermStatus.NOT_APPLICABLE:
            return _("not applicable")
        if self.done_on is not None:
            if self.status == TermStatus.MET:
                return _("met on %(date)s") % {"date": f"{self.done_on:%d-%m-%Y}"}
            return _("met late, on %(date)s") % {"date": f"{self.done_on:%d-%m-%Y}"}
        assert self.days_left is not None
        if self.days_left < 0:
            late = -self.days_left
            return ngettext("%(n)d day late", "%(n)d days late", late) % {"n": late}
        if self.days_left == 0:
            return _("today")
        return ngettext("%(n)d day left", "%(n)d days left", self.days_left) % {"n": self.days_left}


def term_state(
    *,
    the_deadline: Deadline | None,
    done_on: dt.date | None,
    today: dt.date,
    calendar: WorkCalendar,
    at_risk_working_days: int,
) -> TermState:
    """Met, open (days left), at risk, or missed: the status of one term."""
    if the_deadline is None:
        return TermState(TermStatus.NOT_APPLICABLE, None, done_on, None)
    if done_on is not None:
        status = TermStatus.MET if done_on <= the_deadline.due else TermStatus.MISSED
        return TermState(status, the_deadline, done_on, None)
    days_left = (the_deadline.due - today).days
    if today > the_deadline.due:
        status = TermStatus.MISSED
    elif today > the_deadline.act_by or the_deadline.act_by <= at_risk_from(
        today, at_risk_working_days, calendar
    ):  # at most N working days left; counted up to N only, however far the term is
        status = TermStatus.AT_RISK
    else:
        status = TermStatus.OPEN
    return TermState(status, the_deadline, None, days_left)


def at_risk_from(today: dt.date, at_risk_working_days: int, calendar: WorkCalendar) -> dt.date:
    """The latest due date that counts as at risk today (for filtering in the database).

    A term is at risk when at most `at_risk_working_days` working days remain
    until its act-by date; this walks forward to the last calendar day whose
    act-by date is still within that window.
    """
    day, remaining = today, at_risk_working_days
    while True:
        nxt = day + dt.timedelta(days=1)
        if calendar.is_working_day(nxt):
            if remaining == 0:
                return day
            remaining -= 1
        day = nxt


def local_date(moment: dt.datetime, tz: dt.tzinfo) -> dt.date:
    """The calendar date of an instant in the organisation's time zone (P2.3)."""
    return moment.astimezone(tz).date()
