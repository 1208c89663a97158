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

__all__ = ["AuditAction", "audit"]


def audit(
    *, actor: Any, action: AuditAction | str, target: models.Model, **data: Any
) -> AuditEntry:
    """Write an audit row; call it inside the transaction of the change itself."""
    action = AuditAction(action)  # ValueError for a name outside the vocabulary
    if target._meta.label_lower == "complaints.complaint":
        complaint_ref = target.pk
    else:
        complaint_ref = getattr(target, "complaint_id", None)
    return AuditEntry.objects.create(
        complaint_ref=complaint_ref,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action.value,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        data=data,
    )
