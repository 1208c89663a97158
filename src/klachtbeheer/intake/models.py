"""Public intake: what arrives from outside before and around a complaint.

A *submission* is one filing through the form or the intake API; a clean one
becomes a complaint at once, one that looks like spam waits for the quality
manager (P2.2: never silently dropped). Files are stored as *uploads* the
moment they arrive. A *status link* lets the complainant follow the complaint
without an account. API keys (per integrating site) and personal staff tokens
are stored hashed; rate-limit buckets hold only a salted hash of an address
and live at most 24 hours.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from klachtbeheer.complaints.models import Complaint, StatusLink
from klachtbeheer.core import clock


class Source(models.TextChoices):
    WEB_FORM = "web_form", _("Web form")
    API = "api", _("Intake API")


class SubmissionState(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    REGISTERED = "registered", _("Registered as a complaint")
    ACCEPTED = "accepted", _("Accepted after review")
    REJECTED = "rejected", _("Rejected after review")


class IntakeApiKey(models.Model):
    """The key of one integrating site that may file complaints through the API."""

    name = models.CharField(_("site"), max_length=100, unique=True)
    prefix = models.CharField(_("key starts with"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("intake API key")
        verbose_name_plural = _("intake API keys")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StaffToken(models.Model):
    """A personal API token of a staff member; the API acts as that person."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("token starts with"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff API token")
        verbose_name_plural = _("staff API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} – {self.name}"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > clock.now()


class Submission(models.Model):
    """One filing through the form or the intake API, clean or held for review."""

    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    received_on = models.DateField(_("date of receipt"))
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    api_key = models.ForeignKey(
        IntakeApiKey,
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="submissions",
    )
    state = models.CharField(
        _("state"), max_length=16, choices=SubmissionState.choices, default=SubmissionState.PENDING
    )
    spam_reasons = models.JSONField(_("why it looks like spam"), default=list, blank=True)
    # The answers, kept only while the submission waits for review.
    data = models.JSONField(_("answers"), default=dict, blank=True)
    complaint = models.OneToOneField(
        Complaint,
        verbose_name=_("complaint"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="submission",
    )
    decided_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision_note = models.TextField(_("review note"), blank=True)
    # The link the form's confirmation gave; it points at the complaint once there is one.
    status_link = models.OneToOneField(
        StatusLink,
        verbose_name=_("status link"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submission",
    )

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["state", "received_at"], name="submission_state_at")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state__in=["registered", "accepted"]) | Q(complaint__isnull=False),
                name="submission_registered_has_complaint",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.received_at:%Y-%m-%d %H:%M}"


def upload_path(instance: Upload, filename: str) -> str:
    # Never the uploader's name: a hash, outside any web root.
    return f"intake/{instance.sha256[:2]}/{instance.sha256}"


class Upload(models.Model):
    """A file as it arrived, before the complaint it belongs to exists."""

    draft_hash = models.CharField(max_length=64, db_index=True, blank=True)
    submission = models.ForeignKey(
        Submission,
        verbose_name=_("submission"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="uploads",
    )
    file = models.FileField(_("file"), upload_to=upload_path, max_length=200)
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("upload")
        verbose_name_plural = _("uploads")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename


class RateLimitSalt(models.Model):
    """A random salt for hashing addresses, one per day, deleted after 24 hours."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    salt = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("rate-limit salt")
        verbose_name_plural = _("rate-limit salts")

    def __str__(self) -> str:
        return f"salt {self.created_at:%Y-%m-%d}"


class RateBucket(models.Model):
    """How often one (hashed) address used one scope in one window."""

    scope = models.CharField(max_length=32)
    key_hash = models.CharField(max_length=64)
    window_start = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("rate-limit bucket")
        verbose_name_plural = _("rate-limit buckets")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key_hash", "window_start"], name="ratebucket_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.window_start:%Y-%m-%d %H:%M} {self.count}"


class SpentChallenge(models.Model):
    """A proof-of-work challenge already used once: a solution counts only once."""

    nonce = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("spent challenge")
        verbose_name_plural = _("spent challenges")

    def __str__(self) -> str:
        return self.nonce
