"""Sign-in: identities at the organisation's OpenID provider, and service accounts.

A staff member's roles and districts stay in Klachtbeheer (organisation.StaffProfile,
District.manager); an *identity* only says which subject at which provider is which
user. A *service account* is an integration, not a person: it has its own token (stored
as SHA-256), a scope, an expiry and the date it was last used.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from klachtbeheer.core import clock
from klachtbeheer.intake.models import IntakeApiKey


class Identity(models.Model):
    """One subject at one OpenID provider, tied to one Klachtbeheer user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="identities",
    )
    issuer = models.CharField(_("provider"), max_length=255)
    subject = models.CharField(_("subject"), max_length=255)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_login_at = models.DateTimeField(_("last signed in at"), null=True, blank=True)

    class Meta:
        verbose_name = _("single sign-on identity")
        verbose_name_plural = _("single sign-on identities")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="identity_unique_subject")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.issuer}"


class ServiceScope(models.TextChoices):
    INTAKE = "intake", _("Intake only: file complaints (POST /complaints)")
    READ = "read", _("Read only: work list, complaints, timelines")
    STEPS = "steps", _("Steps: read, register complaints and take steps")


class ServiceAccount(models.Model):
    """An integration's access to the API: not a person, one token, one scope."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    scope = models.CharField(_("scope"), max_length=16, choices=ServiceScope.choices)
    # Read and steps: the API acts as this user (no password, no e-mail, never signs in),
    # whose role decides what it sees (complaints_visible_to) and may do.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acts as"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_account",
    )
    # Intake: the token is this site key (the intake API's own client).
    intake_key = models.OneToOneField(
        IntakeApiKey,
        verbose_name=_("site key"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_account",
    )
    prefix = models.CharField(_("token starts with"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("service account")
        verbose_name_plural = _("service accounts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > clock.now()
