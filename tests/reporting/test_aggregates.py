"""The dashboard's and the report's aggregates (issue 15) equal a full count, keep the term
rule and the access rule (P3.2, P3.3, P3.8), and cost the same number of queries however
many complaints there are.

PostgreSQL only: the aggregates are kept by its triggers (`reporting.aggregates`); on
SQLite the figures are the full count itself.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from klachtbeheer.complaints import services
from klachtbeheer.complaints.models import Category, ComplainantType, Complaint, Verdict
from klachtbeheer.complaints.selectors import available_steps, complaints_visible_to, work_calendar
from klachtbeheer.complaints.terms import contact_term, settle_term
from klachtbeheer.complaints.workflow import OPEN_STATES, State, Step
from klachtbeheer.core.errors import ProcedureError
from klachtbeheer.reporting import aggregates
from klachtbeheer.reporting.analysis import analyse
from klachtbeheer.reporting.models import FigureRow
from klachtbeheer.reporting.report import annual_report
from klachtbeheer.reporting.selectors import (
    Period,
    complaint_figures_aggregated,
    complaint_figures_counted,
    open_by_term,
)
from tests.conftest import PC_NORTH, PC_SOUTH, PC_VACANT
from tests.factories import ComplaintFactory, take_step
from tests.test_access import KINDS, ROLES, VISIBLE, case  # noqa: F401 (the fixture)
from tests.test_terms_property import REGISTER_STATUS, _save, cases

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the aggregates are PostgreSQL's triggers"
    ),
]

# Today as the factories have it (they receive three days before, and take_step dates
# its steps today); the clock moves on from there.
START = timezone.localdate()
PERIODS = [
    Period(dt.date(2020, 1, 1), dt.date(2035, 12, 31)),
    Period.year(START.year),
    Period(START - dt.timedelta(days=4), START + dt.timedelta(days=20)),  # not whole months
]
# Steps that need more than a valid default (a file) or do not touch the figures' columns.
LEFT_OUT = {Step.ADD_ATTACHMENT, Step.RECTIFY, Step.ADD_NOTE}


def _comparable(figures) -> dict:
    values = dataclasses.asdict(figures)
    for name in ("days_to_contact", "days_to_settle"):
        p = values.pop(name)
        values[name] = (p["n"], pytest.approx(p["median"]), pytest.approx(p["p90"]))
    return values


def assert_aggregates_equal_full_count(users, days):
    for user in users:
        for today in days:
            for period in PERIODS:
                counted = complaint_figures_counted(user, period=period, today=today)
                aggregated = complaint_figures_aggregated(user, period=period, today=today)
                assert _comparable(aggregated) == _comparable(counted), (user, period, today)
            assert open_by_term(user, today=today) == open_by_term(user, today=today, counted=True)


def _grouped_rows() -> dict:
    totals: dict = {}
    for row in FigureRow.objects.values(*aggregates.KEY, "n"):
        key = tuple(row[name] for name in aggregates.KEY)
        totals[key] = totals.get(key, 0) + row["n"]
    return {key: n for key, n in totals.items() if n}


# --- after random sequences of steps ---------------------------------------------------

actions = st.lists(
    st.tuples(
        st.integers(0, 3),  # which complaint
        st.integers(0, 30),  # which of its available steps
        st.integers(0, 9),  # days that pass first
        st.integers(0, 7),  # choices for the step (verdict, categories, handler)
    ),
    min_size=4,
    max_size=25,
)


def _take(world, complaint: Complaint, step: Step, choice: int, categories: list[Category]):
    qm = world.qm
    if step == Step.RECORD_VERDICT:
        verdict = [Verdict.FOUNDED, Verdict.PARTLY_FOUNDED, Verdict.UNFOUNDED][choice % 3]
        picked = [categories[choice % 3]] + ([categories[(choice + 1) % 3]] if choice > 3 else [])
        return take_step(
            step, complaint, actor=qm, verdict=verdict, category_ids=[c.pk for c in picked]
        )
    if step == Step.REASSIGN:
        handler = [world.dm_north, world.dm_south, world.board][choice % 3]
        return take_step(step, complaint, actor=qm, handler_id=handler.pk)
    if step == Step.EXTEND and choice % 2:
        # The notice goes out too, in time or late (P3.8).
        complaint = take_step(step, complaint, actor=qm)
        complaint.refresh_from_db()
        sent = complaint.extension_notice_due_on or complaint.settle_due_on
        sent += dt.timedelta(days=-1 if choice % 4 == 1 else 3)
        with transaction.atomic():
            services.complaint_extension_notice_sent(
                complaint_id=complaint.pk, until=complaint.extended_until, sent_on=sent
            )
        return complaint
    return take_step(step, complaint, actor=qm)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=actions, compact_at=st.integers(0, 30))
def test_the_aggregates_equal_a_full_count_after_any_steps(world, clock, steps, compact_at):
    # No transaction around the example: the services' own are durable. The examples'
    # complaints add up in the test's transaction; the counts must hold for all of them.
    clock(START)
    categories = [
        Category.objects.get_or_create(name=name)[0]
        for name in ("Afspraken", "Bejegening", "Communicatie")
    ]
    complaints = [
        ComplaintFactory(postcode=PC_NORTH, complainant__complainant_type=ComplainantType.CLIENT),
        ComplaintFactory(postcode=PC_SOUTH, complainant__complainant_type=ComplainantType.COMPANY),
        ComplaintFactory(postcode=PC_VACANT),
        ComplaintFactory(postcode=PC_NORTH, manager_concerned=world.dm_north),
    ]
    for number, (which, pick, days, choice) in enumerate(steps):
        if days:
            clock(clock.day + dt.timedelta(days=days))
        complaint = Complaint.objects.get(pk=complaints[which].pk)
        possible = [s for s in available_steps(world.qm, complaint) if s not in LEFT_OUT]
        if possible:
            # A precondition the random walk did not meet: refused, nothing changed.
            with contextlib.suppress(ProcedureError):
                _take(world, complaint, possible[pick % len(possible)], choice, categories)
        if number == compact_at:
            aggregates.figures_compact()
    users = [world.qm, world.board, world.dm_north, world.dm_south, world.staff]
    later = clock.day + dt.timedelta(days=30)
    assert_aggregates_equal_full_count(users, [clock.day, later, START])
    # Counting everything again gives the same counts; so does adding them together.
    before = _grouped_rows()
    aggregates.figures_compact()
    assert _grouped_rows() == before
    aggregates.figures_rebuild()
    assert _grouped_rows() == before


def test_a_bulk_update_and_a_delete_are_counted_too(world, clock):
    clock(START)
    north = [ComplaintFactory(postcode=PC_NORTH) for _ in range(3)]
    take_step(Step.ACCEPT, north[0], actor=world.qm)
    Complaint.objects.filter(pk__in=[c.pk for c in north]).update(complainant_type="company")
    Complaint.objects.filter(pk=north[1].pk).update(received_on=dt.date(2026, 2, 27))
    assert_aggregates_equal_full_count([world.qm, world.dm_north], [START])
    with connection.cursor() as cursor:  # as a restore or a repair might
        cursor.execute("DELETE FROM reporting_figure")
    assert complaint_figures_aggregated(world.qm, period=PERIODS[0], today=START).messages == 0
    aggregates.figures_rebuild()
    assert_aggregates_equal_full_count([world.qm, world.dm_north], [START])


def test_the_open_complaints_by_term_equal_a_full_count_on_any_day(world):
    """The months far off are read whole (`open/m`), the months of today and of the last
    day at risk day by day: on any day, at a month's end or across a year's, the same
    counts as counting the complaints themselves."""
    states = [State.RECEIVED, State.ACCEPTED, State.CONTACTED, State.WITHDRAWN]
    terms = [None, *(dt.date(2025, 10, 3) + dt.timedelta(days=9 * i) for i in range(20))]
    complaints = [
        ComplaintFactory(postcode=[PC_NORTH, PC_SOUTH, PC_VACANT][i % 3]) for i in range(len(terms))
    ]
    for number, (complaint, due) in enumerate(zip(complaints, terms, strict=True)):
        Complaint.objects.filter(pk=complaint.pk).update(next_due_on=due, state=states[number % 4])
    days = [dt.date(2025, 9, 1) + dt.timedelta(days=4 * i) for i in range(60)]
    days += [dt.date(2025, 12, 31), dt.date(2026, 1, 31), dt.date(2026, 2, 28)]
    for user in (world.qm, world.dm_north, world.dm_south, world.staff):
        for today in days:
            counted = open_by_term(user, today=today, counted=True)
            assert open_by_term(user, today=today) == counted, (user, today)
    assert open_by_term(world.qm, today=days[0], counted=True).missed == 0
    assert open_by_term(world.qm, today=days[-1], counted=True).missed > 0
    # Closing one moves it out of both its day and its month.
    Complaint.objects.filter(pk=complaints[1].pk).update(state=State.WITHDRAWN)
    for today in days[::7]:
        assert open_by_term(world.qm, today=today) == open_by_term(
            world.qm, today=today, counted=True
        )


def test_pending_terms_by_month_equal_a_full_count_on_any_day(world):
    """A term not met yet is read from the month rows by the month of its date, and for
    today's month from the rows by its date (`cpend/u`, `spend/u`): on any day, for whole
    months and for the days around them, the same counts as the full count."""
    complaints = [
        ComplaintFactory(postcode=[PC_NORTH, PC_SOUTH, PC_VACANT][i % 3]) for i in range(12)
    ]
    # One about a district manager (P3.2): never in their own figures.
    complaints.append(ComplaintFactory(postcode=PC_NORTH, manager_concerned=world.dm_north))
    for number, complaint in enumerate(complaints):
        received = dt.date(2025, 9, 20) + dt.timedelta(days=11 * number)
        Complaint.objects.filter(pk=complaint.pk).update(
            received_on=received,
            contact_due_on=received + dt.timedelta(days=3 + 5 * (number % 4)),
            settle_due_on=received + dt.timedelta(days=20 + 9 * (number % 5)),
        )
    periods = [
        Period(dt.date(2025, 1, 1), dt.date(2026, 12, 31)),
        Period.year(2025),
        Period(dt.date(2025, 10, 1), dt.date(2026, 1, 31)),
        Period(dt.date(2025, 10, 14), dt.date(2026, 2, 9)),  # not whole months
        Period(dt.date(2025, 11, 3), dt.date(2025, 11, 20)),  # within one month
    ]
    days = [dt.date(2025, 9, 15) + dt.timedelta(days=5 * i) for i in range(40)]
    days += [dt.date(2025, 11, 30), dt.date(2025, 12, 1), dt.date(2025, 12, 31)]
    for user in (world.qm, world.dm_north, world.dm_south):
        for period in periods:
            for today in days:
                counted = complaint_figures_counted(user, period=period, today=today)
                aggregated = complaint_figures_aggregated(user, period=period, today=today)
                assert _comparable(aggregated) == _comparable(counted), (user, period, today)
    somewhere = complaint_figures_counted(world.qm, period=periods[0], today=dt.date(2025, 12, 1))
    assert somewhere.contact["open"] and somewhere.contact["missed"]
    assert somewhere.settle["open"] and somewhere.settle["missed"]


# --- the term rule: the SQL against the pure function ------------------------------------


@pytest.fixture
def ready(world):
    return world


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(example=cases())
def test_the_aggregates_count_the_terms_as_the_rule_does(ready, example):
    """`kb_figure_rows` restates P3.3 and P3.8 in SQL; it gives what `complaints.terms` gives."""
    facts, today = example
    common = {
        "today": today,
        "calendar": work_calendar(),
        "at_risk_working_days": ready.organisation.at_risk_working_days,
    }
    with transaction.atomic():
        received = facts.contact_due_on - dt.timedelta(days=7)
        month = received.replace(day=1)
        # Its day (the day rows) and its whole month (the month rows, and for a term
        # pending until a day of today's month, the rows by that day).
        periods = [
            Period(received, received),
            Period(month, (month + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1)),
        ]
        before = [complaint_figures_aggregated(ready.qm, period=p, today=today) for p in periods]
        _save(facts)
        for period, was in zip(periods, before, strict=True):
            after = complaint_figures_aggregated(ready.qm, period=period, today=today)
            assert after.messages == was.messages + 1
            if not facts.applies:
                assert after.not_a_complaint == was.not_a_complaint + 1
                assert (after.contact, after.settle) == (was.contact, was.settle)
            else:
                contact = REGISTER_STATUS[contact_term(facts, **common).status]
                settle = REGISTER_STATUS[settle_term(facts, **common).status]
                assert after.contact == was.contact | {contact: was.contact[contact] + 1}
                assert after.settle == was.settle | {settle: was.settle[settle] + 1}
        transaction.set_rollback(True)


def test_percentiles_of_counts_are_percentile_cont():
    with connection.cursor() as cursor:
        for values in ([1], [1, 2], [1, 2, 2, 2, 2, 2, 8], [0, 3, 3, 9, 10, 40], [5] * 7 + [6]):
            cursor.execute(
                "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v),"
                " percentile_cont(0.9) WITHIN GROUP (ORDER BY v) FROM unnest(%s::int[]) v",
                [values],
            )
            median, p90 = cursor.fetchone()
            histogram: dict[int, int] = {}
            for v in values:
                histogram[v] = histogram.get(v, 0) + 1
            n, found = aggregates.percentiles_of(histogram)
            assert (n, found[0.5], found[0.9]) == (
                len(values),
                pytest.approx(median),
                pytest.approx(p90),
            )
    assert aggregates.percentiles_of({}) == (0, {0.5: None, 0.9: None})


# --- the access rule (P3.2) --------------------------------------------------------------


def test_the_access_matrix_holds_in_the_aggregates(case):  # noqa: F811 (the fixture)
    """Each kind of complaint on a day of its own: whoever counts it on that day may see it."""
    days = {}
    for number, kind in enumerate(KINDS):
        day = dt.date(2024, 1, 1) + dt.timedelta(days=number)
        Complaint.objects.filter(pk=case.complaints[kind].pk).update(received_on=day)
        days[kind] = day
    for role in ROLES:
        user = case.users[role]
        for kind in KINDS:
            figures = complaint_figures_aggregated(
                user, period=Period(days[kind], days[kind]), today=dt.date(2024, 2, 1)
            )
            assert figures.messages == (1 if kind in VISIBLE[role] else 0), (role, kind)
        # The open complaints now: the same complaints, whatever the day.
        open_now = complaints_visible_to(user).filter(state__in=OPEN_STATES).count()
        assert (
            open_by_term(user).total
            == open_now
            == sum(1 for kind in VISIBLE[role] if case.complaints[kind].state in OPEN_STATES)
        ), role


# --- query counts: constant in the number of complaints ------------------------------------


def _queries(run) -> int:
    with CaptureQueriesContext(connection) as queries:
        run()
    return len(queries)


def _more_complaints(world, n: int):
    for i in range(n):
        complaint = ComplaintFactory(postcode=[PC_NORTH, PC_SOUTH, PC_VACANT][i % 3])
        if i % 3 != 2:  # Vacant has no manager to accept it
            take_step(Step.ACCEPT, complaint, actor=world.qm)


def test_the_dashboard_and_the_report_cost_the_same_queries_at_any_size(world, client, clock):
    clock(START)
    Category.objects.create(name="Afspraken")
    period = Period.year(START.year)
    _more_complaints(world, 2)
    client.force_login(world.qm)
    url = reverse("reporting:dashboard")

    def measure():
        return (
            _queries(lambda: analyse(world.qm, period=period, today=START)),
            _queries(lambda: analyse(world.dm_north, period=period, today=START)),
            _queries(lambda: annual_report(world.qm, year=START.year, today=START)),
            _queries(lambda: client.get(url)),
        )

    few = measure()
    _more_complaints(world, 12)
    many = measure()
    assert many == few
    # The figures themselves: two queries for the counts (a period, the open ones now),
    # none growing with the complaints; the analysis stays well inside its old budget.
    assert few[0] <= 15, few
    assert client.get(url).status_code == 200
