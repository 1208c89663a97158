"""What the work list shows of the public intake: form submissions held for review."""

from __future__ import annotations

from django import template

from klachtbeheer.complaints.selectors import work_calendar
from klachtbeheer.complaints.terms import deadline
from klachtbeheer.intake.selectors import pending_submissions
from klachtbeheer.organisation.models import Organisation, Role
from klachtbeheer.organisation.selectors import role_of

register = template.Library()


@register.inclusion_tag("intake/includes/held_notice.html", takes_context=True)
def intake_held_notice(context) -> dict:
    """For the quality manager: held submissions, and the contact term of the oldest (P2.3).

    The terms run from the day it was sent, held or not, so the notice says by
    when the oldest must have been dealt with.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or role_of(user) != Role.QUALITY_MANAGER:
        return {"count": 0}
    pending = pending_submissions()
    count = pending.count()
    if not count:
        return {"count": 0}
    oldest = pending.only("received_on").first()
    organisation = Organisation.current()
    contact_by = deadline(oldest.received_on, organisation.contact_term_days, work_calendar()).due
    return {"count": count, "oldest_on": oldest.received_on, "contact_by": contact_by}
