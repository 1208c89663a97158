"""Choices of the letters app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from klachtbeheer.complaints.models import ComplainantType, LetterKind

# Letters the system sends by itself; the others wait until staff have seen them.
SENT_AUTOMATICALLY = frozenset({LetterKind.ACKNOWLEDGEMENT})


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", _("E-mail (PDF attached)")
    POST = "post", _("Post (print queue)")


class MessageKind(models.TextChoices):
    LETTER = "letter", _("Letter to the complainant")
    REMINDER = "reminder", _("Reminder to the handler")
    DIGEST = "digest", _("Overdue digest to the quality manager")
    STATUS_LINK = "status_link", _("Status link sent again to the complainant")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed for good")


UWV_CLIENT = "uwv_client"


def next_body_choices() -> list[tuple[str, str]]:
    """Whom a decision letter points to (P4): UWV clients, then each complainant type."""
    return [(UWV_CLIENT, _("UWV client")), *ComplainantType.choices]
