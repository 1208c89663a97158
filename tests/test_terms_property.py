"""The SQL that restates the term rule gives what the rule gives (P3.3, P3.8).

The one rule is `klachtbeheer.complaints.terms` (pure, no database). For speed
the register counts it in SQL (`reporting.selectors.with_terms`) and the work
list filters and the dashboard's "open by term" read the stored next term
(`next_due_on`). Hypothesis generates complaints (receipt on any day, around
weekends, public holidays and a closure day; contact or not; an extension or
not, replacing the four weeks or a later term; its notice in time, late or
never; settled or not; any today), saves each, and checks every database answer
against the pure function: the settlement date that counts, met / open /
missed for both terms, the stored next term and the term filters.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from klachtbeheer.complaints.models import Channel, ComplainantType, Complaint, Verdict
from klachtbeheer.complaints.selectors import (
    WorkListFilters,
    complaint_terms,
    work_calendar,
    work_list,
)
from klachtbeheer.complaints.terms import (
    TermFacts,
    TermStatus,
    complaint_terms_of,
    contact_term,
    next_due_on,
    settle_term,
    settlement_counted,
)
from klachtbeheer.complaints.workflow import State
from klachtbeheer.reporting.selectors import open_by_term, with_terms
from tests.factories import ClosureDayFactory

pytestmark = pytest.mark.django_db

D = dt.date
# Days whose neighbourhood matters: Easter 2026 (Good Friday 3 April, Easter Monday
# 6 April), King's Day (Monday 27 April), Liberation Day, Ascension, Whit Monday,
# Christmas with a closure day on 24 December, New Year, and plain weekends.
AROUND = [
    D(2026, 4, 3),
    D(2026, 4, 6),
    D(2026, 4, 27),
    D(2026, 5, 5),
    D(2026, 5, 14),
    D(2026, 5, 25),
    D(2026, 12, 24),
    D(2026, 12, 25),
    D(2027, 1, 1),
    D(2026, 6, 13),
    D(2026, 6, 14),
]
CLOSURE_DAY = D(2026, 12, 24)
# The register says open for a term that is open or at risk.
REGISTER_STATUS = {
    TermStatus.MET: "met",
    TermStatus.MISSED: "missed",
    TermStatus.OPEN: "open",
    TermStatus.AT_RISK: "open",
    TermStatus.NOT_APPLICABLE: "n/a",
}
WORK_LIST_FILTER = {
    TermStatus.MISSED: "missed",
    TermStatus.AT_RISK: "at_risk",
    TermStatus.OPEN: "open",
}


def _near(day: D, before: int, after: int):
    return st.integers(-before, after).map(lambda n: day + dt.timedelta(days=n))


@st.composite
def cases(draw):
    """(facts, today): one complaint's stored dates and the day it is looked at."""
    # Receipt: so that some term lands on or next to a day the organisation does not work.
    anchor = draw(st.sampled_from(AROUND))
    lands = draw(st.sampled_from([0, 7, 28, 42]))
    received = anchor - dt.timedelta(days=lands) + dt.timedelta(days=draw(st.integers(-3, 3)))
    contact_due = received + dt.timedelta(days=7)
    settle_due = received + dt.timedelta(days=28)
    applies = draw(st.sampled_from([True] * 9 + [False]))
    contacted = None
    if draw(st.sampled_from([True, True, False])):
        contacted = draw(_near(contact_due, 7, 4).filter(lambda d: d >= received))
    extended_until = replaced = sent = None
    if draw(st.booleans()):
        # The term the extension replaces: the four weeks, or an earlier extension told in time.
        replaced = settle_due + dt.timedelta(days=draw(st.sampled_from([0, 0, 0, 7, 14])))
        extended_until = replaced + dt.timedelta(days=draw(st.integers(1, 35)))
        if draw(st.sampled_from([True, True, False])):
            sent = draw(_near(replaced, 10, 5))
    settled = None
    if draw(st.booleans()):
        settled = draw(_near(settle_due, 20, 45).filter(lambda d: d >= received))
    # Today: around some term, or anywhere in the three months after receipt.
    around = draw(
        st.sampled_from(
            [contact_due, settle_due, replaced or settle_due, extended_until or settle_due]
        )
    )
    today = draw(_near(around, 8, 4) | _near(received + dt.timedelta(days=45), 45, 45))
    facts = TermFacts(
        applies=applies,
        contact_due_on=contact_due,
        contacted_on=contacted,
        settle_due_on=settle_due,
        settled_on=settled,
        extended_until=extended_until,
        extension_notice_due_on=replaced,
        extension_notice_sent_on=sent,
    )
    return facts, max(today, received)


def _state(facts: TermFacts) -> State:
    if not facts.applies:
        return State.NOT_A_COMPLAINT
    if facts.settled_on is not None:
        return State.DECISION_SENT
    return State.ASSESSING if facts.contacted_on is not None else State.ACCEPTED


def _save(facts: TermFacts) -> Complaint:
    complaint = Complaint(
        reference="KL-2026-99999",
        received_on=facts.contact_due_on - dt.timedelta(days=7),
        channel=Channel.EMAIL,
        complainant_type=ComplainantType.CLIENT,
        complainant_name="Klager Eigenschap",
        substantiation="Gegenereerd.",
        state=_state(facts),
        verdict=Verdict.FOUNDED if facts.applies and facts.settled_on else "",
        contact_due_on=facts.contact_due_on,
        settle_due_on=facts.settle_due_on,
        contacted_on=facts.contacted_on,
        settled_on=facts.settled_on,
        extended_until=facts.extended_until,
        extension_notice_due_on=facts.extension_notice_due_on,
        extension_notice_sent_on=facts.extension_notice_sent_on,
    )
    complaint.refresh_next_due()
    complaint.save()
    return complaint


@pytest.fixture
def ready(world):
    ClosureDayFactory(date=CLOSURE_DAY, description="Kerstsluiting")
    return world


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases())
def test_the_database_counts_the_terms_as_the_rule_does(ready, case):
    facts, today = case
    organisation = ready.organisation
    calendar = work_calendar()
    common = {
        "today": today,
        "calendar": calendar,
        "at_risk_working_days": organisation.at_risk_working_days,
    }
    contact = contact_term(facts, **common)
    settle = settle_term(facts, **common)
    terms = complaint_terms_of(facts, **common)
    expected_next = None if terms.next is None else terms.next.deadline.due
    event(f"extension {terms.extension}, settle {settle.status}, contact {contact.status}")
    event(f"next: {terms.next_name} {terms.next.status if terms.next else ''}")
    with transaction.atomic():
        complaint = _save(facts)
        assert complaint.term_facts == facts
        # The page's terms are the pure function's.
        assert (
            complaint_terms(complaint, calendar=calendar, organisation=organisation, today=today)
            == terms
        )
        # The register (and its exports, the dashboard and the report): SQL.
        row = with_terms(Complaint.objects.filter(pk=complaint.pk), today=today).get()
        if facts.applies:
            assert row.settle_due_counted == settlement_counted(facts, today=today).due
            assert settle.deadline.due == row.settle_due_counted
        assert row.settle_term == REGISTER_STATUS[settle.status], (row.settle_due_counted, settle)
        assert row.contact_term == REGISTER_STATUS[contact.status]
        # The work list: the stored next term is the next term's date, whatever today is.
        assert complaint.next_due_on == expected_next == next_due_on(facts)
        wanted = "none" if terms.next is None else WORK_LIST_FILTER[terms.next.status]
        for name in ("missed", "at_risk", "open", "none"):
            listed = work_list(
                ready.qm,
                filters=WorkListFilters(term=name),
                calendar=calendar,
                organisation=organisation,
                today=today,
            ).exists()
            assert listed == (name == wanted), (name, wanted, terms.next)
        # The dashboard's open complaints by term count the same.
        counts = open_by_term(ready.qm, today=today)
        if complaint.state in (State.ACCEPTED, State.ASSESSING):
            key = {"none": "no_term", "open": "on_schedule"}.get(wanted, wanted)
            assert getattr(counts, key) == 1 == counts.total
        else:
            assert counts.total == 0
        transaction.set_rollback(True)
