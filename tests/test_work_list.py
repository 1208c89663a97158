"""The work list selector: sorted by the next term, term filters that agree with the terms
on the page, and a constant number of queries for a page of 50."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from klachtbeheer.complaints.selectors import (
    WorkListFilters,
    available_steps,
    complaint_terms,
    work_calendar,
    work_list,
)
from klachtbeheer.complaints.terms import TermStatus
from klachtbeheer.complaints.workflow import State, Step
from klachtbeheer.organisation.models import Organisation
from tests.conftest import PC_NORTH, PC_NOWHERE, PC_SOUTH
from tests.factories import ComplaintFactory, User, take_step, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PAGE = 50


def _page(user_pk: int) -> list:
    """What the work list page does: its rows, their district, handler and terms."""
    user = User.objects.get(pk=user_pk)
    organisation = Organisation.current()
    calendar = work_calendar()
    rows = []
    for complaint in work_list(
        user, filters=WorkListFilters(), calendar=calendar, organisation=organisation
    )[:PAGE]:
        terms = complaint_terms(complaint, calendar=calendar, organisation=organisation)
        rows.append(
            (
                complaint.reference,
                complaint.district.name if complaint.district else None,
                complaint.handler.get_full_name() if complaint.handler else None,
                terms.next.words if terms.next else None,
                complaint.get_state_display(),
            )
        )
    return rows


def _count_queries(user) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        rows = _page(user.pk)
    return len(queries), len(rows)


def _register(n: int, world) -> None:
    postcodes = [PC_NORTH, PC_SOUTH, PC_NOWHERE]
    for i in range(n):
        ComplaintFactory(postcode=postcodes[i % 3], received_on=today() - dt.timedelta(days=i % 40))


@pytest.mark.parametrize("who", ["qm", "dm_north"])
def test_work_list_queries_do_not_grow_with_the_rows(world, who):
    user = getattr(world, who)
    _register(3, world)
    few_queries, few_rows = _count_queries(user)
    _register(PAGE + 10, world)
    many_queries, many_rows = _count_queries(user)
    assert few_rows < many_rows
    if who == "qm":
        assert many_rows == PAGE
    assert many_queries == few_queries
    # The user, their profile, the organisation, the closure days, and the rows.
    assert many_queries <= 5


def test_work_list_is_sorted_by_the_next_term(world):
    for days_ago in (1, 10, 5, 30):
        ComplaintFactory(received_on=today() - dt.timedelta(days=days_ago))
    settled = ComplaintFactory(decision_sent=True)
    rows = list(
        work_list(
            world.qm,
            filters=WorkListFilters(),
            calendar=work_calendar(),
            organisation=world.organisation,
        )
    )
    dues = [c.next_due_on for c in rows if c.next_due_on is not None]
    assert dues == sorted(dues)
    assert rows[0].next_due_on < today()  # overdue first
    assert rows[-1] == settled  # no term left: last


def test_term_filters_agree_with_the_terms_on_the_page(world):
    """Each complaint's next term status on the page matches the filter it falls under."""
    for days_ago in range(0, 40):
        complaint = ComplaintFactory(received_on=today() - dt.timedelta(days=days_ago))
        if days_ago % 2:
            complaint = take_step(Step.ACCEPT, complaint, actor=world.qm)
            take_step(Step.RECORD_CONTACT, complaint, actor=world.qm, on=complaint.received_on)
    ComplaintFactory(not_a_complaint=True)
    ComplaintFactory(decision_sent=True)

    organisation = world.organisation
    calendar = work_calendar()
    by_filter = {}
    for term in ("missed", "at_risk", "open", "none"):
        qs = work_list(
            world.qm,
            filters=WorkListFilters(term=term),
            calendar=calendar,
            organisation=organisation,
        )
        by_filter[term] = {c.pk for c in qs}
    everything = work_list(
        world.qm, filters=WorkListFilters(), calendar=calendar, organisation=organisation
    )
    seen = set()
    expected_filter = {
        TermStatus.MISSED: "missed",
        TermStatus.AT_RISK: "at_risk",
        TermStatus.OPEN: "open",
    }
    for complaint in everything:
        nxt = complaint_terms(complaint, calendar=calendar, organisation=organisation).next
        term = expected_filter[nxt.status] if nxt else "none"
        assert complaint.pk in by_filter[term], (complaint.reference, term, nxt)
        seen.add(complaint.pk)
    # Every complaint falls under exactly one filter.
    assert sum(len(pks) for pks in by_filter.values()) == len(seen) == 42
    assert all(by_filter.values())


def test_work_list_filters(world):
    north = ComplaintFactory(postcode=PC_NORTH)
    south = ComplaintFactory(postcode=PC_SOUTH, accepted=True)
    triage = ComplaintFactory(postcode=PC_NOWHERE)

    def pks(user, **kwargs):
        return {
            c.pk
            for c in work_list(
                user,
                filters=WorkListFilters(**kwargs),
                calendar=work_calendar(),
                organisation=world.organisation,
            )
        }

    assert pks(world.qm) == {north.pk, south.pk, triage.pk}
    assert pks(world.qm, district=world.north.pk) == {north.pk}
    assert pks(world.qm, state=State.ACCEPTED) == {south.pk}
    assert pks(world.qm, handler=-1) == {triage.pk}
    assert pks(world.qm, handler=world.dm_south.pk) == {south.pk}
    assert pks(world.dm_north, mine=True) == {north.pk}
    assert pks(world.qm, mine=True) == set()


def test_available_steps_hide_reassign_from_everyone_but_the_quality_manager(world):
    complaint = ComplaintFactory(accepted=True)
    assert Step.REASSIGN in available_steps(world.qm, complaint)
    for user in (world.board, world.dm_north):
        steps = available_steps(user, complaint)
        assert Step.REASSIGN not in steps
        assert Step.RECORD_CONTACT in steps
