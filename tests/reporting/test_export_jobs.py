"""Very large register exports made by the worker (issue 15.5) and filters that must hold (14).

The worker is django-tasks-db's own loop (`db_worker --batch`), run in the test
against the real task table; the file lands in the data directory and only its
requester may download it, with the access of P3.2 applied when it was made.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from klachtbeheer.core.models import AuditEntry
from klachtbeheer.organisation.models import District
from klachtbeheer.reporting import exportjobs, exports
from klachtbeheer.reporting.models import ExportJob
from klachtbeheer.reporting.selectors import RegisterFilters, register
from tests.reporting.test_pages import csv_rows

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not apps.is_installed("django_tasks_db")
        or "django_tasks_db" not in str(django_settings.TASKS),
        reason="the worker's task backend (django-tasks-db) is not configured",
    ),
]


@pytest.fixture(autouse=True)
def _dutch():
    with translation.override("nl"):
        yield


@pytest.fixture
def small_threshold(settings, tmp_path):
    settings.EXPORT_WORKER_ROWS = 3
    settings.EXPORT_WORKER_ROWS_XLSX = 3
    settings.DATA_DIR = tmp_path
    return tmp_path


def export_url(fmt, query=""):
    return reverse("reporting:register_export", args=[fmt]) + (f"?{query}" if query else "")


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)


@pytest.mark.django_db(transaction=True)  # the worker manages its own connection
def test_a_large_export_is_made_by_the_worker_for_its_requester_only(client, year, small_threshold):
    dm = year.dm_north
    client.force_login(dm)
    response = client.get(export_url("csv"))
    assert response.status_code == 302
    assert response["Location"] == reverse("reporting:exports")
    page = client.get(response["Location"]).content.decode()
    assert "Wordt gemaakt" in page
    (job,) = ExportJob.objects.all()
    assert job.requester == dm and job.state == ExportJob.State.QUEUED

    run_worker()

    job.refresh_from_db()
    assert job.state == ExportJob.State.READY, job.state
    path = small_threshold / "exports" / job.file_name
    assert path.is_file()
    download = client.get(reverse("reporting:export_download", args=[job.pk]))
    assert download.status_code == 200
    rows = csv_rows(download)
    header, body = rows[0], rows[1:]
    expected = set(register(dm, filters=RegisterFilters()).values_list("reference", flat=True))
    assert {row[0] for row in body} == expected
    assert job.rows == len(body) == len(expected)
    district = dict(zip(header, body[0], strict=True))["District"]
    assert district == District.objects.get(manager=dm).name
    assert {row[header.index("District")] for row in body} == {district}
    # Everyone else's request for it: not found, the quality manager's too.
    client.force_login(year.qm)
    assert client.get(reverse("reporting:export_download", args=[job.pk])).status_code == 404
    assert len(body) < register(year.qm, filters=RegisterFilters()).count()
    # Asked for, made, downloaded: three rows in the audit log.
    made = AuditEntry.objects.filter(action="register.export").values_list("data", flat=True)
    assert sorted(d["made"] for d in made) == ["download", "worker", "worker"]


@pytest.mark.django_db(transaction=True)
def test_a_large_xlsx_is_made_by_the_worker_too(client, year, small_threshold):
    client.force_login(year.qm)
    assert client.get(export_url("xlsx")).status_code == 302
    run_worker()
    (job,) = ExportJob.objects.all()
    assert job.state == ExportJob.State.READY
    download = client.get(reverse("reporting:export_download", args=[job.pk]))
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    assert job.rows == register(year.qm, filters=RegisterFilters()).count()


def test_the_tick_removes_an_export_after_its_term(client, year, small_threshold, clock):
    client.force_login(year.qm)
    client.get(export_url("csv"))
    (job,) = ExportJob.objects.all()
    assert exportjobs.job_make(job.pk) == ExportJob.State.READY
    job.refresh_from_db()
    path = small_threshold / "exports" / job.file_name
    assert path.is_file()
    assert exportjobs.jobs_prune() == 0  # still within its term
    ExportJob.objects.filter(pk=job.pk).update(expires_at=job.expires_at - dt.timedelta(days=2))
    assert exportjobs.jobs_prune() == 1
    assert not path.exists()
    job.refresh_from_db()
    assert job.state == ExportJob.State.EXPIRED
    assert client.get(reverse("reporting:export_download", args=[job.pk])).status_code == 404


def test_a_small_export_streams_and_is_audited(client, year, settings):
    settings.EXPORT_WORKER_ROWS = 10_000
    client.force_login(year.qm)
    response = client.get(export_url("csv"))
    assert response.status_code == 200 and response.streaming
    assert len(csv_rows(response)) == register(year.qm, filters=RegisterFilters()).count() + 1
    entry = AuditEntry.objects.get(action="register.export")
    assert entry.data["made"] == "request" and entry.actor == year.qm


@pytest.mark.parametrize(
    "query",
    ["received_from=31-13-2026", "district=999999", "state=nonsense", "category=abc"],
)
def test_an_invalid_filter_refuses_the_export_with_a_message(client, year, query):
    """Issue 14: never the whole register for filters that could not be read."""
    client.force_login(year.qm)
    for fmt in ("csv", "xlsx"):
        response = client.get(export_url(fmt, query))
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")
        page = response.content.decode()
        assert "Er is niets gedownload" in page
    assert not AuditEntry.objects.filter(action="register.export").exists()
    assert not ExportJob.objects.exists()


def test_the_queries_of_an_export_do_not_grow_with_its_rows(client, year, settings):
    settings.EXPORT_WORKER_ROWS = 10_000
    client.force_login(year.qm)
    north = District.objects.get(manager=year.dm_north).pk
    south = District.objects.get(manager=year.dm_south).pk
    client.get(export_url("csv"))  # warm up
    counted = {}
    for district in (north, south):
        with CaptureQueriesContext(connection) as queries:
            rows = csv_rows(client.get(export_url("csv", f"district={district}")))
        counted[district] = (len(rows), len(queries))
    assert counted[north][0] != counted[south][0]  # not the same number of rows
    assert counted[north][1] == counted[south][1]  # the same number of queries


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL rule is PostgreSQL's")
@settings(max_examples=200, deadline=None)
@given(st.text(max_size=12))
def test_neutral_in_sql_is_the_rule_of_neutral(text):
    """`exports.neutral_sql` restates `exports.neutral`: the two agree on any text."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {exports.neutral_sql('x')} FROM (SELECT %s::text AS x) AS v",
            [list(exports.FORMULA_STARTS), text.replace("\x00", "")],
        )
        (value,) = cursor.fetchone()
    assert value == exports.neutral(text.replace("\x00", ""))
