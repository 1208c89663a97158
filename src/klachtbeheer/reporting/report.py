"""The annual complaints report (P5.2): a PDF for the management review, and its figures as CSV.

WeasyPrint is imported only when a PDF is made (it is heavy and needs Pango).
It never fetches anything: the report is one HTML document with its CSS and SVG
inline, and every URL it might ask for is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.template.loader import render_to_string

from klachtbeheer.complaints.models import Effectiveness, Measure
from klachtbeheer.core import clock
from klachtbeheer.organisation.models import Organisation
from klachtbeheer.reporting.analysis import Analysis, analyse, figures_csv, period_label
from klachtbeheer.reporting.selectors import Period, measures_visible_to

LIST_AT_MOST = 60


@dataclass
class AnnualReport:
    year: int
    analysis: Analysis
    measures: list[Measure]
    html: str

    @property
    def filename_stem(self) -> str:
        return f"klachtenjaarverslag-{self.year}"

    def csv(self) -> str:
        return figures_csv(self.analysis)

    def pdf(self) -> bytes:
        from weasyprint import HTML  # lazy: heavy, needs Pango

        return HTML(string=self.html, url_fetcher=_refuse_every_url, base_url=".").write_pdf()


def _refuse_every_url(url: str, *args, **kwargs):
    raise ValueError(f"the annual report loads nothing from outside ({url})")


def annual_report(user, *, year: int, today: dt.date | None = None) -> AnnualReport:
    """The report for `year`, as `user` may see it (the quality manager and the board see all)."""
    today = today or clock.today()
    period = Period.year(year)
    analysis = analyse(user, period=period, today=today, compare=True, report=True)
    of_the_year = measures_visible_to(user).filter(
        complaint__received_on__gte=period.start, complaint__received_on__lte=period.end
    )
    # Listed one by one while the list stays readable; beyond that, per kind of measure.
    measures = list(
        of_the_year.select_related("complaint", "owner").order_by("complaint__received_on", "id")[
            : LIST_AT_MOST + 1
        ]
    )
    grouped = []
    if len(measures) > LIST_AT_MOST:
        measures = []
        grouped = list(
            of_the_year.order_by()
            .values("description")
            .annotate(
                n=Count("pk"),
                done=Count("pk", filter=Q(done_on__isnull=False)),
                overdue=Count("pk", filter=Q(done_on__isnull=True, due_on__lt=today)),
                effective=Count("pk", filter=Q(effectiveness=Effectiveness.EFFECTIVE)),
                partly=Count("pk", filter=Q(effectiveness=Effectiveness.PARTLY_EFFECTIVE)),
                not_effective=Count("pk", filter=Q(effectiveness=Effectiveness.NOT_EFFECTIVE)),
            )
            .order_by("-n", "description")
        )
    html = render_to_string(
        "reporting/annual_report.html",
        {
            "analysis": analysis,
            "year": year,
            "previous_year": year - 1,
            "period_label": period_label(period),
            "measures": measures,
            "grouped_measures": grouped,
            "organisation": Organisation.current(),
            "made_on": today,
            "made_by": user,
        },
    )
    return AnnualReport(year=year, analysis=analysis, measures=measures, html=html)
