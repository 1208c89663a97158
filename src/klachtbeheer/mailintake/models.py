from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from klachtbeheer.complaints.models import Complaint
from klachtbeheer.mailintake.constants import InboundSource, InboundStatus, describe


def raw_message_path(instance: InboundMessage, filename: str) -> str:
    # By content: a retry after a crash finds the file it already wrote.
    return f"mail/{instance.sha256[:2]}/{instance.sha256}.eml"


class InboundMessage(models.Model):
    """One e-mail as it arrived (the .eml, P2.1) and what became of it.

    The `message_key` (its Message-ID, else a hash of its bytes) is unique: a
    message fetched twice, or again after a crash between storing and flagging,
    finds this row and is never made into a second complaint.
    """

    message_key = models.CharField(_("message key"), max_length=80, unique=True, editable=False)
    message_id = models.TextField(_("Message-ID"), blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    raw = models.FileField(_("original message (.eml)"), upload_to=raw_message_path, max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    source = models.CharField(_("arrived through"), max_length=8, choices=InboundSource.choices)
    folder = models.CharField(_("mailbox folder"), max_length=200, blank=True)
    imap_uid = models.CharField(_("IMAP UID"), max_length=20, blank=True)
    received_at = models.DateTimeField(
        _("received at"),
        help_text=_("When it reached our mailbox; its date is the date of receipt."),
    )
    stored_at = models.DateTimeField(_("stored at"), auto_now_add=True)

    sender_email = models.CharField(_("sender"), max_length=254, blank=True)
    sender_name = models.CharField(_("sender name"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("sent at (Date header)"), null=True, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    attachment_names = models.JSONField(_("attachments"), default=list, blank=True)

    status = models.CharField(_("status"), max_length=16, choices=InboundStatus.choices)
    problems = models.JSONField(
        _("reasons"),
        default=list,
        blank=True,
        help_text=_("Why it is ignored or waits for a person: codes with their details."),
    )
    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("complaint"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inbound_messages",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)

    class Meta:
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mail")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-received_at"], name="inbound_status_received"),
            models.Index(fields=["sender_email"], name="inbound_sender"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=[InboundStatus.COMPLAINT, InboundStatus.REPLY])
                | Q(complaint__isnull=False),
                name="inbound_complaint_or_reply_has_complaint",
            ),
            models.CheckConstraint(
                condition=~Q(status=InboundStatus.IGNORED) | ~Q(review_note=""),
                name="inbound_ignored_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender_email or '?'}: {self.subject or '—'}"

    def get_absolute_url(self) -> str:
        return reverse("mailintake:detail", kwargs={"pk": self.pk})

    @property
    def reasons(self) -> list[str]:
        """The stored reasons in the page's language."""
        return [describe(entry) for entry in self.problems or []]

    @property
    def open_for_review(self) -> bool:
        return self.status in (InboundStatus.NEEDS_REVIEW, InboundStatus.IGNORED_AUTO)
