"""The complainant's status links: minted here, stored as SHA-256 only (P2.1, AVG).

One place mints a link, whoever needs one: the form's confirmation page
(intake), the acknowledgement letter (letters), and the "send me my link
again" page (intake). A token is shown once; a lost one is replaced by a fresh
link, never recovered. Callers own the transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings

from klachtbeheer.complaints.models import Complaint, StatusLink
from klachtbeheer.core import clock


def status_link_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def status_link_mint(complaint: Complaint | None) -> tuple[StatusLink, str]:
    """A new link (256 random bits) valid for INTAKE_STATUS_LINK_DAYS; returns row and token."""
    token = secrets.token_urlsafe(32)
    link = StatusLink.objects.create(
        token_hash=status_link_hash(token),
        complaint=complaint,
        expires_at=clock.now() + dt.timedelta(days=settings.INTAKE_STATUS_LINK_DAYS),
    )
    return link, token
