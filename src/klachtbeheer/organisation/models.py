from __future__ import annotations

import copy
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    QUALITY_MANAGER = "quality_manager", _("Quality manager")
    BOARD = "board", _("Board")
    DISTRICT_MANAGER = "district_manager", _("District manager")
    STAFF = "staff", _("Other staff")


# How long a process may go on using the organisation's row it read (Organisation.cached).
ORGANISATION_CACHE_SECONDS = 30.0


class Organisation(models.Model):
    """The organisation and the terms of its procedure: one row (pk=1).

    The terms live here, not in code, so the published procedure and the
    software read the same numbers (P3.3, P3.8).
    """

    name = models.CharField(_("name"), max_length=200, default="IMK")
    complaints_address = models.TextField(
        _("postal address for complaints"),
        default="IMK\nt.a.v. Kwaliteitsmanager\nPostbus 443\n3740 AK Baarn",
    )
    contact_term_days = models.PositiveSmallIntegerField(
        _("contact term (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Days after receipt within which the handler contacts the complainant."),
    )
    settle_term_days = models.PositiveSmallIntegerField(
        _("settlement term (days)"),
        default=28,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Days after receipt within which the complaint is settled."),
    )
    at_risk_working_days = models.PositiveSmallIntegerField(
        _("at risk (working days before the term)"),
        default=2,
        validators=[MaxValueValidator(20)],
    )
    # Retention (issue 10, AVG art. 5(1)(e)): how long each kind of record is kept.
    complaint_retention_months = models.PositiveSmallIntegerField(
        _("keep complaint files (months after closure)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text=_("After this, the complaint is anonymised: only a tombstone for the figures."),
    )
    submission_retention_days = models.PositiveSmallIntegerField(
        _("keep held or rejected submissions and unmatched e-mail (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_("Counted from the day they were dealt with."),
    )
    raw_message_retention_days = models.PositiveSmallIntegerField(
        _("keep raw e-mail messages (days after processing)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
    )
    access_log_retention_months = models.PositiveSmallIntegerField(
        _("keep access-log details (months)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
    )
    board_handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("board member who handles complaints about district managers"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisation")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="organisation_singleton")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)
        Organisation.forget_cached()

    def delete(self, *args, **kwargs):
        Organisation.forget_cached()
        return super().delete(*args, **kwargs)

    @classmethod
    def current(cls) -> Organisation:
        """The row itself, read now: for a page or service that changes it."""
        organisation, _created = cls.objects.get_or_create(pk=1)
        return organisation

    @classmethod
    def cached(cls) -> Organisation:
        """The row as this process read it at most CACHE_SECONDS ago, as a copy of its own.

        For the hot reads (the public form, intake, the page header), which would
        otherwise read the same row once or twice per request (issue 15). A change
        saved in this process is seen at once; other processes see it within
        ORGANISATION_CACHE_SECONDS.
        """
        read = _cached[0]
        moment = time.monotonic()
        if read is None or moment - read[1] >= ORGANISATION_CACHE_SECONDS:
            read = (cls.current(), moment)
            _cached[0] = read
        return copy.copy(read[0])

    @classmethod
    def forget_cached(cls) -> None:
        _cached[0] = None


# (Organisation, when read): Organisation.cached's one row.
_cached: list = [None]


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="staff_profile",
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.STAFF)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return (
            f"{self.user.get_full_name() or self.user.get_username()} ({self.get_role_display()})"
        )


class District(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("district manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="managed_districts",
    )

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PostcodeRange(models.Model):
    """A range of four-digit postcodes (PC4), both ends included."""

    district = models.ForeignKey(
        District, verbose_name=_("district"), on_delete=models.CASCADE, related_name="postcodes"
    )
    first = models.PositiveSmallIntegerField(
        _("from PC4"), validators=[MinValueValidator(1000), MaxValueValidator(9999)]
    )
    last = models.PositiveSmallIntegerField(
        _("to PC4"), validators=[MinValueValidator(1000), MaxValueValidator(9999)]
    )

    class Meta:
        verbose_name = _("postcode range")
        verbose_name_plural = _("postcode ranges")
        ordering = ["first"]
        indexes = [models.Index(fields=["first", "last"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(first__lte=models.F("last")), name="pc4_range_order"
            ),
            models.CheckConstraint(
                condition=Q(first__gte=1000, last__lte=9999), name="pc4_range_bounds"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first}–{self.last}"

    def clean(self) -> None:
        if self.first is None or self.last is None:
            return
        if self.first > self.last:
            raise ValidationError(_("The first postcode must not be above the last."))
        overlapping = PostcodeRange.objects.filter(first__lte=self.last, last__gte=self.first)
        if self.pk:
            overlapping = overlapping.exclude(pk=self.pk)
        clash = overlapping.select_related("district").first()
        if clash:
            raise ValidationError(
                _("This range overlaps %(range)s of district %(district)s."),
                params={"range": str(clash), "district": clash.district.name},
            )


class ClosureDay(models.Model):
    """A day the organisation is closed (besides weekends and public holidays)."""

    date = models.DateField(_("date"), unique=True)
    description = models.CharField(_("description"), max_length=100)

    class Meta:
        verbose_name = _("closure day")
        verbose_name_plural = _("closure days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.description}"
