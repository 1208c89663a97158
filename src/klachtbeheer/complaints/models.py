from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from klachtbeheer.complaints.terms import TermFacts, next_due_on, settlement_counted
from klachtbeheer.complaints.workflow import SETTLED_STATES, State
from klachtbeheer.core import clock
from klachtbeheer.core.chain import ChainedModel
from klachtbeheer.organisation.models import District


class Channel(models.TextChoices):
    POST = "post", _("Post")
    EMAIL = "email", _("E-mail")
    WEB_FORM = "web_form", _("Web form")


class ComplainantType(models.TextChoices):
    # P1.1: commissioning bodies and clients.
    MUNICIPALITY = "municipality", _("Municipality (commissioning body)")
    UWV = "uwv", _("UWV (commissioning body)")
    COMPANY = "company", _("Company (commissioning body)")
    PRIVATE_COMMISSIONER = "private_commissioner", _("Private person as commissioning body")
    CLIENT = "client", _("Client")


class Verdict(models.TextChoices):
    FOUNDED = "founded", _("Founded")
    PARTLY_FOUNDED = "partly_founded", _("Partly founded")
    UNFOUNDED = "unfounded", _("Unfounded")


class FormOfAddress(models.TextChoices):
    """How the complainant wants to be addressed in letters; blank is the neutral form."""

    NEUTRAL = "", _("Neutral (first name and surname)")
    MRS = "mevrouw", _("Mrs (mevrouw)")
    MR = "heer", _("Mr (de heer)")


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    IN_PERSON = "in_person", _("In person")
    VIDEO = "video", _("Video call")
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")


class ReferenceCounter(models.Model):
    """The last reference number used in a year; bumped by one atomic upsert."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("reference counter")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Category(models.Model):
    """A cause or kind of complaint, kept by the quality manager; picked at the verdict (P5.2)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active categories can be picked.")
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# A reference as `services._number` writes it (KL-2026-00042), found in a text.
REFERENCE_PATTERN = re.compile(r"\bKL-\d{4}-\d{5,}\b")


class Complaint(models.Model):
    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    received_on = models.DateField(
        _("date of receipt"), help_text=_("Every term runs from this date (P2.3).")
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)

    complainant_type = models.CharField(
        _("complainant type"), max_length=32, choices=ComplainantType.choices
    )
    complainant_name = models.CharField(_("name"), max_length=200)
    form_of_address = models.CharField(
        _("form of address"),
        max_length=10,
        choices=FormOfAddress.choices,
        blank=True,
        default=FormOfAddress.NEUTRAL,
        help_text=_("How letters address the complainant: “Geachte mevrouw Van Dijk,”."),
    )
    complainant_organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    complainant_email = models.EmailField(_("e-mail address"), blank=True)
    complainant_phone = models.CharField(_("phone number"), max_length=30, blank=True)
    street_address = models.CharField(_("street and number"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=7, blank=True)
    city = models.CharField(_("town"), max_length=100, blank=True)
    is_uwv_client = models.BooleanField(_("UWV client"), default=False)

    service = models.CharField(_("service concerned"), max_length=200, blank=True)
    employee_concerned = models.CharField(_("employee concerned"), max_length=200, blank=True)
    manager_concerned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("district manager concerned"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("A complaint about a district manager goes to the board (P3.2)."),
    )
    substantiation = models.TextField(_("what happened"))
    desired_outcome = models.TextField(_("desired outcome"), blank=True)

    district = models.ForeignKey(
        District,
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_complaints",
    )
    state = models.CharField(
        _("state"), max_length=32, choices=State.choices, default=State.RECEIVED
    )

    contact_due_on = models.DateField(_("contact due"))
    settle_due_on = models.DateField(_("settlement due"))
    extended_until = models.DateField(_("extended until"), null=True, blank=True)
    # P3.8: the term the extension replaces, by which its written notice must go out
    # (what counts when it does not), and the day the notice went out (the letters
    # app records it through `complaint_extension_notice_sent`).
    extension_notice_due_on = models.DateField(
        _("extension notice due"),
        null=True,
        blank=True,
        help_text=_(
            "The term the extension replaces: the written notice must go out by then (P3.8)."
        ),
    )
    extension_notice_sent_on = models.DateField(
        _("extension notice sent on"), null=True, blank=True
    )
    contacted_on = models.DateField(_("contacted on"), null=True, blank=True)
    meeting_at = models.DateTimeField(_("meeting at"), null=True, blank=True)
    meeting_location = models.CharField(_("meeting place"), max_length=200, blank=True)
    verdict = models.CharField(_("verdict"), max_length=20, choices=Verdict.choices, blank=True)
    verdict_reasons = models.TextField(_("reasons"), blank=True)
    decided_on = models.DateField(_("verdict on"), null=True, blank=True)
    settled_on = models.DateField(_("settled on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # The earliest open term; kept by the services so the work list sorts in the index.
    next_due_on = models.DateField(_("next term"), null=True, blank=True)
    categories = models.ManyToManyField(
        Category, verbose_name=_("categories"), blank=True, related_name="complaints"
    )
    # Personal data (issue 10): a legal hold keeps everything; anonymisation leaves a
    # tombstone (reference, dates, channel, type, district, handler, verdict, terms).
    legal_hold_reason = models.TextField(
        _("legal hold"),
        blank=True,
        help_text=_("While set, nothing of this complaint is anonymised."),
    )
    legal_hold_since = models.DateTimeField(_("legal hold since"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    anonymised_because = models.CharField(_("anonymised because"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_on", "-id"]
        indexes = [
            # The work list's whole order (selectors.WORK_LIST_ORDER), alone and after each
            # of its equality filters, so that a first page is read off an index in order,
            # never sorted, whatever the filter (issue 15; a closed complaint has no next
            # term, and most of a million are closed).
            models.Index(fields=["next_due_on", "received_on", "id"], name="complaint_work_order"),
            models.Index(
                fields=["state", "next_due_on", "received_on", "id"], name="complaint_state_order"
            ),
            models.Index(
                fields=["district", "next_due_on", "received_on", "id"],
                name="complaint_district_order",
            ),
            models.Index(
                fields=["handler", "next_due_on", "received_on", "id"],
                name="complaint_handler_order",
            ),
            models.Index(fields=["received_on"], name="complaint_received"),
            models.Index(fields=["settled_on"], name="complaint_settled"),
            models.Index(fields=["complainant_email"], name="complaint_email"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(contact_due_on__gte=models.F("received_on"))
                & Q(settle_due_on__gte=models.F("received_on")),
                name="complaint_terms_after_receipt",
            ),
            models.CheckConstraint(
                condition=(
                    Q(extended_until__isnull=True)
                    & Q(extension_notice_due_on__isnull=True)
                    & Q(extension_notice_sent_on__isnull=True)
                )
                | (
                    Q(extended_until__isnull=False)
                    & Q(extension_notice_due_on__isnull=False)
                    & Q(extended_until__gt=models.F("extension_notice_due_on"))
                ),
                name="complaint_extension_replaces_a_term",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=[State.DECIDED, State.DECISION_SENT, State.CLOSED])
                | ~Q(verdict=""),
                name="complaint_decided_has_verdict",
            ),
            models.CheckConstraint(
                condition=Q(handler__isnull=True)
                | Q(manager_concerned__isnull=True)
                | ~Q(handler=models.F("manager_concerned")),
                name="complaint_not_handled_by_person_concerned",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("complaints:detail", kwargs={"reference": self.reference})

    @property
    def term_facts(self) -> TermFacts:
        """What the terms depend on, for the one rule in `complaints.terms`."""
        return TermFacts(
            applies=self.terms_apply,
            contact_due_on=self.contact_due_on,
            contacted_on=self.contacted_on,
            settle_due_on=self.settle_due_on,
            settled_on=self.settled_on,
            extended_until=self.extended_until,
            extension_notice_due_on=self.extension_notice_due_on,
            extension_notice_sent_on=self.extension_notice_sent_on,
        )

    @property
    def settle_due_effective(self) -> dt.date:
        """The settlement date that counts today (`terms.settlement_counted`, P3.8)."""
        return settlement_counted(self.term_facts, today=clock.today()).due

    @property
    def is_settled(self) -> bool:
        return self.state in SETTLED_STATES

    @property
    def terms_apply(self) -> bool:
        return self.state != State.NOT_A_COMPLAINT

    def refresh_next_due(self) -> None:
        """Store the date of the term due first (`terms.next_due_on`: the same on every day)."""
        self.next_due_on = next_due_on(self.term_facts)


class EventKind(models.TextChoices):
    RECEIVED = "received", _("Received")
    ROUTED = "routed", _("Routed")
    ACCEPTED = "accepted", _("Accepted as a complaint")
    REJECTED = "rejected", _("Not a complaint")
    CONTACT_ATTEMPT = "contact_attempt", _("Contact attempt")
    CONTACTED = "contacted", _("Contact with the complainant")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    MEETING_PLANNED = "meeting_planned", _("Meeting planned")
    MEETING_HELD = "meeting_held", _("Meeting held")
    MEETING_WAIVED = "meeting_waived", _("No meeting")
    VERDICT = "verdict", _("Verdict")
    DECISION_SENT = "decision_sent", _("Decision sent")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    EXTENDED = "extended", _("Term extended")
    REASSIGNED = "reassigned", _("Reassigned")
    PERSON_CONCERNED = "person_concerned", _("Person concerned changed")
    NOTE = "note", _("Note")
    ATTACHMENT = "attachment", _("Attachment added")
    LETTER_OWED = "letter_owed", _("Letter owed to the complainant")
    LETTER_SENT = "letter_sent", _("Letter sent to the complainant")
    COMPLAINANT_MESSAGE = "complainant_message", _("Message from the complainant")
    MEASURE = "measure", _("Measure updated")
    SATISFACTION = "satisfaction", _("Satisfaction survey answered")
    RECTIFIED = "rectified", _("Complainant's details corrected")
    LEGAL_HOLD = "legal_hold", _("Legal hold")
    ANONYMISED = "anonymised", _("Anonymised")


class Event(ChainedModel):
    """One entry of a complaint's timeline; never changed after it is written.

    In the chain (`core.chain`); `text` and `data` are its erasable part, blanked
    when the complaint is anonymised.
    """

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("complaint"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=EventKind.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    internal = models.BooleanField(
        _("internal"), default=True, help_text=_("Internal entries never reach the complainant.")
    )

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["complaint", "-at"], name="event_complaint_at")]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name never contains what the uploader called the file.
    return f"complaints/{instance.complaint_id}/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    complaint = models.ForeignKey(
        Complaint, verbose_name=_("complaint"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    description = models.CharField(_("description"), max_length=200, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.filename


class Effectiveness(models.TextChoices):
    EFFECTIVE = "effective", _("Effective")
    PARTLY_EFFECTIVE = "partly_effective", _("Partly effective")
    NOT_EFFECTIVE = "not_effective", _("Not effective")


class Measure(models.Model):
    """A measure taken because of a complaint (P3.7, ISO 9001 10.2).

    What, who, by when, done when, and the later check whether it worked; the
    reporting app keeps them up to date (`reporting.services.measure_update`).
    """

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("complaint"), on_delete=models.CASCADE, related_name="measures"
    )
    description = models.TextField(_("measure"))
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("carried out by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="measures",
    )
    due_on = models.DateField(_("to be done by"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_note = models.TextField(_("what was done"), blank=True)
    checked_on = models.DateField(_("effectiveness checked on"), null=True, blank=True)
    effectiveness = models.CharField(
        _("did it work?"), max_length=20, choices=Effectiveness.choices, blank=True
    )
    check_note = models.TextField(_("how it was checked"), blank=True)
    last_reminded_on = models.DateField(_("last reminder"), null=True, blank=True)

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["id"]
        indexes = [models.Index(fields=["done_on", "due_on"], name="measure_open_due")]
        constraints = [
            # The effectiveness of a measure is judged after it was carried out.
            models.CheckConstraint(
                condition=Q(checked_on__isnull=True) | Q(done_on__isnull=False),
                name="measure_checked_after_done",
            ),
            models.CheckConstraint(
                condition=(Q(checked_on__isnull=True) & Q(effectiveness=""))
                | (Q(checked_on__isnull=False) & ~Q(effectiveness="")),
                name="measure_check_has_result",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:60]


class LetterKind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement of receipt")
    WITHDRAWAL = "withdrawal", _("Confirmation of withdrawal")
    MEETING_INVITATION = "meeting_invitation", _("Meeting invitation")
    EXTENSION = "extension", _("Notice of extension")
    DECISION = "decision", _("Decision letter")
    NOT_A_COMPLAINT = "not_a_complaint", _("Answer: not a complaint")


class AccessLog(ChainedModel):
    """Every opening of a complaint, and every list showing names: who, when, through
    what (P5.3). A list view has no complaint; `data` (erasable) holds the search and
    the references shown."""

    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("complaint"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    via = models.CharField(_("via"), max_length=32)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["complaint", "-at"], name="accesslog_complaint_at")]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.user_id} {self.at:%Y-%m-%d %H:%M}"


class StatusLink(models.Model):
    """The complainant's unguessable link to the status page; only its SHA-256 is stored.

    Minted by `complaints.status_links` (the form's confirmation, the
    acknowledgement letter, "send me my link again"); a link without a complaint
    belongs to a form submission held for review (intake's `Submission.status_link`).
    """

    token_hash = models.CharField(max_length=64, unique=True)
    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("complaint"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="status_links",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("status link")
        verbose_name_plural = _("status links")

    def __str__(self) -> str:
        return f"status link {self.pk}"
