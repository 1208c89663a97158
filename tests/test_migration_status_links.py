"""intake.0002 moves every status link into complaints, hash and dates unchanged (issue 14).

A link of a registered submission keeps working for its complaint; a held
submission's link is the one the submission points at; a link whose
submission became a complaint later gets that complaint.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("complaints", "0009_extension_notice"), ("intake", "0001_initial")]
AFTER = [
    ("complaints", "0011_statuslink_and_form_of_address"),
    ("intake", "0002_statuslink_moves_to_complaints"),
]


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
def test_every_link_moves_with_its_hash_dates_and_target(latest_afterwards):
    old = _migrate(BEFORE)
    Complaint = old.get_model("complaints", "Complaint")
    Submission = old.get_model("intake", "Submission")
    OldLink = old.get_model("intake", "StatusLink")
    today = dt.date(2026, 3, 2)
    complaint = Complaint.objects.create(
        reference="KL-2026-00001",
        received_on=today,
        channel="web_form",
        complainant_type="client",
        complainant_name="Klager",
        substantiation="Het ging mis.",
        state="received",
        contact_due_on=today + dt.timedelta(days=7),
        settle_due_on=today + dt.timedelta(days=28),
    )
    expires = timezone.now() + dt.timedelta(days=365)
    registered = Submission.objects.create(
        received_on=today, source="web_form", state="registered", complaint=complaint
    )
    held = Submission.objects.create(received_on=today, source="web_form", state="pending")
    OldLink.objects.create(token_hash="a" * 64, submission=registered, expires_at=expires)
    OldLink.objects.create(token_hash="b" * 64, submission=held, expires_at=expires)
    OldLink.objects.create(token_hash="c" * 64, complaint=complaint, expires_at=expires)

    new = _migrate(AFTER)
    Link = new.get_model("complaints", "StatusLink")
    Submission = new.get_model("intake", "Submission")
    assert Link.objects.count() == 3
    assert Link.objects.get(token_hash="a" * 64).complaint_id == complaint.pk  # via submission
    assert Link.objects.get(token_hash="c" * 64).complaint_id == complaint.pk
    held_link = Link.objects.get(token_hash="b" * 64)
    assert held_link.complaint_id is None
    assert Submission.objects.get(pk=held.pk).status_link_id == held_link.pk
    assert Submission.objects.get(pk=registered.pk).status_link.token_hash == "a" * 64
    assert abs(held_link.expires_at - expires) < dt.timedelta(seconds=1)
    _migrate(BEFORE)  # and back; `latest_afterwards` restores the latest state
