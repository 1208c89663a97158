"""What the complaint pages show of the e-mail intake, from this app's own templates."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from klachtbeheer.complaints.models import EventKind
from klachtbeheer.mailintake.selectors import messages_to_review_count

register = template.Library()


@register.inclusion_tag("mailintake/includes/review_notice.html", takes_context=True)
def mailintake_review_notice(context) -> dict:
    """For the quality manager: how many e-mails wait for a decision (none for anyone else)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"count": messages_to_review_count(user) if user is not None else 0}


@register.inclusion_tag("mailintake/includes/complaint_emails.html")
def complaint_emails(complaint) -> dict:
    """The e-mails a complaint came from or received, each downloadable as it arrived."""
    return {"messages": list(complaint.inbound_messages.order_by("received_at", "id"))}


@register.simple_tag
def complainant_message_meta(event) -> str:
    """Sender and subject of a message from the complainant on the timeline."""
    if event.kind != EventKind.COMPLAINANT_MESSAGE:
        return ""
    data = event.data or {}
    parts = []
    if data.get("sender"):
        parts.append(format_html("{} {}", _("From:"), data["sender"]))
    if data.get("subject"):
        parts.append(format_html("{} {}", _("Subject:"), data["subject"]))
    if not parts:
        return ""
    return format_html(
        '<p class="kb-timeline__meta">{}</p>', format_html(" · ".join(["{}"] * len(parts)), *parts)
    )
