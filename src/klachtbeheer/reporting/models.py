from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from klachtbeheer.complaints.models import Complaint


class Satisfaction(models.IntegerChoices):
    VERY_DISSATISFIED = 1, _("Very dissatisfied")
    DISSATISFIED = 2, _("Dissatisfied")
    NEUTRAL = 3, _("Neither satisfied nor dissatisfied")
    SATISFIED = 4, _("Satisfied")
    VERY_SATISFIED = 5, _("Very satisfied")


# An answer this low is flagged to the quality manager.
VERY_UNHAPPY = Satisfaction.VERY_DISSATISFIED


class SatisfactionResponse(models.Model):
    """The complainant's answer to the short survey after the complaint was closed.

    One per complaint. Holds no personal data besides the optional comment.
    """

    complaint = models.OneToOneField(
        Complaint,
        verbose_name=_("complaint"),
        on_delete=models.CASCADE,
        related_name="satisfaction",
    )
    answered_at = models.DateTimeField(_("answered at"), auto_now_add=True)
    score = models.PositiveSmallIntegerField(
        _("satisfaction with the handling"),
        choices=Satisfaction.choices,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    felt_heard = models.BooleanField(_("felt heard"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    flagged = models.BooleanField(
        _("flagged to the quality manager"),
        default=False,
        help_text=_("Set when the answer is very unhappy."),
    )
    followed_up_on = models.DateField(_("followed up on"), null=True, blank=True)
    followed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("followed up by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    follow_up_note = models.TextField(_("follow-up"), blank=True)

    class Meta:
        verbose_name = _("satisfaction answer")
        verbose_name_plural = _("satisfaction answers")
        ordering = ["-answered_at", "-id"]
        indexes = [
            models.Index(fields=["flagged", "followed_up_on"], name="satisfaction_flag_open"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1) & Q(score__lte=5), name="satisfaction_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.score}"


class FigureRow(models.Model):
    """A count of complaints with the same figures (issue 15): the dashboard and the report
    add these up instead of grouping every complaint on every view.

    Written only by the database (`reporting.aggregates`: triggers on the complaints and
    their categories, in the same transaction as the step that changed them). Each change
    appends rows (+n for what is now true, −n for what no longer is), so no two
    transactions ever wait for one row; the daily tick adds the rows of one key together
    (`figures_compact`). Only on PostgreSQL; elsewhere the figures are counted from the
    complaints themselves.

    The columns are what the access rule (P3.2: district, handler, the manager the
    complaint is about) and the figures need; `facet` says which figure a row counts
    (`aggregates.FACETS`), `day` is its date (receipt, settlement, the next term, or the
    date a pending term is missed after), or its month's first day for the month rows.
    """

    facet = models.CharField(max_length=12)
    day = models.DateField(null=True)
    district_id = models.BigIntegerField(null=True)
    handler_id = models.BigIntegerField(null=True)
    manager_concerned_id = models.BigIntegerField(null=True)
    state = models.CharField(max_length=20, default="")
    verdict = models.CharField(max_length=20, default="")
    complainant_type = models.CharField(max_length=20, default="")
    extended = models.BooleanField(default=False)
    settled = models.BooleanField(default=False)
    # met / missed, or pending: missed once `*_until` has passed (the term rule, P3.3, P3.8).
    contact = models.CharField(max_length=8, default="")
    contact_until = models.DateField(null=True)
    settle = models.CharField(max_length=8, default="")
    settle_until = models.DateField(null=True)
    days = models.IntegerField(null=True)
    category_id = models.BigIntegerField(null=True)
    n = models.IntegerField()

    class Meta:
        db_table = "reporting_figure"
        indexes = [models.Index(fields=["facet", "day"], name="figure_facet_day")]

    def __str__(self) -> str:
        return f"{self.facet} {self.day}: {self.n}"


class ExportJob(models.Model):
    """A register export made by the worker into a file (issue 15.5), for its requester only.

    The filters are kept as the query string of the register page; the worker
    applies them with the requester's access at the time of making (P3.2), so
    the file holds what they may see then. The file lives in the data directory
    under `exports/` and is removed by the tick after `EXPORT_KEEP_HOURS`; the
    row stays as the record of the export (the audit log has the same).
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being made")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Removed")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    query = models.TextField(_("filters"), blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.QUEUED)
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("available until"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    file_name = models.CharField(_("file"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("register export")
        verbose_name_plural = _("register exports")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["state", "expires_at"], name="export_job_expiry")]

    def __str__(self) -> str:
        return f"{self.pk} {self.format} {self.state}"
