"""The tick's shortcut in the database finds every complaint the reminder rule reminds of.

`reminders.services.reminder_terms` is the rule (pure): which open terms get a reminder
today. `reminders_possible` restates, in SQL, which complaints can have one, so that the
tick does not work out the terms of every open complaint each minute (issue 15).
Hypothesis generates complaints as the term property tests do (receipt around weekends,
holidays and a closure day; contact, extension, notice and settlement in time, late or
never; any today) and any reminder period, saves each, and checks that every complaint
the rule reminds of is among those the database finds.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from klachtbeheer.complaints.models import Complaint
from klachtbeheer.complaints.selectors import work_calendar
from klachtbeheer.complaints.terms import complaint_terms_of
from klachtbeheer.reminders.services import reminder_terms, reminder_window, reminders_possible
from tests.test_terms_property import _save, cases, ready  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


@st.composite
def reminder_cases(draw):
    """A generated complaint, looked at on any day or in the days before one of its terms."""
    facts, today = draw(cases())
    if draw(st.integers(0, 9)) < 7:
        dates = [
            d
            for d in (
                facts.contact_due_on,
                facts.settle_due_on,
                facts.extended_until,
                facts.extension_notice_due_on,
            )
            if d is not None
        ]
        received = facts.contact_due_on - dt.timedelta(days=7)
        today = max(received, draw(st.sampled_from(dates)) - dt.timedelta(draw(st.integers(0, 12))))
    return facts, today


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=reminder_cases(), working_days=st.integers(0, 6))
def test_the_database_finds_every_complaint_with_a_reminder_due(ready, case, working_days):  # noqa: F811
    facts, today = case
    calendar = work_calendar()
    terms = complaint_terms_of(facts, today=today, calendar=calendar, at_risk_working_days=3)
    due = list(reminder_terms(terms, today=today, calendar=calendar, working_days=working_days))
    event("reminder due" if due else "no reminder")
    with transaction.atomic():
        complaint = _save(facts)
        found = Complaint.objects.filter(
            reminders_possible(today, calendar, working_days), pk=complaint.pk
        ).exists()
        transaction.set_rollback(True)
    if due:
        assert found, (facts, today, working_days, due)
        start, end = reminder_window(today, calendar, working_days)
        assert all(start <= term.deadline.due <= end for _name, term in due)
