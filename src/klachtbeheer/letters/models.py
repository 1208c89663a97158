"""Letters to the complainant and every outgoing message (P3.4, P3.5, P3.7, P3.8, P4).

A `LetterTemplate` is versioned: editing one adds a version, it never changes
one. A `Letter` is what went out: the exact text and HTML, the template
version it came from, its PDF and that file's SHA-256; only the facts of its
delivery are written later. An `OutgoingMessage` is the outbox: written in
the transaction of the step that causes it, sent by the worker.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from klachtbeheer.complaints.models import Complaint, LetterKind
from klachtbeheer.letters.constants import (
    DeliveryChannel,
    MessageKind,
    MessageStatus,
    next_body_choices,
)


class LetterDue(models.Model):
    """A letter the procedure owes the complainant; fulfilled when it is sent."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("complaint"), on_delete=models.CASCADE, related_name="letters_due"
    )
    kind = models.CharField(_("letter"), max_length=32, choices=LetterKind.choices)
    owed_since = models.DateTimeField(_("owed since"), auto_now_add=True)
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    cancelled_on = models.DateField(
        _("no longer owed since"),
        null=True,
        blank=True,
        help_text=_("Set when the complaint was reopened before this letter went out."),
    )
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("letter owed")
        verbose_name_plural = _("letters owed")
        ordering = ["owed_since", "id"]
        indexes = [models.Index(fields=["sent_on", "kind"], name="letterdue_open")]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.get_kind_display()}"


class LetterSettings(models.Model):
    """How letters and reminders go out: one row (pk=1), edited by the quality manager."""

    sender_city = models.CharField(
        _("place in the date line"), max_length=100, default="Baarn", blank=True
    )
    phone = models.CharField(_("phone in the letterhead"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail address in the letterhead"), blank=True)
    website = models.CharField(_("website in the letterhead"), max_length=100, blank=True)
    reminder_working_days = models.PositiveSmallIntegerField(
        _("remind the handler (working days before a term)"),
        default=2,
        validators=[MaxValueValidator(20)],
        help_text=_("The handler gets one e-mail this many working days before each term."),
    )
    digest_hour = models.PositiveSmallIntegerField(
        _("hour of the daily overdue digest"),
        default=7,
        validators=[MaxValueValidator(23)],
        help_text=_("The quality manager gets the overdue terms once a day from this hour."),
    )

    class Meta:
        verbose_name = _("letter settings")
        verbose_name_plural = _("letter settings")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="letter_settings_singleton")]

    def __str__(self) -> str:
        return str(_("Letter settings"))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> LetterSettings:
        row, _created = cls.objects.get_or_create(pk=1)
        return row


class NextBody(models.Model):
    """Where a complainant who is not satisfied can go next (P4.1, P4.2): data, not code."""

    applies_to = models.CharField(_("for"), max_length=32, choices=next_body_choices, unique=True)
    name = models.CharField(_("name of the body"), max_length=200)
    how_to_reach = models.TextField(
        _("how to reach it"),
        help_text=_("Address, website or phone number, as the decision letter should say it."),
    )

    class Meta:
        verbose_name = _("body for the next step")
        verbose_name_plural = _("bodies for the next step")
        ordering = ["applies_to"]

    def __str__(self) -> str:
        return f"{self.get_applies_to_display()}: {self.name}"


class LetterTemplateQuerySet(models.QuerySet):
    def current(self, kind: str) -> LetterTemplate | None:
        return self.filter(kind=kind).order_by("-version").first()


class LetterTemplate(models.Model):
    """One version of the text of one kind of letter. A new text is a new version."""

    kind = models.CharField(_("letter"), max_length=32, choices=LetterKind.choices)
    version = models.PositiveIntegerField(_("version"))
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(
        _("text"),
        help_text=_(
            "From the salutation to the signature. Blank lines separate paragraphs; lines "
            "starting with “- ” become a list. Placeholders such as {{ naam }} are filled in."
        ),
    )
    created_at = models.DateTimeField(_("made at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = LetterTemplateQuerySet.as_manager()

    class Meta:
        verbose_name = _("letter template")
        verbose_name_plural = _("letter templates")
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="letter_template_version")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise RuntimeError("A letter template version never changes; save a new version")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Letter template versions are kept: letters refer to them")


# The letters' file names, in the complainant's language (letters are Dutch).
FILE_WORDS = {
    "acknowledgement": "ontvangstbevestiging",
    "withdrawal": "bevestiging-intrekking",
    "meeting_invitation": "uitnodiging-gesprek",
    "extension": "verlenging-termijn",
    "decision": "beslissing",
    "not_a_complaint": "reactie-geen-klacht",
}


def letter_pdf_path(instance: Letter, filename: str) -> str:
    return f"letters/{instance.complaint_id}/{instance.uid}.pdf"


# Written once when the letter goes out (or its PDF is made); never the content.
DELIVERY_FIELDS = frozenset({"pdf", "sha256", "size", "sent_on", "posted_by"})


class LetterQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if set(kwargs) - DELIVERY_FIELDS:
            raise RuntimeError("A letter's content never changes")
        return super().update(**kwargs)

    def delete(self):
        raise RuntimeError("Letters are kept: they are what went to the complainant")


class Letter(models.Model):
    """A letter as it went to the complainant: exact text, template version, PDF and hash."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    complaint = models.ForeignKey(
        Complaint, verbose_name=_("complaint"), on_delete=models.PROTECT, related_name="letters"
    )
    due = models.ForeignKey(
        LetterDue,
        verbose_name=_("letter owed"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="letters",
    )
    kind = models.CharField(_("letter"), max_length=32, choices=LetterKind.choices)
    template = models.ForeignKey(
        LetterTemplate, verbose_name=_("template"), on_delete=models.PROTECT, related_name="+"
    )
    template_version = models.PositiveIntegerField(_("template version"))
    our_reference = models.CharField(_("our reference"), max_length=40)
    letter_date = models.DateField(_("date of the letter"))
    subject = models.CharField(_("subject"), max_length=200)
    text = models.TextField(_("exact text"))
    html = models.TextField(_("exact HTML the PDF is made from"))
    calendar = models.TextField(_("calendar file (.ics)"), blank=True)
    channel = models.CharField(_("sent by"), max_length=16, choices=DeliveryChannel.choices)
    recipient_email = models.EmailField(_("to e-mail address"), blank=True)
    created_at = models.DateTimeField(_("made at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    pdf = models.FileField(_("PDF"), upload_to=letter_pdf_path, max_length=200, blank=True)
    sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), null=True, blank=True)
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = LetterQuerySet.as_manager()

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["channel", "sent_on"], name="letter_print_queue"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(channel="email") | ~Q(recipient_email=""),
                name="letter_email_has_address",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.our_reference} {self.get_kind_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise RuntimeError("A letter's content never changes")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Letters are kept: they are what went to the complainant")

    @property
    def filename(self) -> str:
        """A Dutch file name the complainant knows: "KL-2026-00042-ontvangstbevestiging.pdf"."""
        word = FILE_WORDS.get(self.kind, self.kind)
        return f"{self.our_reference}-{word}.pdf".replace("/", "-")


class OutgoingMessageQuerySet(models.QuerySet):
    def due(self, now):
        """Waiting and due, or claimed by a worker that did not finish in time (it died)."""
        return self.filter(
            Q(status=MessageStatus.QUEUED, next_attempt_at__lte=now)
            | Q(status=MessageStatus.SENDING, lease_until__lt=now)
        )


def new_message_id() -> str:
    return uuid.uuid4().hex


class OutgoingMessage(models.Model):
    """The outbox: one e-mail, from the step that caused it until the server took it."""

    token = models.CharField(_("message id"), max_length=32, unique=True, default=new_message_id)
    message_id = models.CharField(_("Message-ID header"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=MessageKind.choices)
    dedupe_key = models.CharField(
        _("sent once per"),
        max_length=200,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Reminders and digests: the same key is never queued twice."),
    )
    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("complaint"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    letter = models.OneToOneField(
        Letter,
        verbose_name=_("letter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="message",
    )
    # A reminder or digest can name several complaints; whoever may not see one of
    # them does not see the message either (P3.2). Filled by `outbox_queue`.
    mentions = models.ManyToManyField(
        Complaint,
        verbose_name=_("complaints named"),
        blank=True,
        related_name="+",
        help_text=_("Every complaint the message names, by reference."),
    )
    to = models.EmailField(_("to"))
    from_email = models.CharField(_("from"), max_length=200)
    subject = models.CharField(_("subject"), max_length=250)
    body = models.TextField(_("text"))
    status = models.CharField(
        _("status"), max_length=16, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    objects = OutgoingMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outbox")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="outbox_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.to}: {self.subject}"
