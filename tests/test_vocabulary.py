"""History has a vocabulary: event kinds and audit actions are enumerations."""

from __future__ import annotations

import pytest

from klachtbeheer.complaints.models import Complaint
from klachtbeheer.complaints.registry import STEPS
from klachtbeheer.complaints.services import complaint_add_note
from klachtbeheer.core.audit import AuditAction, audit
from klachtbeheer.core.models import AuditEntry
from klachtbeheer.mailintake.constants import InboundStatus
from tests.factories import ComplaintFactory


def test_every_step_has_its_audit_action():
    for step in STEPS:
        assert AuditAction(f"complaint.{step.value}")


def test_every_fate_of_an_e_mail_has_its_audit_action():
    for status in set(InboundStatus) - {InboundStatus.IGNORED}:  # as it arrives
        assert AuditAction(f"mailintake.{status.value}")
    for status in (InboundStatus.COMPLAINT, InboundStatus.REPLY, InboundStatus.IGNORED):
        assert AuditAction(f"mailintake.review.{status.value}")  # after review


@pytest.mark.django_db
def test_an_action_outside_the_vocabulary_is_refused(world):
    complaint = ComplaintFactory()
    with pytest.raises(ValueError):
        audit(actor=world.qm, action="complaint.something_new", target=complaint)
    assert not AuditEntry.objects.filter(action="complaint.something_new").exists()


@pytest.mark.django_db
def test_audit_rows_of_a_step_use_the_vocabulary(world):
    complaint: Complaint = ComplaintFactory()
    complaint_add_note(actor=world.qm, reference=complaint.reference, text="Gebeld.")
    row = AuditEntry.objects.filter(target_id=str(complaint.pk)).latest("id")
    assert row.action == AuditAction.COMPLAINT_NOTE
    assert row.get_action_display() == str(AuditAction.COMPLAINT_NOTE.label)
