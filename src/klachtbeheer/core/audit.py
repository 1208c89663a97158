"""The audit log: who did what to which object, in the transaction of the change itself.

Every action has one name in `AuditAction`, the log's vocabulary; `audit()`
refuses any other, so an auditor's filter on an action finds every such row.
The complaint steps' names are `complaint.<step>` (one per step of the
procedure; a test holds this list against the step registry).
"""

from __future__ import annotations

from typing import Any

from django.db import models

from klachtbeheer.core.models import AuditAction, AuditEntry

__all__ = ["AuditAction", "audit", "audit_entry", "audit_together"]


def audit(
    *, actor: Any, action: AuditAction | str, target: models.Model, **data: Any
) -> AuditEntry:
    """Write an audit row; call it inside the transaction of the change itself."""
    entry = audit_entry(actor=actor, action=action, target=target, **data)
    entry.save(force_insert=True)
    return entry


def audit_entry(
    *, actor: Any, action: AuditAction | str, target: models.Model, **data: Any
) -> AuditEntry:
    """The audit row `audit` would write, not yet written (for `audit_together`)."""
    action = AuditAction(action)  # ValueError for a name outside the vocabulary
    if target._meta.label_lower == "complaints.complaint":
        complaint_ref = target.pk
    else:
        complaint_ref = getattr(target, "complaint_id", None)
    return AuditEntry(
        complaint_ref=complaint_ref,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action.value,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        data=data,
    )


def audit_together(entries: list[AuditEntry]) -> list[AuditEntry]:
    """Write the rows of one change in one statement, in order (issue 15: intake writes the
    complaint's and the submission's rows together)."""
    return AuditEntry.objects.bulk_create(entries)
