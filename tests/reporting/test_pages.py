"""The register, its exports, the dashboard and the measure pages, through the test client."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from klachtbeheer.complaints.models import Complaint, Event, EventKind
from klachtbeheer.core.models import AuditEntry
from tests.reporting.conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _dutch_urls():
    with translation.override("nl"):
        yield


def url(name, *args):
    return reverse(f"reporting:{name}", args=args)


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_only_handlers_of_complaints_see_the_register(client, year):
    client.force_login(year.world.staff)
    assert client.get(url("register")).status_code == 404
    assert client.get(url("dashboard")).status_code == 404
    client.logout()
    assert client.get(url("register")).status_code == 302


def test_the_register_page_filters_and_counts(client, year):
    client.force_login(year.qm)
    response = client.get(url("register"))
    assert response.status_code == 200
    # P1..P4 and C1..C11.
    assert response.context["page"].paginator.count == 15
    response = client.get(url("register"), {"received_from": "2026-01-01", "terms": "missed"})
    # 2026 with a term missed: C2 (contact), C4 (settlement, notice too late), C7 (both).
    refs = {c.reference for c in response.context["page"].object_list}
    assert refs == {year.ref("C2"), year.ref("C4"), year.ref("C7")}
    response = client.get(
        url("register"), {"category": str(year.categories["A"].pk), "verdict": "founded"}
    )
    # Category A and founded: P1, C1 (P3 and C3 are partly founded).
    assert {c.reference for c in response.context["page"].object_list} == {
        year.ref("P1"),
        year.ref("C1"),
    }


def test_the_register_never_shows_a_district_manager_the_complaint_about_them(client, year):
    client.force_login(year.dm_north)
    response = client.get(url("register"))
    refs = {c.reference for c in response.context["page"].object_list}
    # North: P1 P3 P4 C1 C3 C7 C9 C11; C5 is about dm_north.
    assert refs == {year.ref(k) for k in ("P1", "P3", "P4", "C1", "C3", "C7", "C9", "C11")}
    assert year.ref("C5") not in response.content.decode()


def test_register_queries_do_not_grow_with_the_rows(client, year):
    client.force_login(year.qm)
    client.get(url("register"))  # warm up sessions and content types
    with CaptureQueriesContext(connection) as few:
        response = client.get(url("register"), {"state": "withdrawn"})
    assert len(response.context["page"].object_list) == 1
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("register"))
    assert len(response.context["page"].object_list) == 15
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_the_csv_export_reads_back(client, year):
    client.force_login(year.qm)
    response = client.get(url("register_export", "csv"), {"received_from": "2026-01-01"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    header, body = rows[0], rows[1:]
    by_ref = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert len(body) == 11  # C1..C11
    c4 = by_ref[year.ref("C4")]
    assert c4["Ontvangen op"] == "2026-02-16"
    assert c4["Verlengd tot"] == "2026-03-30"
    # The notice went out after the four weeks: the original date counts, and it was missed.
    assert c4["Geldende afhandeldatum"] == "2026-03-16"
    assert c4["Afhandeltermijn"] == "niet gehaald"
    assert c4["Dagen tot afhandeling"] == "39"
    c3 = by_ref[year.ref("C3")]
    assert c3["Geldende afhandeldatum"] == "2026-03-16"
    assert c3["Afhandeltermijn"] == "gehaald"
    assert c3["Categorieën"] == "Afspraken niet nagekomen, Bejegening"
    assert by_ref[year.ref("C6")]["Contacttermijn"] == "niet van toepassing"
    assert by_ref[year.ref("C5")]["Over een districtsmanager"] == "ja"
    # No names or contact details in the register (P5.3).
    content = "\n".join(";".join(r) for r in rows)
    assert "Klager Nummer" not in content
    assert "@example.nl" not in content


def test_the_xlsx_export_reads_back_and_keeps_p3_2(client, year):
    client.force_login(year.dm_north)
    response = client.get(url("register_export", "xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    refs = [row[0] for row in rows[1:]]
    assert sorted(refs) == sorted(
        year.ref(k) for k in ("P1", "P3", "P4", "C1", "C3", "C7", "C9", "C11")
    )
    assert year.ref("C5") not in refs
    header = rows[0]
    c1 = dict(zip(header, next(r for r in rows if r[0] == year.ref("C1")), strict=True))
    assert c1["Ontvangen op"].date().isoformat() == "2026-01-05"
    assert c1["Dagen tot contact"] == 2
    # And the CSV says the same.
    refs_csv = [row[0] for row in csv_rows(client.get(url("register_export", "csv")))[1:]]
    assert year.ref("C5") not in refs_csv
    assert len(refs_csv) == 8


def test_the_dashboard_as_the_quality_manager(client, year):
    client.force_login(year.qm)
    response = client.get(url("dashboard"), {"year": "2026"})
    assert response.status_code == 200
    html = response.content.decode()
    analysis = response.context["analysis"]
    assert analysis.figures.complaints == 10
    # Charts are our own SVG with a caption, a table and a CSV link; no scripts.
    assert html.count("<figure") == 10
    assert html.count("Toon als tabel") == 10
    assert "<script" not in html
    assert 'role="img"' in html
    # The very unhappy answer about C3 is flagged to the quality manager.
    assert "Zeer ontevreden klagers" in html
    assert year.ref("C3") in html


def test_a_chart_as_csv(client, year):
    client.force_login(year.qm)
    response = client.get(url("chart_csv", "months"), {"year": "2026"})
    rows = csv_rows(response)
    assert rows[0] == ["Maand", "Ontvangen", "Afgehandeld"]
    assert rows[1] == ["jan", "2", "3"]  # Dutch month abbreviations in lower case (issue 14.5)
    assert len(rows) == 13
    assert client.get(url("chart_csv", "nothing"), {"year": "2026"}).status_code == 404


def test_the_dashboard_of_a_district_manager_leaves_out_the_complaint_about_them(client, year):
    client.force_login(year.dm_north)
    response = client.get(url("dashboard"), {"year": "2026"})
    assert response.status_code == 200
    assert response.context["analysis"].figures.complaints == 5
    categories = csv_rows(client.get(url("chart_csv", "categories"), {"year": "2026"}))
    # Bejegening: C3 only (C5 is about dm_north).
    assert ["Bejegening", "1"] in categories
    assert year.ref("C5") not in response.content.decode()
    # No annual report button for a district manager.
    assert "Jaarverslag 2026" not in response.content.decode()


def test_the_measure_page_records_progress_with_audit_and_timeline(client, year, clock):
    clock(TODAY)
    measure = year.c["C3"].measures.get()
    client.force_login(year.qm)
    page = url("measure", measure.pk)
    assert client.get(page).status_code == 200
    response = client.post(
        page,
        {
            "owner": year.dm_north.pk,
            "due_on": "2026-05-01",
            "done_on": "2026-06-30",
            "done_note": "Planning aangepast.",
            "checked_on": "",
            "effectiveness": "",
            "check_note": "",
        },
    )
    assert response.status_code == 302
    measure.refresh_from_db()
    assert measure.done_on.isoformat() == "2026-06-30"
    assert measure.owner == year.dm_north
    assert AuditEntry.objects.filter(action="measure.update", target_id=str(measure.pk)).exists()
    event = Event.objects.filter(complaint=measure.complaint, kind=EventKind.MEASURE).latest("id")
    assert event.data["done_on"] == "2026-06-30"
    # A check needs a result and a note; the page says so instead of failing.
    response = client.post(
        page,
        {
            "owner": year.dm_north.pk,
            "due_on": "2026-05-01",
            "done_on": "2026-06-30",
            "checked_on": "2026-07-01",
            "effectiveness": "",
            "check_note": "",
        },
    )
    assert response.status_code == 400
    assert "Kies of de maatregel werkte." in response.content.decode()


def test_a_district_manager_cannot_open_the_measure_of_a_complaint_about_them(client, year):
    client.force_login(year.dm_north)
    measure = year.c["C5"].measures.get()
    assert client.get(url("measure", measure.pk)).status_code == 404
    response = client.get(url("measures"), {"show": "all"})
    assert year.ref("C5") not in response.content.decode()


def test_only_the_quality_manager_keeps_the_categories(client, year):
    client.force_login(year.board)
    assert client.get(url("categories")).status_code == 404
    client.force_login(year.qm)
    response = client.post(url("categories"), {"name": "Facturen", "active": "on"})
    assert response.status_code == 302
    response = client.post(url("categories"), {"name": "facturen", "active": "on"})
    assert response.status_code == 400
    assert "Er is al een categorie met deze naam." in response.content.decode()
    assert AuditEntry.objects.filter(action="category.save").count() == 1


def test_the_follow_up_of_a_very_unhappy_answer(client, year, clock):
    client.force_login(year.qm)
    answer = year.c["C3"].satisfaction
    response = client.post(
        url("satisfaction_follow_up", answer.pk), {"note": "Klager gebeld en excuses gemaakt."}
    )
    assert response.status_code == 302
    answer.refresh_from_db()
    assert answer.followed_up_by == year.qm
    html = client.get(url("dashboard")).content.decode()
    assert "Zeer ontevreden klagers" not in html
    assert Complaint.objects.get(pk=year.c["C3"].pk).events.filter(kind=EventKind.NOTE).exists()
