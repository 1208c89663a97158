"""Every figure of the dashboard and the report, against counts made by hand.

The complaints are listed in `conftest.py`; each literal below says how it was
counted from that table. Today is 1 July 2026.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from klachtbeheer.reporting import charts
from klachtbeheer.reporting.analysis import analyse
from klachtbeheer.reporting.selectors import (
    Period,
    complaint_figures,
    measure_counts,
    measures_overdue,
    measures_visible_to,
    open_by_term,
    satisfaction_figures,
)
from tests.reporting.conftest import TODAY

pytestmark = pytest.mark.django_db

Y2026 = Period.year(2026)
Y2025 = Period.year(2025)


def test_the_year_2026_as_the_quality_manager_counts_it(year):
    f = complaint_figures(year.qm, period=Y2026, today=TODAY)
    # Received in 2026: C1..C11 = 11 messages; C6 was not a complaint → 10 complaints.
    assert f.messages == 11
    assert f.not_a_complaint == 1
    assert f.complaints == 10
    # Withdrawn: C2. Extended: C3, C4, C11. Settled by now: C1 C2 C3 C4 C5.
    assert f.withdrawn == 1
    assert f.extended == 3
    assert f.settled == 5
    # Open: C7 (accepted) C8 (contacted) C9 (accepted) C10 (received) C11 (meeting planned).
    assert f.still_open == 5
    # Verdicts: founded C1 C5; partly C3; unfounded C4 → 3 of 4 judged = 75%.
    assert (f.founded, f.partly_founded, f.unfounded) == (2, 1, 1)
    assert f.founded_share == pytest.approx(0.75)
    # Contact: met C1 C3 C4 C5 C8 C11; missed C2 (day 8) and C7 (never, due 11 May);
    # running C9 (due 6 July) C10 (due 3 July) → 6 of 8 = 75%.
    assert f.contact == {"met": 6, "missed": 2, "open": 2}
    assert f.contact_met_share == pytest.approx(0.75)
    # Settlement: met C1, C2 (withdrawn on day 10), C3 (day 38, within the extension to
    # 16 March noticed in time), C5; missed C4 (day 39: its extension was noticed after
    # the four weeks, so 16 March counts) and C7 (due 1 June); running C8 C9 C10 and C11
    # (extended to 15 July, noticed in time) → 4 of 6.
    assert f.settle == {"met": 4, "missed": 2, "open": 4}
    assert f.settle_met_share == pytest.approx(4 / 6)
    # Days to contact: C11 1; C1 C3 C4 C5 C8 2; C2 8 → [1,2,2,2,2,2,8].
    # Median: rank 3 → 2. P90: rank 0.9 × 6 = 5.4 → 2 + 0.4 × (8 − 2) = 4.4.
    assert f.days_to_contact.n == 7
    assert f.days_to_contact.median == pytest.approx(2)
    assert f.days_to_contact.p90 == pytest.approx(4.4)
    # Days to settlement: C2 10, C1 21, C5 23, C3 38, C4 39.
    # Median: rank 2 → 23. P90: rank 3.6 → 38 + 0.6 × 1 = 38.6.
    assert f.days_to_settle.n == 5
    assert f.days_to_settle.median == pytest.approx(23)
    assert f.days_to_settle.p90 == pytest.approx(38.6)
    # Received per month (complaints): Jan C1 C2, Feb C3 C4, Mar C5, Apr none (C6 is not a
    # complaint), May C7 C11, Jun C8 C9 C10.
    assert [n for _m, n in f.received_per_month] == [2, 2, 1, 0, 2, 3, 0, 0, 0, 0, 0, 0]
    assert f.received_per_month[0][0] == dt.date(2026, 1, 1)
    # Settled per month, by the date of settlement: Jan P3 (received in 2025!) C2 C1;
    # Mar C3 C5 C4. Not-a-complaint answers (P4, C6) are not settlements.
    assert [n for _m, n in f.settled_per_month] == [3, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    # Districts: North C1 C3 C5 C7 C9 C11; South C2 C4 C8 C10.
    assert f.per_district == [("North", 6), ("South", 4)]
    # Types: client C1 C4 C7 C8 C11; company C2 C5 C10; municipality C3 C9.
    assert f.per_type == [("client", 5), ("company", 3), ("municipality", 2)]
    # Categories (a complaint with two counts in both): A C1 C3; B C3 C5; C C4;
    # none yet C2 C7 C8 C9 C10 C11.
    assert f.per_category == [
        (None, 6),
        ("Afspraken niet nagekomen", 2),
        ("Bejegening", 2),
        ("Communicatie", 1),
    ]


def test_the_year_2025_counts_the_december_complaint_but_not_its_january_settlement(year):
    f = complaint_figures(year.qm, period=Y2025, today=TODAY)
    # P1 P2 P3 received, P4 not a complaint.
    assert (f.messages, f.not_a_complaint, f.complaints) == (4, 1, 3)
    # Founded P1, partly P3, unfounded P2: 2 of 3.
    assert (f.founded, f.partly_founded, f.unfounded) == (1, 1, 1)
    # Contact: P1 met (day 2), P2 missed (day 10), P3 met (day 3).
    assert f.contact == {"met": 2, "missed": 1, "open": 0}
    # Settlement: P1 met (day 22), P2 missed (day 35), P3 met (day 25, in January 2026).
    assert f.settle == {"met": 2, "missed": 1, "open": 0}
    # Days to contact [2, 3, 10]: median 3, p90 rank 1.8 → 3 + 0.8 × 7 = 8.6.
    assert f.days_to_contact.median == pytest.approx(3)
    assert f.days_to_contact.p90 == pytest.approx(8.6)
    # Days to settlement [22, 25, 35]: median 25, p90 rank 1.8 → 25 + 0.8 × 10 = 33.
    assert f.days_to_settle.median == pytest.approx(25)
    assert f.days_to_settle.p90 == pytest.approx(33)
    # Received: Mar P1, Jun P2, Dec P3. Settled in 2025: Mar P1, Jul P2 (P3 is 2026).
    assert [n for _m, n in f.received_per_month] == [0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1]
    assert [n for _m, n in f.settled_per_month] == [0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0]


def test_a_district_manager_never_counts_the_complaint_about_themselves(year):
    f = complaint_figures(year.dm_north, period=Y2026, today=TODAY)
    # North in 2026: C1 C3 C5 C7 C9 C11; C5 is about dm_north → 5.
    assert f.complaints == 5
    assert (f.founded, f.partly_founded, f.unfounded) == (1, 1, 0)  # C1; C3
    assert f.per_district == [("North", 5)]
    # Jan C1, Feb C3, May C7 C11, Jun C9.
    assert [n for _m, n in f.received_per_month][:6] == [1, 1, 0, 0, 2, 1]
    # Settled: Jan P3 C1, Mar C3 (C5 left out).
    assert [n for _m, n in f.settled_per_month][:3] == [2, 0, 1]
    # Contact: met C1 C3 C11, missed C7, running C9.
    assert f.contact == {"met": 3, "missed": 1, "open": 1}
    # Categories: A C1 C3; B C3 only (C5 left out); none C7 C9 C11.
    assert f.per_category == [(None, 3), ("Afspraken niet nagekomen", 2), ("Bejegening", 1)]
    # And the dm of South sees only South: C2 C4 C8 C10.
    assert complaint_figures(year.dm_south, period=Y2026, today=TODAY).complaints == 4


def test_open_complaints_by_term_today(year):
    # Open: C7 (contact due 11 May: missed), C10 (contact due Fri 3 July: at risk, two
    # working days), C8 (settle 20 July), C9 (contact 6 July), C11 (extended to 15 July).
    assert vars(open_by_term(year.qm, today=TODAY)) == {
        "missed": 1,
        "at_risk": 1,
        "on_schedule": 3,
        "no_term": 0,
    }
    # dm_north: C7 missed; C9 and C11 on schedule.
    assert vars(open_by_term(year.dm_north, today=TODAY)) == {
        "missed": 1,
        "at_risk": 0,
        "on_schedule": 2,
        "no_term": 0,
    }


def test_measures_counted_and_overdue(year):
    counts = measure_counts(measures_visible_to(year.qm), today=TODAY)
    # Five measures: P1 P3 C1 (done), C3 (due 1 May: overdue), C5 (due 1 August).
    # Done in time: P1 (20 Apr ≤ 1 May), C1 (25 Feb ≤ 1 Mar); P3 late (20 Feb > 15 Feb).
    # Effective P1 C1, not effective P3.
    assert vars(counts) == {
        "total": 5,
        "open": 2,
        "overdue": 1,
        "done": 3,
        "done_in_time": 2,
        "check_due": 0,
        "effective": 2,
        "partly_effective": 0,
        "not_effective": 1,
    }
    assert [m.complaint.reference for m in measures_overdue(TODAY)] == [year.ref("C3")]
    # On 2 August C5's measure (due 1 August) is overdue too.
    assert measures_overdue(dt.date(2026, 8, 2)).count() == 2
    # dm_north sees the measures of P1 P3 C1 C3, not of C5 (about them).
    assert measures_visible_to(year.dm_north).count() == 4


def test_satisfaction_figures(year):
    s = satisfaction_figures(year.qm, period=Y2026)
    # 2026: C1 answered 5, C3 answered 1 (flagged). P1's 4 was in 2025.
    assert s.answers == 2
    assert s.per_score == [(1, 1), (2, 0), (3, 0), (4, 0), (5, 1)]
    assert s.average == pytest.approx(3.0)
    assert s.very_unhappy == 1
    assert satisfaction_figures(year.qm, period=Y2025).answers == 1


def test_the_analysis_says_it_in_words(year, english):
    analysis = analyse(year.qm, period=Y2026, today=TODAY, compare=True, report=True)
    text = "\n".join(analysis.summary)
    assert (
        "In 2026 10 complaints were received (2025: 3, +7 (+233%)). Messages that were not a "
        "complaint: 1; complaints withdrawn after a misunderstanding: 1." in text
    )
    assert "75% of the judged complaints were founded or partly founded (3 of 4)." in text
    assert (
        "Contact within a week: 75% of the complaints (6 of 8); settled in time: 67% (4 of 6)."
        in text
    )
    assert (
        "Half of the complaints were settled within 23 days, nine in ten within 38.6 days" in text
    )
    # 67% (4 of 6) in 2026 against 67% (2 of 3) in 2025.
    assert "As many complaints were settled in time as the year before (67%)." in text
    assert "The term was extended for 3 complaints." in text
    # The report's measures are those of 2026's complaints: C1 (done, effective), C3, C5.
    assert analysis.measures.total == 3
    assert analysis.measures.effective == 1
    assert analysis.previous_measures.total == 2  # P1, P3
    months = analysis.chart("months")
    assert months.rows[0] == ["Jan", 2, 3]
    assert analysis.chart("open").rows == [
        ["Term missed", 1],
        ["At risk", 1],
        ["On schedule", 3],
        ["No open term", 0],
    ]


def test_dashboard_queries_do_not_depend_on_the_data(year, django_assert_max_num_queries):
    # Grouped aggregates only: the number of queries is fixed, whatever the rows.
    with CaptureQueriesContext(connection) as queries:
        analyse(year.qm, period=Y2026, today=TODAY)
    assert len(queries) <= 25, [q["sql"] for q in queries.captured_queries]


def test_the_drawing_escapes_every_text_and_keeps_its_shapes():
    """`Chart.svg` writes the markup itself (not the template): names, titles and captions
    are escaped as the template would, and every bar and label is drawn."""
    chart = charts.horizontal_bars(
        key="categories",
        title="Per <categorie> & soort",
        caption='Meeste: "<script>alert(1)</script>"',
        columns=["Categorie", "Klachten"],
        rows=[("<b>Bejegening</b>", 1200), ("Afspraken & planning", 3)],
    )
    svg = str(chart.svg)
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;b&gt;Bejegening&lt;/b&gt;" in svg
    assert "Per &lt;categorie&gt; &amp; soort" in svg
    assert "&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;" in svg
    assert svg.startswith('<svg class="kb-chart__svg"') and svg.endswith("</svg>")
    assert svg.count("<rect ") == len(chart.rects) > 0
    assert svg.count("<text ") == len(chart.texts) > 0
    first = chart.rects[0]
    assert f'<rect x="{first.x:.1f}" y="{first.y:.1f}" width="{first.width:.1f}"' in svg
