"""The annual report: the command writes a PDF whose text says the hand-counted figures."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from klachtbeheer.reporting.report import annual_report
from tests.reporting.conftest import TODAY

pytestmark = pytest.mark.django_db


def pdf_text(path) -> str:
    if shutil.which("pdftotext"):
        return subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


def test_the_command_writes_the_pdf_and_the_csv(year, tmp_path):
    call_command("report", year=2026, output_dir=str(tmp_path), language="en", as_of=TODAY)
    pdf = tmp_path / "klachtenjaarverslag-2026.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    text = " ".join(pdf_text(pdf).split())
    assert "Complaints report 2026" in text
    # The hand counts of test_figures, in words.
    assert "In 2026 10 complaints were received (2025: 3, +7 (+233%))" in text
    assert "75% of the judged complaints were founded or partly founded (3 of 4)" in text
    assert "settled in time: 67% (4 of 6)" in text
    assert "Half of the complaints were settled within 23 days" in text
    # The measures and their effect: C1's measure worked; C3's is open.
    assert f"Maatregel bij {year.ref('C1')}" in text
    # C1's measure worked (checked on 15 June); C3's and C5's are not checked yet.
    assert "(15/06/2026)" in text  # English as written in Europe (formats/en)
    assert text.count("Not checked") == 2  # the cell may wrap before "yet"
    assert f"Maatregel bij {year.ref('C3')}" in text
    # C5 is about a district manager; the quality manager's report counts it.
    assert f"Maatregel bij {year.ref('C5')}" in text

    rows = list(
        csv.reader(
            io.StringIO(
                (tmp_path / "klachtenjaarverslag-2026.csv").read_text(encoding="utf-8-sig")
            ),
            delimiter=";",
        )
    )
    table = {(r[0], r[1]): r[2:] for r in rows[1:]}
    assert rows[0][2:] == ["2026", "2025"]
    assert table[("Complaints received", "")] == ["10", "3"]
    assert table[("Received per month", "2026-01")] == ["2", "0"]
    # Settled in January 2026: P3 (received December 2025), C1, C2.
    assert table[("Settled per month", "2026-01")] == ["3", "0"]
    assert table[("Days to settlement, 90th percentile", "")] == ["38.6", "33"]
    assert table[("Settled in time (share)", "")] == ["0.6667", "0.6667"]
    assert table[("Per category", "Afspraken niet nagekomen")] == ["2", "2"]
    assert table[("Measures that worked", "")] == ["1", "1"]


def test_the_report_is_dutch_by_default(year, tmp_path):
    with translation.override("nl"):
        report = annual_report(year.qm, year=2026)
    assert "Klachtenjaarverslag 2026" in report.html


def test_a_district_manager_gets_no_report(year, tmp_path):
    with pytest.raises(CommandError):
        call_command("report", year=2026, user="dm_north", output_dir=str(tmp_path))


def test_the_report_button_gives_a_pdf(client, year):
    client.force_login(year.qm)
    with translation.override("nl"):
        url = reverse("reporting:report", args=[2026, "pdf"])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    client.force_login(year.dm_north)
    assert client.get(url).status_code == 404
