"""The terms of the procedure (P3.3, P3.8): dates in, dates out, no database.

A term runs a fixed number of calendar days from the date of receipt. When the
last day falls on a day the organisation does not work (weekend, Dutch public
holiday, 5 May, Good Friday, or one of its own closure days), the handler must
act by the last working day before it; every answer says why.

The one rule for both terms, which every page, list, export, figure, reminder
and the API follow (`contact_term`, `settle_term`, `complaint_terms_of`; the
register's SQL restates it in `reporting.selectors.with_terms` and a property
test holds the two together):

- Contact (P3.3) is met when the complainant was contacted on or before the
  contact date (one week after receipt).
- Settlement (P3.8) is met when the complaint was settled on or before the
  settlement date that counts. That is four weeks after receipt, unless the
  term was extended: an extension counts when its written notice went out on
  or before the term it replaces (`extension_notice_due_on`: the four weeks,
  or an earlier extension that was told in time). While the notice is still
  owed and that term has not passed, the extension counts provisionally (the
  new date shows everywhere, and the notice is due by the replaced term).
  Once that term has passed without a notice, or the notice went out after
  it, the replaced term counts: the complaint is late or missed, everywhere.
  A settled complaint is judged on the day it was settled, an open one today.
- A term not met whose date has passed is missed; one whose date has not come
  is open, or at risk when few working days are left to act.
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
        left = self.days_left
        if self.deadline is not None and self.deadline.act_by < self.deadline.due:
            # Counted to the last working day the work can be done, not to a weekend day.
            to_act = left - (self.deadline.due - self.deadline.act_by).days
            left = max(to_act, 0)
        if left == 0:
            return _("today")
        return ngettext("%(n)d day left", "%(n)d days left", left) % {"n": left}


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


# --- the one rule (P3.3, P3.8) ------------------------------------------------------


class ExtensionStatus(StrEnum):
    """Whether an extension of the settlement term counts (P3.8)."""

    NONE = "none"  # not extended
    COUNTS = "counts"  # the notice went out on or before the term it replaces
    PROVISIONAL = "provisional"  # the notice is still owed; the replaced term has not passed
    LAPSED = "lapsed"  # the notice went out after the replaced term, or not before it ran out


@dataclass(frozen=True)
class TermFacts:
    """What the terms of one complaint depend on, as the complaint stores it."""

    applies: bool  # False for a message that is not a complaint (P1.2)
    contact_due_on: dt.date
    contacted_on: dt.date | None
    settle_due_on: dt.date  # four weeks after receipt, kept when the term is extended
    settled_on: dt.date | None = None
    extended_until: dt.date | None = None
    # The term the extension replaces: its written notice must go out by this date.
    extension_notice_due_on: dt.date | None = None
    extension_notice_sent_on: dt.date | None = None

    @property
    def settled(self) -> bool:
        return self.settled_on is not None

    @property
    def replaced_term(self) -> dt.date:
        """The term that counts if the extension's notice does not go out in time."""
        if self.extension_notice_due_on is not None:
            return self.extension_notice_due_on
        return self.settle_due_on


@dataclass(frozen=True)
class CountedSettlement:
    due: dt.date  # the settlement date that counts
    extension: ExtensionStatus


def _notice_in_time(facts: TermFacts) -> bool:
    sent = facts.extension_notice_sent_on
    return sent is not None and sent <= facts.replaced_term


def settlement_counted(facts: TermFacts, *, today: dt.date) -> CountedSettlement:
    """The settlement date that counts (P3.8), and whether an extension counts for it.

    An extension counts when its notice went out on or before the term it
    replaces; provisionally while the notice is owed and that term has not
    passed (on the day of settlement for a settled complaint, today otherwise);
    otherwise the replaced term counts.
    """
    if facts.extended_until is None:
        return CountedSettlement(facts.settle_due_on, ExtensionStatus.NONE)
    replaced = facts.replaced_term
    if _notice_in_time(facts):
        return CountedSettlement(facts.extended_until, ExtensionStatus.COUNTS)
    as_of = facts.settled_on if facts.settled_on is not None else today
    if facts.extension_notice_sent_on is None and as_of <= replaced:
        return CountedSettlement(facts.extended_until, ExtensionStatus.PROVISIONAL)
    return CountedSettlement(replaced, ExtensionStatus.LAPSED)


def settlement_in_writing(facts: TermFacts) -> dt.date:
    """The last settlement date the complainant has in writing in time.

    The four weeks, or an extension whose notice went out on or before the term
    it replaced. A new extension replaces this date: its notice is due by it.
    """
    if facts.extended_until is None:
        return facts.settle_due_on
    return facts.extended_until if _notice_in_time(facts) else facts.replaced_term


def contact_term(
    facts: TermFacts, *, today: dt.date, calendar: WorkCalendar, at_risk_working_days: int
) -> TermState:
    """The contact term (P3.3): met when contacted on or before the contact date."""
    return term_state(
        the_deadline=deadline_on(facts.contact_due_on, calendar) if facts.applies else None,
        done_on=facts.contacted_on,
        today=today,
        calendar=calendar,
        at_risk_working_days=at_risk_working_days,
    )


def settle_term(
    facts: TermFacts, *, today: dt.date, calendar: WorkCalendar, at_risk_working_days: int
) -> TermState:
    """The settlement term (P3.8): met when settled on or before the date that counts."""
    due = settlement_counted(facts, today=today).due
    return term_state(
        the_deadline=deadline_on(due, calendar) if facts.applies else None,
        done_on=facts.settled_on,
        today=today,
        calendar=calendar,
        at_risk_working_days=at_risk_working_days,
    )


def notice_term(
    facts: TermFacts, *, today: dt.date, calendar: WorkCalendar, at_risk_working_days: int
) -> TermState | None:
    """The written notice of an extension (P3.8), due by the term the extension replaces.

    None when there is nothing to tell: no extension, not a complaint, or the
    complaint was settled within the replaced term before the notice went out.
    """
    if not facts.applies or facts.extended_until is None:
        return None
    sent = facts.extension_notice_sent_on
    if sent is None and facts.settled_on is not None and facts.settled_on <= facts.replaced_term:
        return None
    return term_state(
        the_deadline=deadline_on(facts.replaced_term, calendar),
        done_on=sent,
        today=facts.settled_on if sent is None and facts.settled_on is not None else today,
        calendar=calendar,
        at_risk_working_days=at_risk_working_days,
    )


@dataclass(frozen=True)
class ComplaintTerms:
    contact: TermState
    settle: TermState
    # The extension's written notice while it matters (see `notice_term`).
    notice: TermState | None = None
    settled: bool = False
    extension: ExtensionStatus = ExtensionStatus.NONE

    @property
    def open_terms(self) -> list[tuple[str, TermState]]:
        """The terms still to be met, by name, the earliest due first (none once settled)."""
        if self.settled:
            return []
        named = [("contact", self.contact), ("settle", self.settle), ("notice", self.notice)]
        waiting = [
            (name, term)
            for name, term in named
            if term is not None and term.deadline is not None and term.done_on is None
        ]
        # On a tie (the replaced term has passed) the settlement goes before its notice.
        return sorted(waiting, key=lambda item: item[1].deadline.due)

    @property
    def next(self) -> TermState | None:
        """The term due first: what the work list sorts by (`next_due_on`)."""
        waiting = self.open_terms
        return waiting[0][1] if waiting else None

    @property
    def next_name(self) -> str | None:
        waiting = self.open_terms
        return waiting[0][0] if waiting else None


def complaint_terms_of(
    facts: TermFacts, *, today: dt.date, calendar: WorkCalendar, at_risk_working_days: int
) -> ComplaintTerms:
    """Every term of one complaint, by the one rule."""
    common = {"today": today, "calendar": calendar, "at_risk_working_days": at_risk_working_days}
    return ComplaintTerms(
        contact=contact_term(facts, **common),
        settle=settle_term(facts, **common),
        notice=notice_term(facts, **common),
        settled=facts.settled,
        extension=settlement_counted(facts, today=today).extension,
    )


def next_due_on(facts: TermFacts) -> dt.date | None:
    """The date of the term due first, for the work list; the same on every day.

    It equals `complaint_terms_of(...).next.deadline.due` whatever today is: while
    an extension's notice is owed, the first thing due is that notice, by the
    term the extension replaces, which is also the term that counts once it has
    passed without one.
    """
    if not facts.applies or facts.settled:
        return None
    dues = []
    if facts.contacted_on is None:
        dues.append(facts.contact_due_on)
    if facts.extended_until is None:
        dues.append(facts.settle_due_on)
    elif facts.extension_notice_sent_on is None:
        dues.append(facts.replaced_term)  # the notice; the settlement is never earlier
    else:
        # The notice went out: in time the extension counts, too late the replaced term.
        dues.append(settlement_in_writing(facts))
    return min(dues)


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
