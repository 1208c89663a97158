"""complaints.0009 fills the extension notice's dates from the notices owed (P3.8).

Before it, whether an extension counted was looked up in the letters owed
(`LetterDue`, kind "extension"); after it the complaint keeps the term the
extension replaces and the day its notice went out, and the stored next term
follows the one rule.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

D = dt.date
BEFORE = [("complaints", "0008_event_kind_letter_sent"), ("letters", "0004_letterdue_table")]
AFTER = [("complaints", "0009_extension_notice")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _migrate_to_latest():
    """Back to the leaf nodes of the graph, so the flush and the tests after this one
    find every table (and the chain's triggers) of the latest migrations."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def latest_afterwards():
    yield
    _migrate_to_latest()


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_notice_dates_and_the_next_term(latest_afterwards):
    old = _migrate(BEFORE)
    Complaint = old.get_model("complaints", "Complaint")
    LetterDue = old.get_model("letters", "LetterDue")
    received = D(2026, 3, 2)  # four weeks: 30 March

    def complaint(ref, **fields):
        return Complaint.objects.create(
            **{
                "reference": ref,
                "received_on": received,
                "channel": "email",
                "complainant_type": "client",
                "complainant_name": "Klager",
                "substantiation": "Het ging mis.",
                "state": "assessing",
                "contact_due_on": received + dt.timedelta(days=7),
                "settle_due_on": received + dt.timedelta(days=28),
                "contacted_on": D(2026, 3, 4),
                **fields,
            }
        )

    def notice(c, until, sent_on=None):
        LetterDue.objects.create(
            complaint=c, kind="extension", sent_on=sent_on, data={"until": until.isoformat()}
        )

    in_time = complaint("KL-2026-00001", extended_until=D(2026, 4, 20), next_due_on=D(2026, 4, 20))
    notice(in_time, D(2026, 4, 20), D(2026, 3, 25))
    late = complaint("KL-2026-00002", extended_until=D(2026, 4, 20), next_due_on=D(2026, 4, 20))
    notice(late, D(2026, 4, 20), D(2026, 4, 1))
    never = complaint("KL-2026-00003", extended_until=D(2026, 4, 20), next_due_on=D(2026, 4, 20))
    notice(never, D(2026, 4, 20))
    # Extended twice: the first notice in time, the second never sent.
    twice = complaint("KL-2026-00004", extended_until=D(2026, 5, 11), next_due_on=D(2026, 5, 11))
    notice(twice, D(2026, 4, 20), D(2026, 3, 25))
    notice(twice, D(2026, 5, 11))
    settled = complaint(
        "KL-2026-00005",
        extended_until=D(2026, 4, 20),
        settled_on=D(2026, 4, 10),
        state="decision_sent",
        verdict="founded",
    )
    notice(settled, D(2026, 4, 20), D(2026, 3, 26))
    plain = complaint("KL-2026-00006", next_due_on=D(2026, 3, 30))

    new = _migrate(AFTER)
    Complaint = new.get_model("complaints", "Complaint")

    def facts(c):
        row = Complaint.objects.get(pk=c.pk)
        return row.extension_notice_due_on, row.extension_notice_sent_on, row.next_due_on

    four_weeks = D(2026, 3, 30)
    assert facts(in_time) == (four_weeks, D(2026, 3, 25), D(2026, 4, 20))
    assert facts(late) == (four_weeks, D(2026, 4, 1), four_weeks)
    assert facts(never) == (four_weeks, None, four_weeks)
    assert facts(twice) == (D(2026, 4, 20), None, D(2026, 4, 20))
    assert facts(settled) == (four_weeks, D(2026, 3, 26), None)
    assert facts(plain) == (None, None, D(2026, 3, 30))
