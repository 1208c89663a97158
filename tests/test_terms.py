"""Terms (P3.3, P3.8): pure date arithmetic, tested without the database where possible."""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from unittest.mock import patch

import pytest
from django.utils import translation

from klachtbeheer.complaints import terms
from klachtbeheer.complaints.terms import (
    Deadline,
    TermState,
    TermStatus,
    WorkCalendar,
    at_risk_from,
    deadline,
    deadline_on,
    local_date,
    term_state,
)

pytestmark = pytest.mark.usefixtures("english")

AMS = zoneinfo.ZoneInfo("Europe/Amsterdam")
UTC = dt.UTC
D = dt.date
PLAIN = WorkCalendar()


# --- working days ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (D(2026, 1, 1), "Nieuwjaarsdag"),
        (D(2026, 4, 3), "Goede vrijdag"),  # Good Friday
        (D(2026, 4, 6), "Tweede paasdag"),  # Easter Monday
        (D(2025, 4, 18), "Goede vrijdag"),
        (D(2025, 4, 21), "Tweede paasdag"),
        (D(2026, 4, 27), "Koningsdag"),  # a Monday
        (D(2026, 5, 5), "Bevrijdingsdag"),  # not a lustrum year: still closed
        (D(2025, 5, 5), "Bevrijdingsdag"),  # lustrum year
        (D(2027, 5, 5), "Bevrijdingsdag"),
        (D(2026, 5, 14), "Hemelvaartsdag"),
        (D(2026, 5, 25), "Tweede pinksterdag"),
        (D(2026, 12, 25), "Eerste kerstdag"),
        (D(2025, 12, 26), "Tweede kerstdag"),
        (D(2026, 3, 28), "Saturday"),
        (D(2026, 3, 29), "Sunday"),
    ],
)
def test_days_the_organisation_does_not_work(day, reason):
    # Dutch is the interface's first language; weekday words come from the catalogue.
    with translation.override("nl"):
        dutch = PLAIN.why_not_working(day)
    assert dutch == {"Saturday": "zaterdag", "Sunday": "zondag"}.get(reason, reason)
    assert not PLAIN.is_working_day(day)


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (D(2026, 4, 3), "Good Friday"),
        (D(2026, 4, 27), "King's Day"),
        (D(2026, 5, 5), "Liberation Day"),
        (D(2025, 12, 26), "Second Day of Christmas"),
    ],
)
def test_holiday_names_follow_the_language_of_the_page(day, reason):
    assert PLAIN.why_not_working(day) == reason  # the module runs in English


def test_kings_day_moves_to_saturday_when_the_27th_is_a_sunday():
    # 2025: 27 April is a Sunday, King's Day is Saturday 26 April.
    assert D(2025, 4, 27).weekday() == 6
    holidays_2025 = terms._public_holidays(2025, "nl")
    assert holidays_2025[D(2025, 4, 26)] == "Koningsdag"
    assert D(2025, 4, 27) not in holidays_2025
    assert D(2025, 4, 28) not in holidays_2025
    assert PLAIN.is_working_day(D(2025, 4, 28))
    # 2026: the 27th is a Monday and it is King's Day itself.
    assert terms._public_holidays(2026, "nl")[D(2026, 4, 27)] == "Koningsdag"
    assert D(2026, 4, 26) not in terms._public_holidays(2026, "nl")


@pytest.mark.parametrize(
    "day",
    [
        D(2026, 4, 2),  # Maundy Thursday
        D(2026, 4, 7),  # Tuesday after Easter
        D(2026, 4, 28),  # Tuesday after King's Day
        D(2026, 5, 4),  # Remembrance Day is not a day off
        D(2026, 5, 6),
        D(2026, 12, 24),  # Christmas Eve (unless the organisation closes)
        D(2026, 12, 28),
        D(2026, 12, 31),
        D(2026, 3, 30),  # Monday after the change to summer time
        D(2026, 10, 26),  # Monday after the change to winter time
    ],
)
def test_ordinary_working_days(day):
    assert PLAIN.is_working_day(day)
    assert PLAIN.why_not_working(day) is None


def test_closure_days_count_as_not_working():
    calendar = WorkCalendar(closure_days={D(2026, 12, 24): "Kerstsluiting"})
    assert calendar.why_not_working(D(2026, 12, 24)) == "Kerstsluiting"
    assert PLAIN.is_working_day(D(2026, 12, 24))


def test_working_days_between():
    # Thursday 2 April 2026 → Tuesday 7 April: Good Friday, weekend, Easter Monday in between.
    assert PLAIN.working_days_between(D(2026, 4, 2), D(2026, 4, 7)) == 1
    assert PLAIN.working_days_between(D(2026, 4, 7), D(2026, 4, 2)) == -1
    assert PLAIN.working_days_between(D(2026, 4, 2), D(2026, 4, 2)) == 0
    # A plain week: Monday → next Monday is five working days.
    assert PLAIN.working_days_between(D(2026, 6, 1), D(2026, 6, 8)) == 5


# --- deadlines ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "act_by", "why"),
    [
        # A working day: act on the day itself.
        (D(2026, 6, 10), D(2026, 6, 10), []),
        # Weekend → Friday.
        (D(2026, 6, 13), D(2026, 6, 12), ["13-06-2026: Saturday"]),
        (D(2026, 6, 14), D(2026, 6, 12), ["14-06-2026: Sunday", "13-06-2026: Saturday"]),
        # Easter 2026: Monday 6 April back past Sunday, Saturday and Good Friday to Thursday.
        (
            D(2026, 4, 6),
            D(2026, 4, 2),
            [
                "06-04-2026: Tweede paasdag",
                "05-04-2026: Sunday",
                "04-04-2026: Saturday",
                "03-04-2026: Goede vrijdag",
            ],
        ),
        (D(2026, 4, 3), D(2026, 4, 2), ["03-04-2026: Goede vrijdag"]),
        # King's Day 2026 is a Monday → the Friday before.
        (
            D(2026, 4, 27),
            D(2026, 4, 24),
            ["27-04-2026: Koningsdag", "26-04-2026: Sunday", "25-04-2026: Saturday"],
        ),
        # King's Day 2025 on Saturday the 26th; the 27th is an ordinary Sunday.
        (D(2025, 4, 27), D(2025, 4, 25), ["27-04-2025: Sunday", "26-04-2025: Saturday"]),
        (D(2025, 4, 28), D(2025, 4, 28), []),
        # 5 May in a year that is not a lustrum year (2026, a Tuesday) and one that is (2025).
        (D(2026, 5, 5), D(2026, 5, 4), ["05-05-2026: Bevrijdingsdag"]),
        (
            D(2025, 5, 5),
            D(2025, 5, 2),
            ["05-05-2025: Bevrijdingsdag", "04-05-2025: Sunday", "03-05-2025: Saturday"],
        ),
        # Christmas: 2026 on Friday and Saturday; 2025 on Thursday and Friday.
        (
            D(2026, 12, 26),
            D(2026, 12, 24),
            ["26-12-2026: Saturday", "25-12-2026: Eerste kerstdag"],
        ),
        (
            D(2025, 12, 26),
            D(2025, 12, 24),
            ["26-12-2025: Tweede kerstdag", "25-12-2025: Eerste kerstdag"],
        ),
        # New Year's Day 2027 (a Friday) back into the old year.
        (D(2027, 1, 1), D(2026, 12, 31), ["01-01-2027: Nieuwjaarsdag"]),
        # Ascension Day 2026.
        (D(2026, 5, 14), D(2026, 5, 13), ["14-05-2026: Hemelvaartsdag"]),
    ],
)
def test_act_by_is_the_last_working_day_on_or_before_the_due_date(due, act_by, why):
    # Holiday names follow the page's language; these cases are written with the Dutch
    # names, so the English weekday words stay and the holidays are looked up in Dutch.
    with patch.object(terms, "_holiday_language", return_value="nl"):
        result = deadline_on(due, PLAIN)
    assert result == Deadline(due=due, act_by=act_by, reasons=tuple(why))
    if why:
        assert result.explanation.startswith(f"The term ends on {due:%d-%m-%Y}")
        for reason in why:
            assert reason in result.explanation
    else:
        assert result.explanation == ""


def test_closure_days_move_the_act_by_date():
    calendar = WorkCalendar(
        closure_days={
            D(2026, 12, 24): "Kerstsluiting",
            D(2026, 12, 28): "Kerstsluiting",
            D(2026, 12, 29): "Kerstsluiting",
            D(2026, 12, 30): "Kerstsluiting",
            D(2026, 12, 31): "Kerstsluiting",
        }
    )
    with patch.object(terms, "_holiday_language", return_value="nl"):
        result = deadline_on(D(2027, 1, 1), calendar)
    assert result.act_by == D(2026, 12, 23)
    assert result.reasons == (
        "01-01-2027: Nieuwjaarsdag",
        "31-12-2026: Kerstsluiting",
        "30-12-2026: Kerstsluiting",
        "29-12-2026: Kerstsluiting",
        "28-12-2026: Kerstsluiting",
        "27-12-2026: Sunday",
        "26-12-2026: Saturday",
        "25-12-2026: Eerste kerstdag",
        "24-12-2026: Kerstsluiting",
    )
    # A closure day on an ordinary Friday after Ascension Day.
    bridge = WorkCalendar(closure_days={D(2026, 5, 15): "Brugdag"})
    assert deadline_on(D(2026, 5, 17), bridge).act_by == D(2026, 5, 13)


@pytest.mark.parametrize(
    ("received", "days", "due", "act_by"),
    [
        (D(2026, 6, 1), 7, D(2026, 6, 8), D(2026, 6, 8)),
        (D(2026, 6, 1), 28, D(2026, 6, 29), D(2026, 6, 29)),
        # Received the Sunday summer time starts: 7 days is Easter Sunday 2026.
        (D(2026, 3, 29), 7, D(2026, 4, 5), D(2026, 4, 2)),
        (D(2026, 3, 29), 28, D(2026, 4, 26), D(2026, 4, 24)),
        # Received the Sunday summer time ends.
        (D(2026, 10, 25), 7, D(2026, 11, 1), D(2026, 10, 30)),
        (D(2026, 10, 25), 28, D(2026, 11, 22), D(2026, 11, 20)),
        # Across the turn of the year.
        (D(2026, 12, 4), 28, D(2027, 1, 1), D(2026, 12, 31)),
        (D(2024, 2, 1), 28, D(2024, 2, 29), D(2024, 2, 29)),  # leap day
    ],
)
def test_deadline_counts_calendar_days_from_receipt(received, days, due, act_by):
    result = deadline(received, days, PLAIN)
    assert result.due == due
    assert result.act_by == act_by


# --- summer time -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "local"),
    [
        # 29 March 2026, 00:30 CET (before the change at 02:00) = 28 March 23:30 UTC.
        (dt.datetime(2026, 3, 28, 23, 30, tzinfo=UTC), D(2026, 3, 29)),
        (dt.datetime(2026, 3, 28, 22, 59, tzinfo=UTC), D(2026, 3, 28)),
        # 03:30 CEST on the day of the change.
        (dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC), D(2026, 3, 29)),
        # 23:30 CEST that night is still the 29th; 00:30 CEST is the 30th (22:30 UTC).
        (dt.datetime(2026, 3, 29, 21, 30, tzinfo=UTC), D(2026, 3, 29)),
        (dt.datetime(2026, 3, 29, 22, 30, tzinfo=UTC), D(2026, 3, 30)),
        # 25 October 2026, 00:30 CEST = 24 October 22:30 UTC.
        (dt.datetime(2026, 10, 24, 22, 30, tzinfo=UTC), D(2026, 10, 25)),
        (dt.datetime(2026, 10, 24, 21, 59, tzinfo=UTC), D(2026, 10, 24)),
        # The hour 02:00-03:00 happens twice: both are the 25th.
        (dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC), D(2026, 10, 25)),
        (dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC), D(2026, 10, 25)),
        # 23:30 CET on the 25th = 22:30 UTC; 00:30 CET on the 26th = 23:30 UTC.
        (dt.datetime(2026, 10, 25, 22, 30, tzinfo=UTC), D(2026, 10, 25)),
        (dt.datetime(2026, 10, 25, 23, 30, tzinfo=UTC), D(2026, 10, 26)),
    ],
)
def test_received_instant_to_local_date(instant, local):
    assert local_date(instant, AMS) == local
    # The same instant given in local time gives the same date.
    assert local_date(instant.astimezone(AMS), AMS) == local


def test_received_local_midnight_half_past_across_the_changes():
    spring = dt.datetime(2026, 3, 29, 0, 30, tzinfo=AMS)
    autumn = dt.datetime(2026, 10, 25, 0, 30, tzinfo=AMS)
    assert local_date(spring, AMS) == D(2026, 3, 29)
    assert local_date(autumn, AMS) == D(2026, 10, 25)
    # Terms are dates, not durations: +7 and +28 days land on the same weekday,
    # although the clock lost or gained an hour in between.
    for received in (local_date(spring, AMS), local_date(autumn, AMS)):
        for days in (7, 28):
            due = deadline(received, days, PLAIN).due
            assert (due - received).days == days
            assert due.weekday() == received.weekday()


# --- term status -------------------------------------------------------------------


def _state(due, *, today, done_on=None, calendar=PLAIN, at_risk=2) -> TermState:
    return term_state(
        the_deadline=deadline_on(due, calendar),
        done_on=done_on,
        today=today,
        calendar=calendar,
        at_risk_working_days=at_risk,
    )


def test_term_met_and_met_late():
    due = D(2026, 6, 10)
    on_time = _state(due, today=D(2026, 7, 1), done_on=due)
    assert on_time.status == TermStatus.MET
    assert on_time.words == "met on 10-06-2026"
    late = _state(due, today=D(2026, 7, 1), done_on=D(2026, 6, 11))
    assert late.status == TermStatus.MISSED
    assert late.words == "met late, on 11-06-2026"
    assert late.days_left is None


def test_term_done_on_the_due_date_although_act_by_was_earlier_is_met():
    # Due on a Sunday; done on that Sunday still meets the term as the procedure states it.
    due = D(2026, 6, 14)
    assert _state(due, today=due, done_on=due).status == TermStatus.MET


def test_term_open_at_risk_and_missed():
    due = D(2026, 6, 19)  # a Friday
    assert _state(due, today=D(2026, 6, 10)).status == TermStatus.OPEN
    assert _state(due, today=D(2026, 6, 10)).words == "9 days left"
    # Two working days (Thursday, Friday) left: at risk.
    assert _state(due, today=D(2026, 6, 16)).status == TermStatus.OPEN
    assert _state(due, today=D(2026, 6, 17)).status == TermStatus.AT_RISK
    assert _state(due, today=D(2026, 6, 18)).words == "1 day left"
    assert _state(due, today=due).status == TermStatus.AT_RISK
    assert _state(due, today=due).words == "today"
    missed = _state(due, today=D(2026, 6, 20))
    assert missed.status == TermStatus.MISSED
    assert missed.days_left == -1
    assert missed.words == "1 day late"
    assert _state(due, today=D(2026, 6, 22)).words == "3 days late"


def test_term_due_on_a_sunday_is_at_risk_after_the_act_by_date():
    # Due Sunday 5 April 2026 (Easter); the act-by date is Thursday 2 April.
    due = D(2026, 4, 5)
    saturday = _state(due, today=D(2026, 4, 4))
    assert saturday.status == TermStatus.AT_RISK
    assert saturday.days_left == 1
    assert _state(due, today=D(2026, 4, 6)).status == TermStatus.MISSED


def test_a_term_thousands_of_years_ahead_is_open_at_once():
    """Only the first working days are counted: an extension until 9999 (the API takes any
    date) once walked every day in between, some 20 seconds per complaint page."""
    started = time.perf_counter()
    state = _state(D(9999, 12, 31), today=D(2026, 6, 10))
    assert state.status == TermStatus.OPEN
    assert time.perf_counter() - started < 1


def test_term_not_applicable():
    state = term_state(
        the_deadline=None, done_on=None, today=D(2026, 6, 1), calendar=PLAIN, at_risk_working_days=2
    )
    assert state.status == TermStatus.NOT_APPLICABLE
    assert state.words == "not applicable"


CLOSED_AT_CHRISTMAS = WorkCalendar(
    closure_days={D(2025, 12, 24): "Kerstsluiting", D(2025, 12, 29): "Kerstsluiting"}
)


def _days(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


@pytest.mark.parametrize("calendar", [PLAIN, CLOSED_AT_CHRISTMAS], ids=["plain", "closure-days"])
@pytest.mark.parametrize("at_risk", [0, 1, 2, 5])
def test_at_risk_from_agrees_with_term_state(calendar, at_risk):
    """The database filter (due <= at_risk_from) and the status on the page never disagree."""
    periods = [
        (D(2025, 12, 15), D(2026, 1, 6)),  # Christmas and New Year (with closure days)
        (D(2026, 3, 25), D(2026, 4, 30)),  # summer time, Easter, King's Day
        (D(2025, 4, 14), D(2025, 5, 10)),  # Easter, King's Day on Saturday, 5 May lustrum
    ]
    checked = 0
    for first, last in periods:
        for today in _days(first, last):
            limit = at_risk_from(today, at_risk, calendar)
            assert limit >= today
            for due in _days(today - dt.timedelta(days=3), today + dt.timedelta(days=21)):
                status = _state(due, today=today, calendar=calendar, at_risk=at_risk).status
                if due < today:
                    expected = TermStatus.MISSED
                elif due <= limit:
                    expected = TermStatus.AT_RISK
                else:
                    expected = TermStatus.OPEN
                assert status == expected, (today, due, limit)
                checked += 1
    assert checked > 2000


def test_at_risk_from_examples():
    # Wednesday 1 April 2026, two working days: Thursday counts, Good Friday and the
    # Easter weekend do not, Easter Monday does not, Tuesday 7 April is the second.
    assert at_risk_from(D(2026, 4, 1), 2, PLAIN) == D(2026, 4, 7)
    assert at_risk_from(D(2026, 4, 1), 1, PLAIN) == D(2026, 4, 6)
    assert at_risk_from(D(2026, 4, 1), 0, PLAIN) == D(2026, 4, 1)
    # A Friday with no holidays: Monday and Tuesday, up to the day before Wednesday.
    assert at_risk_from(D(2026, 6, 12), 2, PLAIN) == D(2026, 6, 16)


# --- terms of a stored complaint -------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("received", "contact_act_by", "settle_act_by"),
    [
        (D(2026, 3, 29), D(2026, 4, 2), D(2026, 4, 24)),  # to summer time
        (D(2026, 10, 25), D(2026, 10, 30), D(2026, 11, 20)),  # to winter time
        (D(2025, 4, 7), D(2025, 4, 14), D(2025, 5, 2)),  # settlement due 5 May 2025
    ],
)
def test_registered_complaint_terms(world, received, contact_act_by, settle_act_by):
    from klachtbeheer.complaints.selectors import complaint_terms, work_calendar
    from tests.factories import ComplaintFactory

    complaint = ComplaintFactory(received_on=received)
    assert complaint.contact_due_on == received + dt.timedelta(days=7)
    assert complaint.settle_due_on == received + dt.timedelta(days=28)
    result = complaint_terms(
        complaint, calendar=work_calendar(), organisation=world.organisation, today=received
    )
    assert result.contact.deadline.act_by == contact_act_by
    assert result.settle.deadline.act_by == settle_act_by
    assert result.contact.status == TermStatus.OPEN
    # Counted to the act-by date (issue 14.5): "4 days left" when that is a Thursday.
    assert result.contact.words == f"{(contact_act_by - received).days} days left"
    assert result.next is result.contact


@pytest.mark.django_db
def test_closure_days_from_the_database(world):
    from klachtbeheer.complaints.selectors import complaint_terms, work_calendar
    from tests.factories import ClosureDayFactory, ComplaintFactory

    ClosureDayFactory(date=D(2025, 12, 24), description="Kerstsluiting")
    complaint = ComplaintFactory(received_on=D(2025, 11, 28))  # settle due 26-12-2025
    result = complaint_terms(
        complaint, calendar=work_calendar(), organisation=world.organisation, today=D(2025, 12, 1)
    )
    assert result.settle.deadline.due == D(2025, 12, 26)
    assert result.settle.deadline.act_by == D(2025, 12, 23)
    assert "Kerstsluiting" in result.settle.deadline.explanation


@pytest.mark.django_db
def test_extension_changes_the_settlement_term(world):
    from klachtbeheer.complaints.selectors import complaint_terms, work_calendar
    from klachtbeheer.complaints.workflow import Step
    from tests.factories import ComplaintFactory, send_extension_notice, take_step, today

    complaint = ComplaintFactory(contacted=True)
    calendar = work_calendar()

    def settle(c, on):
        return complaint_terms(c, calendar=calendar, organisation=world.organisation, today=on)

    original = complaint.settle_due_on
    assert settle(complaint, today()).settle.deadline.due == original
    late = original + dt.timedelta(days=1)
    assert settle(complaint, late).settle.status == TermStatus.MISSED

    until = original + dt.timedelta(days=21)
    complaint = take_step(Step.EXTEND, complaint, actor=world.qm, until=until)
    assert complaint.settle_due_on == original  # the original term stays on record
    # The written notice goes out today, before the term runs out (P3.8): the new date
    # counts after the four weeks too. (Without it, see tests/test_one_settlement_rule.py.)
    complaint = send_extension_notice(complaint, actor=world.qm)
    assert complaint.extension_notice_sent_on == today()
    extended = settle(complaint, late).settle
    assert extended.deadline.due == until
    assert extended.status in (TermStatus.OPEN, TermStatus.AT_RISK)
    assert extended.days_left == 20
    assert settle(complaint, today()).contact.status == TermStatus.MET
    assert settle(complaint, today()).next.deadline.due == until


@pytest.mark.django_db
def test_settled_complaint_terms_met_or_missed(world):
    from klachtbeheer.complaints.selectors import complaint_terms, work_calendar
    from tests.factories import ComplaintFactory, today

    done = ComplaintFactory(decision_sent=True)
    result = complaint_terms(
        done, calendar=work_calendar(), organisation=world.organisation, today=today()
    )
    assert result.contact.status == TermStatus.MET
    assert result.settle.status == TermStatus.MET
    assert result.next is None

    rejected = ComplaintFactory(not_a_complaint=True)
    result = complaint_terms(
        rejected, calendar=work_calendar(), organisation=world.organisation, today=today()
    )
    assert result.contact.status == TermStatus.NOT_APPLICABLE
    assert result.settle.status == TermStatus.NOT_APPLICABLE


# --- the one settlement rule (P3.8), without the database -------------------------

FOUR_WEEKS = D(2026, 3, 30)  # received Monday 2 March 2026
UNTIL = D(2026, 4, 20)


def _facts(**changes) -> terms.TermFacts:
    base = {
        "applies": True,
        "contact_due_on": D(2026, 3, 9),
        "contacted_on": D(2026, 3, 4),
        "settle_due_on": FOUR_WEEKS,
        "extended_until": UNTIL,
        "extension_notice_due_on": FOUR_WEEKS,
    }
    return terms.TermFacts(**(base | changes))


S = terms.ExtensionStatus


@pytest.mark.parametrize(
    ("changes", "today", "due", "status"),
    [
        (
            {"extended_until": None, "extension_notice_due_on": None},
            D(2026, 4, 7),
            FOUR_WEEKS,
            S.NONE,
        ),
        ({"extension_notice_sent_on": D(2026, 3, 25)}, D(2026, 4, 7), UNTIL, S.COUNTS),
        ({"extension_notice_sent_on": FOUR_WEEKS}, D(2026, 4, 7), UNTIL, S.COUNTS),  # on the day
        ({"extension_notice_sent_on": D(2026, 3, 31)}, D(2026, 4, 7), FOUR_WEEKS, S.LAPSED),
        ({}, D(2026, 3, 30), UNTIL, S.PROVISIONAL),  # the notice can still go out today
        ({}, D(2026, 3, 31), FOUR_WEEKS, S.LAPSED),
        # Settled: judged on the day of settlement, whatever today is.
        ({"settled_on": D(2026, 3, 27)}, D(2026, 6, 1), UNTIL, S.PROVISIONAL),
        ({"settled_on": D(2026, 4, 2)}, D(2026, 6, 1), FOUR_WEEKS, S.LAPSED),
        # A second extension replacing an earlier one told in time (20 April).
        (
            {"extended_until": D(2026, 5, 11), "extension_notice_due_on": UNTIL},
            D(2026, 4, 20),
            D(2026, 5, 11),
            S.PROVISIONAL,
        ),
        (
            {"extended_until": D(2026, 5, 11), "extension_notice_due_on": UNTIL},
            D(2026, 4, 21),
            UNTIL,
            S.LAPSED,
        ),
    ],
)
def test_which_settlement_date_counts(changes, today, due, status):
    assert terms.settlement_counted(_facts(**changes), today=today) == terms.CountedSettlement(
        due, status
    )


@pytest.mark.parametrize(
    ("sent", "settled", "expected"),
    [
        (D(2026, 3, 25), D(2026, 4, 15), TermStatus.MET),  # within the extension
        (D(2026, 3, 25), D(2026, 4, 21), TermStatus.MISSED),
        (D(2026, 4, 1), D(2026, 4, 15), TermStatus.MISSED),  # notice late: 30 March counted
        (None, D(2026, 3, 27), TermStatus.MET),  # settled within the four weeks anyway
        (None, D(2026, 4, 15), TermStatus.MISSED),
    ],
)
def test_settled_in_time_or_not(sent, settled, expected):
    facts = _facts(extension_notice_sent_on=sent, settled_on=settled)
    state = terms.settle_term(facts, today=D(2026, 6, 1), calendar=PLAIN, at_risk_working_days=2)
    assert state.status == expected


def test_the_stored_next_term_is_the_same_on_every_day():
    """`next_due_on` needs no daily update: it is the next term's date whatever today is."""
    cases = [
        _facts(),
        _facts(extension_notice_sent_on=D(2026, 3, 25)),
        _facts(extension_notice_sent_on=D(2026, 4, 1)),
        _facts(contacted_on=None),
        _facts(extended_until=None, extension_notice_due_on=None),
        _facts(extended_until=D(2026, 5, 11), extension_notice_due_on=UNTIL),
    ]
    for facts in cases:
        stored = terms.next_due_on(facts)
        for today in _days(D(2026, 3, 1), D(2026, 5, 31)):
            result = terms.complaint_terms_of(
                facts, today=today, calendar=PLAIN, at_risk_working_days=2
            )
            assert result.next.deadline.due == stored, (facts, today)
    # While the notice is owed it is due first, by the term the extension replaces.
    owed = terms.complaint_terms_of(
        _facts(), today=D(2026, 3, 25), calendar=PLAIN, at_risk_working_days=2
    )
    assert owed.next_name == "notice"
    assert owed.settle.deadline.due == UNTIL
    assert terms.next_due_on(_facts(settled_on=D(2026, 3, 27))) is None
    assert terms.next_due_on(_facts(applies=False)) is None


def test_the_words_count_to_the_act_by_date_not_to_a_sunday():
    """Issue 14.5: due on Sunday 14 June, act by Friday 12 June: on Tuesday 9 June that is
    three days, not five; after the act-by date it is 'today' until the term has passed."""
    due = D(2026, 6, 14)
    assert _state(due, today=D(2026, 6, 9)).words == "3 days left"
    assert _state(due, today=D(2026, 6, 12)).words == "today"
    assert _state(due, today=D(2026, 6, 13)).words == "today"
    assert _state(due, today=D(2026, 6, 15)).words == "1 day late"
