"""Reads for the register and its analysis (P5.1, P5.2).

Every row, export, figure and report starts from `complaints_visible_to(user)`:
a district manager never counts, sees or exports a complaint about themselves
(P3.2). Everything is counted by the database (grouped aggregates, one query
per figure group); nothing loops over complaints in Python.

How the figures count (the report says the same in words):
- A complaint belongs to the period in which it was **received** (P2.3). Only
  the "settled per month" series counts by the date of settlement, so a
  complaint received in December and settled in January is received in one
  year and settled in the next.
- Messages found **not to be a complaint** (P1.2) are counted apart and left
  out of every other figure; the terms do not apply to them.
- **Withdrawn** complaints (P3.4) are settled on the day of withdrawal: they
  count for the terms and lead times, and have no verdict.
- The terms count by the one rule of `complaints.terms`, the same as the
  complaint page, the work list, the reminders and the API. **Contact term**
  met: contacted on or before the contact date (P3.3). **Settlement term**
  met: settled on or before the settlement date that counts: the extended
  date when the written notice of the extension went out on or before the
  term it replaces (P3.8; provisionally while the notice is owed and that term
  has not passed), otherwise the replaced term (the four weeks, or an earlier
  extension told in time). A term not met yet whose date has passed is
  missed; one whose date has not come is still open, and left out of the
  share met.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    F,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from klachtbeheer.complaints.models import (
    Category,
    Complaint,
    Measure,
    Verdict,
)
from klachtbeheer.complaints.selectors import complaints_visible_to, work_calendar
from klachtbeheer.complaints.terms import at_risk_from
from klachtbeheer.complaints.workflow import OPEN_STATES, State
from klachtbeheer.core import clock
from klachtbeheer.organisation.models import District, Organisation, Role
from klachtbeheer.organisation.selectors import role_of
from klachtbeheer.reporting import aggregates
from klachtbeheer.reporting.db import DaysBetween, percentiles
from klachtbeheer.reporting.models import VERY_UNHAPPY, SatisfactionResponse

MET, MISSED, OPEN, NOT_APPLICABLE = "met", "missed", "open", "n/a"
# Roles that see the register and the dashboard (each only what they may see).
ANALYSIS_ROLES = (Role.QUALITY_MANAGER, Role.BOARD, Role.DISTRICT_MANAGER)
# Roles for whom the annual report is made: it speaks for the whole organisation.
REPORT_ROLES = (Role.QUALITY_MANAGER, Role.BOARD)


def may_analyse(user) -> bool:
    return role_of(user) in ANALYSIS_ROLES


def may_report(user) -> bool:
    return role_of(user) in REPORT_ROLES


# --- periods -----------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # included

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))

    @property
    def is_calendar_year(self) -> bool:
        return (self.start.month, self.start.day, self.end.month, self.end.day) == (1, 1, 12, 31)

    def previous_year(self) -> Period:
        """The same dates one year earlier (29 February becomes 28 February)."""

        def back(day: dt.date) -> dt.date:
            try:
                return day.replace(year=day.year - 1)
            except ValueError:
                return day.replace(year=day.year - 1, day=28)

        return Period(back(self.start), back(self.end))

    def months(self) -> list[dt.date]:
        """The first day of every month the period touches."""
        months, day = [], self.start.replace(day=1)
        while day <= self.end:
            months.append(day)
            day = (day + dt.timedelta(days=32)).replace(day=1)
        return months


# --- terms, in the database ----------------------------------------------------


def with_terms(queryset: QuerySet[Complaint], *, today: dt.date) -> QuerySet[Complaint]:
    """Annotate each complaint with its terms as the register counts them.

    The one rule of `complaints.terms` (`settlement_counted`, `contact_term`,
    `settle_term`) in SQL, so the database counts; tests/test_terms_property.py
    holds the two together. `settle_due_counted`: the settlement date that
    counts; `contact_term` and `settle_term`: met, missed, open or n/a;
    `days_to_contact`, `days_to_settle`: whole days from receipt, or NULL.
    """
    not_a_complaint = Q(state=State.NOT_A_COMPLAINT)
    # The term the extension replaces: its notice must go out by then, or it counts.
    replaced = Coalesce(F("extension_notice_due_on"), F("settle_due_on"))
    # A settled complaint is judged on the day it was settled, an open one today.
    as_of = Coalesce(F("settled_on"), Value(today), output_field=DateField())
    return queryset.annotate(
        settle_due_counted=Case(
            When(extended_until__isnull=True, then=F("settle_due_on")),
            # The notice went out by the replaced term: the extension counts.
            When(
                Q(extension_notice_sent_on__isnull=False)
                & LessThanOrEqual(F("extension_notice_sent_on"), replaced),
                then=F("extended_until"),
            ),
            # Still owed and the replaced term has not passed: it counts provisionally.
            When(
                Q(extension_notice_sent_on__isnull=True) & GreaterThanOrEqual(replaced, as_of),
                then=F("extended_until"),
            ),
            default=replaced,
            output_field=DateField(),
        ),
    ).annotate(
        contact_term=Case(
            When(not_a_complaint, then=Value(NOT_APPLICABLE)),
            When(contacted_on__lte=F("contact_due_on"), then=Value(MET)),
            When(contacted_on__isnull=False, then=Value(MISSED)),
            When(contact_due_on__lt=today, then=Value(MISSED)),
            default=Value(OPEN),
            output_field=CharField(),
        ),
        settle_term=Case(
            When(not_a_complaint, then=Value(NOT_APPLICABLE)),
            When(settled_on__lte=F("settle_due_counted"), then=Value(MET)),
            When(settled_on__isnull=False, then=Value(MISSED)),
            When(settle_due_counted__lt=today, then=Value(MISSED)),
            default=Value(OPEN),
            output_field=CharField(),
        ),
        days_to_contact=DaysBetween("received_on", "contacted_on"),
        days_to_settle=DaysBetween("received_on", "settled_on"),
    )


# --- the register ---------------------------------------------------------------


TERMS_FILTERS = ("met", "missed", "open")
NO_VALUE = "none"  # filter value for "no category" / "no verdict yet"


@dataclass(frozen=True)
class RegisterFilters:
    received_from: dt.date | None = None
    received_until: dt.date | None = None
    district: int | None = None
    complainant_type: str = ""
    channel: str = ""
    category: int | str | None = None  # a category id, or NO_VALUE
    verdict: str = ""  # a Verdict, or NO_VALUE
    state: str = ""
    terms: str = ""  # met (every term), missed (any term), open (none missed, one open)


def register(
    user, *, filters: RegisterFilters, today: dt.date | None = None
) -> QuerySet[Complaint]:
    """The register rows `user` may see, filtered, oldest receipt first."""
    today = today or clock.today()
    qs = complaints_visible_to(user)
    if filters.received_from:
        qs = qs.filter(received_on__gte=filters.received_from)
    if filters.received_until:
        qs = qs.filter(received_on__lte=filters.received_until)
    if filters.district:
        qs = qs.filter(district_id=filters.district)
    if filters.complainant_type:
        qs = qs.filter(complainant_type=filters.complainant_type)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.category == NO_VALUE:
        qs = qs.filter(categories__isnull=True)
    elif filters.category:
        qs = qs.filter(
            pk__in=Complaint.categories.through.objects.filter(category_id=filters.category).values(
                "complaint_id"
            )
        )
    if filters.verdict == NO_VALUE:
        qs = qs.filter(verdict="")
    elif filters.verdict:
        qs = qs.filter(verdict=filters.verdict)
    if filters.state:
        qs = qs.filter(state=filters.state)
    qs = with_terms(qs, today=today)
    if filters.terms == "met":
        qs = qs.filter(contact_term=MET, settle_term=MET)
    elif filters.terms == "missed":
        qs = qs.filter(Q(contact_term=MISSED) | Q(settle_term=MISSED))
    elif filters.terms == "open":
        qs = qs.exclude(contact_term=MISSED).exclude(settle_term=MISSED)
        qs = qs.filter(Q(contact_term=OPEN) | Q(settle_term=OPEN))
    return (
        qs.select_related("district", "handler")
        .prefetch_related(
            Prefetch("categories", queryset=Category.objects.order_by("name")),
            Prefetch("measures", queryset=Measure.objects.order_by("id")),
        )
        .order_by("received_on", "id")
    )


# --- the dashboard and the report -------------------------------------------------


@dataclass
class Distribution:
    """Counts by some key, largest first (labels are filled in by the caller)."""

    rows: list[tuple[str, int]]

    @property
    def total(self) -> int:
        return sum(n for _key, n in self.rows)


@dataclass
class Percentiles:
    n: int
    median: float | None
    p90: float | None


@dataclass
class Figures:
    period: Period
    today: dt.date
    messages: int = 0  # everything received, complaints and not
    not_a_complaint: int = 0
    complaints: int = 0
    withdrawn: int = 0
    extended: int = 0
    settled: int = 0  # of the complaints received in the period, settled by now
    still_open: int = 0
    founded: int = 0
    partly_founded: int = 0
    unfounded: int = 0
    contact: dict[str, int] = field(default_factory=dict)  # met, missed, open
    settle: dict[str, int] = field(default_factory=dict)
    received_per_month: list[tuple[dt.date, int]] = field(default_factory=list)
    settled_per_month: list[tuple[dt.date, int]] = field(default_factory=list)
    per_district: list[tuple[str | None, int]] = field(default_factory=list)
    per_type: list[tuple[str, int]] = field(default_factory=list)
    per_category: list[tuple[str | None, int]] = field(default_factory=list)
    days_to_contact: Percentiles | None = None
    days_to_settle: Percentiles | None = None

    @property
    def judged(self) -> int:
        return self.founded + self.partly_founded + self.unfounded

    @property
    def founded_or_partly(self) -> int:
        return self.founded + self.partly_founded

    @staticmethod
    def share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def founded_share(self) -> float | None:
        return self.share(self.founded_or_partly, self.judged)

    @property
    def contact_met_share(self) -> float | None:
        return self.share(
            self.contact.get(MET, 0), self.contact.get(MET, 0) + self.contact.get(MISSED, 0)
        )

    @property
    def settle_met_share(self) -> float | None:
        return self.share(
            self.settle.get(MET, 0), self.settle.get(MET, 0) + self.settle.get(MISSED, 0)
        )


def complaint_figures(user, *, period: Period, today: dt.date | None = None) -> Figures:
    """Every figure of the dashboard and the report for the complaints received in `period`.

    On PostgreSQL from the counts the database keeps (`reporting.aggregates`, issue
    15): a constant number of queries over a few hundred rows, whatever the number
    of complaints. Elsewhere counted from the complaints (`complaint_figures_counted`).
    """
    today = today or clock.today()
    if aggregates.available():
        return complaint_figures_aggregated(user, period=period, today=today)
    return complaint_figures_counted(user, period=period, today=today)


def _count_group(figures, state: str, verdict: str, extended: bool, settled: bool, n: int) -> bool:
    """Add `n` messages of one state and verdict to `figures`, from the aggregates and from
    the full count alike; False for messages that were not a complaint (counted apart)."""
    figures.messages += n
    if state == State.NOT_A_COMPLAINT:
        figures.not_a_complaint += n
        return False
    figures.withdrawn += n if state == State.WITHDRAWN else 0
    figures.still_open += n if state in OPEN_STATES else 0
    figures.extended += n if extended else 0
    figures.settled += n if settled else 0
    if verdict == Verdict.FOUNDED:
        figures.founded += n
    elif verdict == Verdict.PARTLY_FOUNDED:
        figures.partly_founded += n
    elif verdict == Verdict.UNFOUNDED:
        figures.unfounded += n
    return True


def complaint_figures_aggregated(user, *, period: Period, today: dt.date) -> Figures:
    """`complaint_figures` from the aggregates: the same figures, the same rules."""
    figures = Figures(period=period, today=today)
    figures.contact = dict.fromkeys((MET, MISSED, OPEN), 0)
    figures.settle = dict.fromkeys((MET, MISSED, OPEN), 0)
    rows = aggregates.by_facet(
        aggregates.period_rows(user, start=period.start, end=period.end, today=today)
    )
    for _m, _d, state, verdict, _t, extended, settled, contact, settle, *_x, n in rows[
        "main", "all"
    ]:
        if not _count_group(figures, state, verdict, extended, settled, n):
            continue
        # A term not done yet is counted from its own rows below (missed or open today).
        if contact != aggregates.LATER:
            figures.contact[contact] += n
        if settle != aggregates.LATER:
            figures.settle[settle] += n
    figures.complaints = figures.messages - figures.not_a_complaint
    # (month, district, state, verdict, type, extended, settled, contact, settle, days,
    # category, n); the grouping says which of them are filled in.
    counts: dict[tuple[str, str, int], dict] = {}
    for facet, split, at in (
        ("main", "month", 0),
        ("main", "district", 1),
        ("main", "kind", 4),
        ("cpend", "all", 7),
        ("spend", "all", 8),
        ("settled", "month", 0),
        ("category", "all", 10),
        ("contact", "all", 9),
        ("settle", "all", 9),
    ):
        store = counts.setdefault((facet, split, at), {})
        for row in rows[facet, split]:
            if row[2] != State.NOT_A_COMPLAINT:
                store[row[at]] = store.get(row[at], 0) + row[-1]
    by_month = counts["main", "month", 0]
    by_district = counts["main", "district", 1]
    by_type = counts["main", "kind", 4]
    for status, n in counts["cpend", "all", 7].items():
        figures.contact[status] += n
    for status, n in counts["spend", "all", 8].items():
        figures.settle[status] += n
    settled_by_month = counts["settled", "month", 0]
    categories = counts["category", "all", 10]
    contact_days = counts["contact", "all", 9]
    settle_days = counts["settle", "all", 9]
    months = period.months()
    figures.received_per_month = [(m, by_month.get(m, 0)) for m in months]
    figures.settled_per_month = [(m, settled_by_month.get(m, 0)) for m in months]
    names = dict(
        District.objects.filter(pk__in=[d for d in by_district if d]).values_list("pk", "name")
    )
    figures.per_district = _largest_first((names.get(d), n) for d, n in by_district.items() if n)
    figures.per_type = _largest_first((t, n) for t, n in by_type.items() if n)
    labels = dict(
        Category.objects.filter(pk__in=[c for c in categories if c]).values_list("pk", "name")
    )
    figures.per_category = _largest_first(
        (labels.get(c) if c else None, n) for c, n in categories.items() if n
    )
    n, values = aggregates.percentiles_of(contact_days)
    figures.days_to_contact = Percentiles(n, values[0.5], values[0.9])
    n, values = aggregates.percentiles_of(settle_days)
    figures.days_to_settle = Percentiles(n, values[0.5], values[0.9])
    return figures


def complaint_figures_counted(user, *, period: Period, today: dt.date) -> Figures:
    """`complaint_figures` counted from the complaints themselves (the full count)."""
    visible = complaints_visible_to(user)
    received = visible.filter(received_on__gte=period.start, received_on__lte=period.end)
    complaints = received.exclude(state=State.NOT_A_COMPLAINT)
    figures = Figures(period=period, today=today)

    # One grouped query: the terms are worked out once per complaint, and what comes
    # back is one row per combination (a few dozen), never one per complaint.
    groups = (
        with_terms(received, today=today)
        .annotate(
            is_extended=Case(
                When(extended_until__isnull=False, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            is_settled=Case(
                When(settled_on__isnull=False, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .order_by()
        .values_list("state", "verdict", "contact_term", "settle_term", "is_extended", "is_settled")
        .annotate(n=Count("pk"))
    )
    figures.contact = dict.fromkeys((MET, MISSED, OPEN), 0)
    figures.settle = dict.fromkeys((MET, MISSED, OPEN), 0)
    for state, verdict, contact_term, settle_term, is_extended, is_settled, n in groups:
        if not _count_group(figures, state, verdict, is_extended, is_settled, n):
            continue
        figures.contact[contact_term] += n
        figures.settle[settle_term] += n
    figures.complaints = figures.messages - figures.not_a_complaint

    by_month: dict[dt.date, int] = {}
    by_district: dict[str | None, int] = {}
    by_type: dict[str, int] = {}
    for month, district, complainant_type, n in (
        complaints.annotate(month=TruncMonth("received_on"))
        .order_by()
        .values_list("month", "district__name", "complainant_type")
        .annotate(n=Count("pk"))
    ):
        month = month.date() if isinstance(month, dt.datetime) else month
        by_month[month] = by_month.get(month, 0) + n
        by_district[district] = by_district.get(district, 0) + n
        by_type[complainant_type] = by_type.get(complainant_type, 0) + n
    settled_by_month = dict(
        visible.exclude(state=State.NOT_A_COMPLAINT)
        .filter(settled_on__gte=period.start, settled_on__lte=period.end)
        .annotate(month=TruncMonth("settled_on"))
        .order_by()
        .values_list("month")
        .annotate(n=Count("pk"))
    )
    months = period.months()
    figures.received_per_month = [(m, _month_count(by_month, m)) for m in months]
    figures.settled_per_month = [(m, _month_count(settled_by_month, m)) for m in months]
    figures.per_district = _largest_first(by_district.items())
    figures.per_type = _largest_first(by_type.items())
    figures.per_category = _largest_first(
        complaints.order_by().values_list("categories__name").annotate(n=Count("pk"))
    )

    n, values = percentiles(
        complaints.filter(contacted_on__isnull=False), DaysBetween("received_on", "contacted_on")
    )
    figures.days_to_contact = Percentiles(n, values[0.5], values[0.9])
    n, values = percentiles(
        complaints.filter(settled_on__isnull=False), DaysBetween("received_on", "settled_on")
    )
    figures.days_to_settle = Percentiles(n, values[0.5], values[0.9])
    return figures


def _month_count(counts: dict, month: dt.date) -> int:
    # TruncMonth gives a date on every backend; guard against a datetime all the same.
    for key, n in counts.items():
        key_date = key.date() if isinstance(key, dt.datetime) else key
        if key_date == month:
            return n
    return 0


def _largest_first(rows) -> list[tuple]:
    return sorted(rows, key=lambda row: (-row[1], row[0] is None, str(row[0] or "")))


# --- open complaints by term status (now) -------------------------------------------


@dataclass
class OpenByTerm:
    missed: int
    at_risk: int
    on_schedule: int
    no_term: int

    @property
    def total(self) -> int:
        return self.missed + self.at_risk + self.on_schedule + self.no_term


def open_by_term(user, *, today: dt.date | None = None, counted: bool = False) -> OpenByTerm:
    """The open complaints now, by the status of their next term, as the work list counts them.

    From the aggregates on PostgreSQL (one query, a row per state and next term);
    `counted`, or elsewhere: counted from the complaints (the full count).
    """
    today = today or clock.today()
    organisation = Organisation.current()
    risk_until = at_risk_from(today, organisation.at_risk_working_days, work_calendar())
    if aggregates.available() and not counted:
        found = OpenByTerm(missed=0, at_risk=0, on_schedule=0, no_term=0)
        for state, due, n in aggregates.open_rows(user, first=today, last=risk_until):
            if state not in OPEN_STATES:
                continue
            if due is None:
                found.no_term += n
            elif due < today:
                found.missed += n
            elif due <= risk_until:
                found.at_risk += n
            else:
                found.on_schedule += n
        return found
    counts = (
        complaints_visible_to(user)
        .filter(state__in=OPEN_STATES)
        .order_by()
        .aggregate(
            missed=Count("pk", filter=Q(next_due_on__lt=today)),
            at_risk=Count("pk", filter=Q(next_due_on__gte=today, next_due_on__lte=risk_until)),
            on_schedule=Count("pk", filter=Q(next_due_on__gt=risk_until)),
            no_term=Count("pk", filter=Q(next_due_on__isnull=True)),
        )
    )
    return OpenByTerm(**counts)


# --- measures (ISO 9001 10.2) ----------------------------------------------------------


def measures_visible_to(user) -> QuerySet[Measure]:
    """Measures of the complaints `user` may see (P3.2: the access rule is the complaint's)."""
    return Measure.objects.filter(complaint__in=complaints_visible_to(user).values("pk"))


def measures_overdue(today: dt.date) -> QuerySet[Measure]:
    """Every measure not done whose date has passed: for the daily reminders (system, no user)."""
    return (
        Measure.objects.filter(done_on__isnull=True, due_on__lt=today)
        .select_related("complaint", "owner")
        .order_by("due_on", "id")
    )


# After this long a done measure is due for its effectiveness check.
CHECK_AFTER = dt.timedelta(days=90)


@dataclass
class MeasureCounts:
    total: int
    open: int
    overdue: int
    done: int
    done_in_time: int
    check_due: int  # done, not checked, and CHECK_AFTER has passed
    effective: int
    partly_effective: int
    not_effective: int


def measure_counts(measures: QuerySet[Measure], *, today: dt.date) -> MeasureCounts:
    counts = measures.order_by().aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(done_on__isnull=True)),
        overdue=Count("pk", filter=Q(done_on__isnull=True, due_on__lt=today)),
        done=Count("pk", filter=Q(done_on__isnull=False)),
        done_in_time=Count("pk", filter=Q(done_on__isnull=False, done_on__lte=F("due_on"))),
        check_due=Count(
            "pk",
            filter=Q(
                done_on__isnull=False, checked_on__isnull=True, done_on__lte=today - CHECK_AFTER
            ),
        ),
        effective=Count("pk", filter=Q(effectiveness="effective")),
        partly_effective=Count("pk", filter=Q(effectiveness="partly_effective")),
        not_effective=Count("pk", filter=Q(effectiveness="not_effective")),
    )
    return MeasureCounts(**counts)


MEASURE_FILTERS = ("open", "overdue", "done", "check_due", "all")


def measure_list(user, *, show: str = "open", today: dt.date | None = None) -> QuerySet[Measure]:
    today = today or clock.today()
    qs = measures_visible_to(user).select_related("complaint", "owner")
    if show == "open":
        qs = qs.filter(done_on__isnull=True)
    elif show == "overdue":
        qs = qs.filter(done_on__isnull=True, due_on__lt=today)
    elif show == "done":
        qs = qs.filter(done_on__isnull=False)
    elif show == "check_due":
        qs = qs.filter(
            done_on__isnull=False, checked_on__isnull=True, done_on__lte=today - CHECK_AFTER
        )
    return qs.order_by(F("due_on").asc(nulls_last=True), "id")


# --- satisfaction ----------------------------------------------------------------------


@dataclass
class SatisfactionFigures:
    per_score: list[tuple[int, int]]  # (score 1-5, count), every score present
    answers: int
    average: float | None
    very_unhappy: int


def satisfaction_visible_to(user) -> QuerySet[SatisfactionResponse]:
    return SatisfactionResponse.objects.filter(
        complaint__in=complaints_visible_to(user).values("pk")
    )


def satisfaction_figures(user, *, period: Period) -> SatisfactionFigures:
    """The survey answers given in `period` about complaints `user` may see."""
    answers = satisfaction_visible_to(user).filter(
        answered_at__date__gte=period.start, answered_at__date__lte=period.end
    )
    counts = dict(answers.order_by().values_list("score").annotate(n=Count("pk")))
    total = sum(counts.values())
    average = (sum(score * n for score, n in counts.items()) / total) if total else None
    return SatisfactionFigures(
        per_score=[(score, counts.get(score, 0)) for score in range(1, 6)],
        answers=total,
        average=average,
        very_unhappy=counts.get(int(VERY_UNHAPPY), 0),
    )


def flagged_answers(user) -> QuerySet[SatisfactionResponse]:
    """Very unhappy answers the quality manager has not followed up yet."""
    # The access rule narrowed to complaints with such an answer first: a handful of
    # rows through the index, not a pass over every complaint.
    visible = complaints_visible_to(user).filter(
        satisfaction__flagged=True, satisfaction__followed_up_on__isnull=True
    )
    return (
        SatisfactionResponse.objects.filter(
            flagged=True, followed_up_on__isnull=True, complaint__in=visible.values("pk")
        )
        .select_related("complaint")
        .order_by("answered_at", "id")
    )
