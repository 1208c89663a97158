from __future__ import annotations

from typing import Any

from django.db import models

from klachtbeheer.core.models import AuditEntry


def audit(*, actor: Any, action: str, target: models.Model, **data: Any) -> AuditEntry:
    """Write an audit row; call it inside the transaction of the change itself."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        data=data,
    )
