"""The dashboard and the annual report: figures turned into charts and findings in words.

The numbers come from `selectors` (counted by the database); this module only
labels them, picks what stands out, and says it in a sentence a management
review can use (P5.2).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django.template.defaultfilters import date as date_filter
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from klachtbeheer.complaints.models import ComplainantType, Verdict
from klachtbeheer.core import clock
from klachtbeheer.reporting import charts
from klachtbeheer.reporting.charts import AMBER, GREEN, GREY, RED, TEAL, TEAL_LIGHT, Chart
from klachtbeheer.reporting.db import without_jit
from klachtbeheer.reporting.exports import neutral
from klachtbeheer.reporting.models import Satisfaction
from klachtbeheer.reporting.selectors import (
    MET,
    MISSED,
    OPEN,
    Figures,
    MeasureCounts,
    OpenByTerm,
    Period,
    SatisfactionFigures,
    complaint_figures,
    flagged_answers,
    measure_counts,
    measure_list,
    measures_visible_to,
    open_by_term,
    satisfaction_figures,
)

percent = charts.percent
fmt = charts.fmt


def days(value: float | None) -> str:
    if value is None:
        return "–"
    digits = 0 if float(value).is_integer() else 1
    return ngettext("%(n)s day", "%(n)s days", 1 if value == 1 else 2) % {"n": fmt(value, digits)}


def change(now: int, before: int) -> str:
    """ "+5 (+25%)", "−3 (−10%)", "0" or "+4 (new)": the change from the year before."""
    difference = now - before
    if difference == 0:
        return "0"
    sign = "+" if difference > 0 else "−"
    if before == 0:
        return _("%(sign)s%(n)s (none the year before)") % {"sign": sign, "n": abs(difference)}
    return f"{sign}{abs(difference)} ({sign}{fmt(abs(difference) / before * 100)}%)"


@dataclass
class KeyFigure:
    label: str
    value: str
    note: str = ""
    previous: str = ""


@dataclass
class Analysis:
    period: Period
    today: dt.date
    figures: Figures
    open_now: OpenByTerm
    measures: MeasureCounts
    satisfaction: SatisfactionFigures
    charts: list[Chart] = field(default_factory=list)
    key_figures: list[KeyFigure] = field(default_factory=list)
    previous: Figures | None = None
    previous_satisfaction: SatisfactionFigures | None = None
    previous_measures: MeasureCounts | None = None
    summary: list[str] = field(default_factory=list)
    overdue_measures: list = field(default_factory=list)
    flagged: list = field(default_factory=list)

    @property
    def by_key(self) -> dict[str, Chart]:
        return {chart.key: chart for chart in self.charts}

    def chart(self, key: str) -> Chart:
        for chart in self.charts:
            if chart.key == key:
                return chart
        raise KeyError(key)


def period_label(period: Period) -> str:
    if period.is_calendar_year and period.start.year == period.end.year:
        return str(period.start.year)
    return _("%(start)s to %(end)s") % {
        "start": date_filter(period.start, "DATE_FORMAT"),
        "end": date_filter(period.end, "DATE_FORMAT"),
    }


def analyse(
    user,
    *,
    period: Period,
    today: dt.date | None = None,
    compare: bool = False,
    report: bool = False,
) -> Analysis:
    """Everything the dashboard (and with `compare`, the annual report) shows for `user`.

    `report`: the measures and answers are those of the period (the report looks
    back); otherwise the measures are all that are open now (the dashboard acts).
    """
    today = today or clock.today()
    with without_jit():
        return _analyse(user, period=period, today=today, compare=compare, report=report)


def _analyse(user, *, period: Period, today: dt.date, compare: bool, report: bool) -> Analysis:
    figures = complaint_figures(user, period=period, today=today)
    measures_qs = measures_visible_to(user)
    if report:
        measures_qs = measures_qs.filter(
            complaint__received_on__gte=period.start, complaint__received_on__lte=period.end
        )
    analysis = Analysis(
        period=period,
        today=today,
        figures=figures,
        open_now=open_by_term(user, today=today),
        measures=measure_counts(measures_qs, today=today),
        satisfaction=satisfaction_figures(user, period=period),
    )
    if compare:
        before = period.previous_year()
        analysis.previous = complaint_figures(user, period=before, today=today)
        analysis.previous_satisfaction = satisfaction_figures(user, period=before)
        analysis.previous_measures = measure_counts(
            measures_visible_to(user).filter(
                complaint__received_on__gte=before.start, complaint__received_on__lte=before.end
            ),
            today=today,
        )
    if not report:
        analysis.overdue_measures = list(measure_list(user, show="overdue", today=today)[:10])
        analysis.flagged = list(flagged_answers(user)[:10])
    analysis.charts = _charts(analysis)
    analysis.key_figures = _key_figures(analysis)
    analysis.summary = summary(analysis)
    return analysis


# --- charts ------------------------------------------------------------------------------


def _month_label(month: dt.date, period: Period) -> str:
    if period.start.year == period.end.year:
        return _month_abbreviation(date_filter(month, "M"))
    return _month_abbreviation(date_filter(month, "M y"))


def _month_abbreviation(text: str) -> str:
    """Dutch writes "dec", not "Dec" (which reads as English on a Dutch page; issue 14)."""
    return text.lower() if get_language() == "nl" else text


def _charts(analysis: Analysis) -> list[Chart]:
    f = analysis.figures
    period = analysis.period
    label = period_label(period)
    result: list[Chart] = []

    # Per month: received and settled.
    months = [_month_label(m, period) for m, _n in f.received_per_month]
    received = [n for _m, n in f.received_per_month]
    settled = [n for _m, n in f.settled_per_month]
    if any(received):
        peak = max(range(len(received)), key=lambda i: received[i])
        caption = ngettext(
            "%(received)s complaint received and %(settled)s settled in %(period)s; "
            "the most arrived in %(month)s (%(n)s).",
            "%(received)s complaints received and %(settled)s settled in %(period)s; "
            "the most arrived in %(month)s (%(n)s).",
            sum(received),
        ) % {
            "received": sum(received),
            "settled": sum(settled),
            "period": label,
            "month": date_filter(f.received_per_month[peak][0], "YEAR_MONTH_FORMAT"),
            "n": received[peak],
        }
    else:
        caption = _("No complaints were received in %(period)s.") % {"period": label}
    result.append(
        charts.grouped_columns(
            key="months",
            title=_("Complaints per month: received and settled"),
            caption=caption,
            columns=[_("Month"), _("Received"), _("Settled")],
            groups=months,
            series=[(_("Received"), TEAL, received), (_("Settled"), TEAL_LIGHT, settled)],
        )
    )

    # Per district, complainant type, category.
    total = f.complaints
    districts = [(name or _("No district (triage)"), n) for name, n in f.per_district]
    result.append(
        charts.horizontal_bars(
            key="districts",
            title=_("Complaints per district"),
            caption=_top_caption(
                districts,
                total,
                _("Most complaints concerned district %(name)s: %(n)s of %(total)s (%(share)s)."),
            ),
            columns=[_("District"), _("Complaints")],
            rows=districts,
        )
    )
    types = [(str(ComplainantType(key).label), n) for key, n in f.per_type]
    result.append(
        charts.horizontal_bars(
            key="types",
            title=_("Complaints per type of complainant"),
            caption=_top_caption(
                types,
                total,
                _("Most complaints came from: %(name)s, %(n)s of %(total)s (%(share)s)."),
            ),
            columns=[_("Complainant"), _("Complaints")],
            rows=types,
        )
    )
    categories = [(name or _("No category yet"), n) for name, n in f.per_category]
    named = [(name, n) for name, n in f.per_category if name]
    result.append(
        charts.horizontal_bars(
            key="categories",
            title=_("Complaints per category"),
            caption=_top_caption(
                named,
                total,
                _(
                    "The most frequent category was “%(name)s”: "
                    "%(n)s of %(total)s complaints (%(share)s)."
                ),
            )
            if named
            else _("No complaint of this period has a category yet."),
            columns=[_("Category"), _("Complaints")],
            rows=categories,
        )
    )

    # Verdicts.
    if f.judged:
        caption = _(
            "%(share)s of the judged complaints were founded or partly founded "
            "(%(n)s of %(judged)s)."
        ) % {"share": percent(f.founded_share), "n": f.founded_or_partly, "judged": f.judged}
    else:
        caption = _("No complaint of this period has been judged yet.")
    result.append(
        charts.stacked_shares(
            key="verdicts",
            title=_("Verdicts"),
            caption=caption,
            columns=[_("Complaints"), *(str(v.label) for v in Verdict)],
            bars=[
                (
                    _("Judged complaints"),
                    [
                        (str(Verdict.FOUNDED.label), RED, f.founded),
                        (str(Verdict.PARTLY_FOUNDED.label), AMBER, f.partly_founded),
                        (str(Verdict.UNFOUNDED.label), GREEN, f.unfounded),
                    ],
                )
            ],
        )
    )

    # Terms met.
    result.append(
        charts.stacked_shares(
            key="terms",
            title=_("Terms met"),
            caption=_terms_caption(f),
            columns=[_("Term"), _("Met"), _("Missed"), _("Still open")],
            bars=[
                (
                    _("Contact within a week"),
                    [
                        (_("Met"), GREEN, f.contact.get(MET, 0)),
                        (_("Missed"), RED, f.contact.get(MISSED, 0)),
                        (_("Still open"), GREY, f.contact.get(OPEN, 0)),
                    ],
                ),
                (
                    _("Settled in time"),
                    [
                        (_("Met"), GREEN, f.settle.get(MET, 0)),
                        (_("Missed"), RED, f.settle.get(MISSED, 0)),
                        (_("Still open"), GREY, f.settle.get(OPEN, 0)),
                    ],
                ),
            ],
        )
    )

    # Lead times.
    contact, settle = f.days_to_contact, f.days_to_settle
    lead_rows = [
        (_("First contact, median"), contact.median),
        (_("First contact, 90th percentile"), contact.p90),
        (_("Settlement, median"), settle.median),
        (_("Settlement, 90th percentile"), settle.p90),
    ]
    if settle.n:
        caption = _(
            "Half of the complaints were settled within %(median)s, nine in ten within "
            "%(p90)s; first contact took %(contact)s (median)."
        ) % {
            "median": days(settle.median),
            "p90": days(settle.p90),
            "contact": days(contact.median),
        }
    elif contact.n:
        caption = _("First contact took %(contact)s (median); no complaint is settled yet.") % {
            "contact": days(contact.median)
        }
    else:
        caption = _("No lead times yet for this period.")
    result.append(
        charts.horizontal_bars(
            key="lead_times",
            title=_("Days from receipt to first contact and to settlement"),
            caption=caption,
            columns=[_("Measure"), _("Days"), _("Complaints counted")],
            rows=lead_rows,
            colours=[TEAL_LIGHT, TEAL_LIGHT, TEAL, TEAL],
            value_format=days,
            extra_columns=[[contact.n], [contact.n], [settle.n], [settle.n]],
        )
    )

    # Open complaints now, by term status.
    o = analysis.open_now
    result.append(
        charts.horizontal_bars(
            key="open",
            title=_("Open complaints today, by term"),
            caption=(
                ngettext(
                    "%(total)s complaint is open; %(missed)s past its term, %(risk)s at risk.",
                    "%(total)s complaints are open; %(missed)s past their term, %(risk)s at risk.",
                    o.total,
                )
                % {"total": o.total, "missed": o.missed, "risk": o.at_risk}
            )
            if o.total
            else _("No complaint is open."),
            columns=[_("Term"), _("Open complaints")],
            rows=[
                (_("Term missed"), o.missed),
                (_("At risk"), o.at_risk),
                (_("On schedule"), o.on_schedule),
                (_("No open term"), o.no_term),
            ],
            colours=[RED, AMBER, GREEN, GREY],
        )
    )

    # Measures.
    m = analysis.measures
    result.append(
        charts.horizontal_bars(
            key="measures",
            title=_("Measures (ISO 9001 10.2)"),
            caption=_measures_caption(m),
            columns=[_("Measures"), _("Number")],
            rows=[
                (_("Open, on schedule"), m.open - m.overdue),
                (_("Open, overdue"), m.overdue),
                (_("Done"), m.done),
                (_("Worked"), m.effective),
                (_("Worked partly"), m.partly_effective),
                (_("Did not work"), m.not_effective),
                (_("Check due"), m.check_due),
            ],
            colours=[TEAL, RED, GREEN, GREEN, AMBER, RED, AMBER],
        )
    )

    # Satisfaction.
    s = analysis.satisfaction
    result.append(
        charts.horizontal_bars(
            key="satisfaction",
            title=_("Satisfaction with the handling"),
            caption=_satisfaction_caption(s),
            columns=[_("Answer"), _("Answers")],
            rows=[(str(Satisfaction(score).label), n) for score, n in s.per_score],
            colours=[RED, AMBER, GREY, TEAL_LIGHT, TEAL],
        )
    )
    return result


def _top_caption(rows: list[tuple[str, int]], total: int, template: str) -> str:
    if not rows or not total:
        return _("No complaints in this period.")
    name, n = rows[0]
    return template % {"name": name, "n": n, "total": total, "share": percent(n / total)}


def _terms_caption(f: Figures) -> str:
    if not (f.contact.get(MET, 0) + f.contact.get(MISSED, 0)):
        return _("No term of this period has come to an end yet.")
    return _(
        "Contact within a week: %(contact)s of the complaints (%(cm)s of %(cn)s); settled in time: "
        "%(settle)s (%(sm)s of %(sn)s). Terms still running are not counted."
    ) % {
        "contact": percent(f.contact_met_share),
        "cm": f.contact.get(MET, 0),
        "cn": f.contact.get(MET, 0) + f.contact.get(MISSED, 0),
        "settle": percent(f.settle_met_share),
        "sm": f.settle.get(MET, 0),
        "sn": f.settle.get(MET, 0) + f.settle.get(MISSED, 0),
    }


def _measures_caption(m: MeasureCounts) -> str:
    if not m.total:
        return _("No measures.")
    return ngettext(
        "%(total)s measure: %(open)s open, of which %(overdue)s overdue; %(done)s done. "
        "Of those checked, %(effective)s worked.",
        "%(total)s measures: %(open)s open, of which %(overdue)s overdue; %(done)s done. "
        "Of those checked, %(effective)s worked.",
        m.total,
    ) % {
        "total": m.total,
        "open": m.open,
        "overdue": m.overdue,
        "done": m.done,
        "effective": m.effective,
    }


def _satisfaction_caption(s: SatisfactionFigures) -> str:
    if not s.answers:
        return _("No complainant has answered the survey in this period.")
    satisfied = sum(n for score, n in s.per_score if score >= 4)
    return ngettext(
        "%(n)s answer, average %(average)s out of 5; %(satisfied)s satisfied or very "
        "satisfied, %(unhappy)s very dissatisfied.",
        "%(n)s answers, average %(average)s out of 5; %(satisfied)s satisfied or very "
        "satisfied, %(unhappy)s very dissatisfied.",
        s.answers,
    ) % {
        "n": s.answers,
        "average": fmt(s.average, 1),
        "satisfied": percent(satisfied / s.answers),
        "unhappy": s.very_unhappy,
    }


# --- key figures and the summary in words ------------------------------------------------


def _key_figures(analysis: Analysis) -> list[KeyFigure]:
    f, p = analysis.figures, analysis.previous
    rows = [
        KeyFigure(
            _("Complaints received"), str(f.complaints), previous=str(p.complaints) if p else ""
        ),
        KeyFigure(
            _("Not a complaint"),
            str(f.not_a_complaint),
            previous=str(p.not_a_complaint) if p else "",
        ),
        KeyFigure(_("Withdrawn"), str(f.withdrawn), previous=str(p.withdrawn) if p else ""),
        KeyFigure(
            _("Founded or partly founded"),
            percent(f.founded_share),
            _("%(n)s of %(judged)s judged") % {"n": f.founded_or_partly, "judged": f.judged},
            percent(p.founded_share) if p else "",
        ),
        KeyFigure(
            _("Contact within a week"),
            percent(f.contact_met_share),
            _("median %(days)s") % {"days": days(f.days_to_contact.median)},
            percent(p.contact_met_share) if p else "",
        ),
        KeyFigure(
            _("Settled in time"),
            percent(f.settle_met_share),
            _("median %(days)s") % {"days": days(f.days_to_settle.median)},
            percent(p.settle_met_share) if p else "",
        ),
        KeyFigure(
            _("Open measures"),
            str(analysis.measures.open),
            _("%(n)s overdue") % {"n": analysis.measures.overdue},
            str(analysis.previous_measures.open) if analysis.previous_measures else "",
        ),
        KeyFigure(
            _("Satisfaction"),
            fmt(analysis.satisfaction.average, 1) if analysis.satisfaction.answers else "–",
            ngettext("%(n)s answer", "%(n)s answers", analysis.satisfaction.answers)
            % {"n": analysis.satisfaction.answers},
            fmt(analysis.previous_satisfaction.average, 1)
            if analysis.previous_satisfaction and analysis.previous_satisfaction.answers
            else "",
        ),
    ]
    return rows


def summary(analysis: Analysis) -> list[str]:
    """The findings in sentences for the management review (P5.2)."""
    f, p = analysis.figures, analysis.previous
    label = period_label(analysis.period)
    lines: list[str] = []
    if p is not None:
        lines.append(
            ngettext(
                "In %(period)s %(n)s complaint was received (%(previous_period)s: %(previous)s, "
                "%(change)s). Messages that were not a complaint: %(other)s; complaints "
                "withdrawn after a misunderstanding: %(withdrawn)s.",
                "In %(period)s %(n)s complaints were received (%(previous_period)s: %(previous)s, "
                "%(change)s). Messages that were not a complaint: %(other)s; complaints "
                "withdrawn after a misunderstanding: %(withdrawn)s.",
                f.complaints,
            )
            % {
                "period": label,
                "n": f.complaints,
                "previous_period": period_label(p.period),
                "previous": p.complaints,
                "change": change(f.complaints, p.complaints),
                "other": f.not_a_complaint,
                "withdrawn": f.withdrawn,
            }
        )
    else:
        lines.append(
            ngettext(
                "In %(period)s %(n)s complaint was received. Messages that were not a "
                "complaint: %(other)s; complaints withdrawn after a misunderstanding: "
                "%(withdrawn)s.",
                "In %(period)s %(n)s complaints were received. Messages that were not a "
                "complaint: %(other)s; complaints withdrawn after a misunderstanding: "
                "%(withdrawn)s.",
                f.complaints,
            )
            % {
                "period": label,
                "n": f.complaints,
                "other": f.not_a_complaint,
                "withdrawn": f.withdrawn,
            }
        )
    for key in ("verdicts", "categories", "districts", "terms", "lead_times"):
        lines.append(analysis.chart(key).caption)
    if p is not None and f.settle_met_share is not None and p.settle_met_share is not None:
        now, before = f.settle_met_share, p.settle_met_share
        if round(now * 100) > round(before * 100):
            lines.append(
                _(
                    "More complaints were settled in time than the year before "
                    "(%(now)s against %(before)s)."
                )
                % {"now": percent(now), "before": percent(before)}
            )
        elif round(now * 100) < round(before * 100):
            lines.append(
                _(
                    "Fewer complaints were settled in time than the year before "
                    "(%(now)s against %(before)s)."
                )
                % {"now": percent(now), "before": percent(before)}
            )
        else:
            lines.append(
                _("As many complaints were settled in time as the year before (%(now)s).")
                % {"now": percent(now)}
            )
    if f.extended:
        lines.append(
            ngettext(
                "The term was extended for %(n)s complaint.",
                "The term was extended for %(n)s complaints.",
                f.extended,
            )
            % {"n": f.extended}
        )
    lines.append(analysis.chart("measures").caption)
    m = analysis.measures
    if m.effective + m.partly_effective + m.not_effective:
        lines.append(
            ngettext(
                "The effectiveness of %(checked)s measure was checked: %(effective)s worked, "
                "%(partly)s worked partly and %(not)s did not work.",
                "The effectiveness of %(checked)s measures was checked: %(effective)s worked, "
                "%(partly)s worked partly and %(not)s did not work.",
                m.effective + m.partly_effective + m.not_effective,
            )
            % {
                "checked": m.effective + m.partly_effective + m.not_effective,
                "effective": m.effective,
                "partly": m.partly_effective,
                "not": m.not_effective,
            }
        )
    lines.append(analysis.chart("satisfaction").caption)
    return lines


# --- CSV -------------------------------------------------------------------------------------


def chart_csv(chart: Chart) -> str:
    """The chart's table as CSV for spreadsheets set to Dutch (semicolons)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(chart.columns)
    for row in chart.rows:
        writer.writerow(["" if v is None else neutral(v) for v in row])
    return out.getvalue()


def figures_csv(analysis: Analysis) -> str:
    """Every figure of the report: one row per figure, this year and the year before."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    previous_label = period_label(analysis.previous.period) if analysis.previous else ""
    writer.writerow([_("Figure"), _("Item"), period_label(analysis.period), previous_label])
    f, p = analysis.figures, analysis.previous

    def pair(name: str, item: str, now, before):
        writer.writerow(
            [neutral(name), neutral(item), _csv_value(now), _csv_value(before) if p else ""]
        )

    pair(_("Messages received"), "", f.messages, p.messages if p else None)
    pair(_("Complaints received"), "", f.complaints, p.complaints if p else None)
    pair(_("Not a complaint"), "", f.not_a_complaint, p.not_a_complaint if p else None)
    pair(_("Withdrawn"), "", f.withdrawn, p.withdrawn if p else None)
    pair(_("Term extended"), "", f.extended, p.extended if p else None)
    pair(_("Settled"), "", f.settled, p.settled if p else None)
    pair(_("Still open"), "", f.still_open, p.still_open if p else None)
    for verdict in Verdict:
        pair(
            _("Verdict"),
            str(verdict.label),
            getattr(f, verdict.value),
            getattr(p, verdict.value) if p else None,
        )
    pair(
        _("Founded or partly founded (share)"),
        "",
        _share(f.founded_share),
        _share(p.founded_share) if p else None,
    )
    for status, name in ((MET, _("Met")), (MISSED, _("Missed")), (OPEN, _("Still open"))):
        pair(
            _("Contact within a week"),
            name,
            f.contact.get(status),
            p.contact.get(status) if p else None,
        )
    pair(
        _("Contact within a week (share)"),
        "",
        _share(f.contact_met_share),
        _share(p.contact_met_share) if p else None,
    )
    for status, name in ((MET, _("Met")), (MISSED, _("Missed")), (OPEN, _("Still open"))):
        pair(_("Settled in time"), name, f.settle.get(status), p.settle.get(status) if p else None)
    pair(
        _("Settled in time (share)"),
        "",
        _share(f.settle_met_share),
        _share(p.settle_met_share) if p else None,
    )
    for name, now, before in (
        (
            _("Days to first contact, median"),
            f.days_to_contact.median,
            p.days_to_contact.median if p else None,
        ),
        (
            _("Days to first contact, 90th percentile"),
            f.days_to_contact.p90,
            p.days_to_contact.p90 if p else None,
        ),
        (
            _("Days to settlement, median"),
            f.days_to_settle.median,
            p.days_to_settle.median if p else None,
        ),
        (
            _("Days to settlement, 90th percentile"),
            f.days_to_settle.p90,
            p.days_to_settle.p90 if p else None,
        ),
    ):
        pair(name, "", now, before)
    previous_months = dict(((m.month, n) for m, n in p.received_per_month)) if p else {}
    previous_settled = dict(((m.month, n) for m, n in p.settled_per_month)) if p else {}
    for (month, n), (_m, s) in zip(f.received_per_month, f.settled_per_month, strict=True):
        pair(_("Received per month"), month.strftime("%Y-%m"), n, previous_months.get(month.month))
        pair(_("Settled per month"), month.strftime("%Y-%m"), s, previous_settled.get(month.month))
    for name, rows, prev_rows in (
        (_("Per district"), f.per_district, p.per_district if p else []),
        (_("Per type of complainant"), f.per_type, p.per_type if p else []),
        (_("Per category"), f.per_category, p.per_category if p else []),
    ):
        before = dict(prev_rows)
        keys = [k for k, _n in rows] + [k for k, _n in prev_rows if k not in dict(rows)]
        now = dict(rows)
        for key in keys:
            item = key or "—"
            if name == _("Per type of complainant") and key:
                item = str(ComplainantType(key).label)
            pair(name, item, now.get(key, 0), before.get(key, 0))
    m, pm = analysis.measures, analysis.previous_measures
    for attr, name in (
        ("total", _("Measures")),
        ("done", _("Measures done")),
        ("done_in_time", _("Measures done in time")),
        ("overdue", _("Measures overdue")),
        ("effective", _("Measures that worked")),
        ("partly_effective", _("Measures that worked partly")),
        ("not_effective", _("Measures that did not work")),
    ):
        pair(name, "", getattr(m, attr), getattr(pm, attr) if pm else None)
    s, ps = analysis.satisfaction, analysis.previous_satisfaction
    pair(_("Survey answers"), "", s.answers, ps.answers if ps else None)
    pair(_("Average satisfaction (1-5)"), "", _round(s.average), _round(ps.average) if ps else None)
    for score, n in s.per_score:
        before = dict(ps.per_score).get(score) if ps else None
        pair(_("Satisfaction"), str(Satisfaction(score).label), n, before)
    return out.getvalue()


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _round(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
