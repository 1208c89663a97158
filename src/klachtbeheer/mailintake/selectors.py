"""Reads. The review queue is the quality manager's; an original message is visible to whoever
may see the complaint it belongs to (P5.3)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from klachtbeheer.complaints.selectors import complaint_for
from klachtbeheer.core.errors import NotFoundOrNoAccess
from klachtbeheer.mailintake.constants import InboundStatus
from klachtbeheer.mailintake.models import InboundMessage
from klachtbeheer.organisation.selectors import user_is_quality_manager

REVIEW_VIEWS = {
    "review": [InboundStatus.NEEDS_REVIEW],
    "automatic": [InboundStatus.IGNORED_AUTO],
    "all": list(InboundStatus),
}


def inbound_messages_for(user, *, view: str = "review") -> QuerySet[InboundMessage]:
    """The messages on the review page: none for anyone but the quality manager."""
    if not user_is_quality_manager(user):
        return InboundMessage.objects.none()
    statuses = REVIEW_VIEWS.get(view, REVIEW_VIEWS["review"])
    return (
        InboundMessage.objects.filter(status__in=statuses)
        .select_related("complaint", "reviewed_by")
        .order_by("-received_at", "-id")
    )


def messages_to_review_count(user) -> int:
    return inbound_messages_for(user, view="review").count()


def inbound_message_for(user, *, pk: int, via: str = "") -> InboundMessage:
    """One message: the quality manager sees every one; others only the messages of a
    complaint they may see (the opening of that complaint is logged)."""
    message = InboundMessage.objects.select_related("complaint").filter(pk=pk).first()
    if message is not None and user_is_quality_manager(user):
        if via and message.complaint_id:
            complaint_for(user, reference=message.complaint.reference, via=via)
        return message
    if message is not None and message.complaint_id:
        complaint_for(user, reference=message.complaint.reference, via=via)  # 404 if not visible
        return message
    raise NotFoundOrNoAccess("not_found", _("There is no such message, or you may not see it."))
