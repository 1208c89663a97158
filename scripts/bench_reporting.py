"""Benchmark of the dashboard on 100,000 complaints in PostgreSQL (`make bench`).

Creates the database named in BENCH_DATABASE_URL (default kb_bench on the local
server) when missing, migrates it, loads the demo organisation and then
complaints in bulk (klachtbeheer.reporting.bulk) until there are BENCH_COMPLAINTS
(default 100,000), and times, BENCH_RUNS times each (median reported): the
dashboard selectors for the quality manager and for a district manager, the
open complaints by term for both, the whole dashboard page, the first page of the
register, and the annual report's figures and its PDF. Not part of `make test`.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from urllib.parse import urlparse

URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kb_bench")
COUNT = int(os.environ.get("BENCH_COMPLAINTS", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "7"))


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def timed(label: str, work, runs: int = RUNS) -> float:
    work()  # warm-up: connection, caches, plans
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    print(f"{label:<52} median {median * 1000:8.1f} ms  (min {min(times) * 1000:.1f}, {runs} runs)")
    return median


def main() -> None:
    if not URL.startswith("postgres"):
        sys.exit("the benchmark runs on PostgreSQL: set BENCH_DATABASE_URL=postgres://...")
    ensure_database(URL)
    os.environ["DATABASE_URL"] = URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klachtbeheer.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from klachtbeheer.complaints.models import Complaint
    from klachtbeheer.demo.data import load_demo
    from klachtbeheer.reporting import bulk
    from klachtbeheer.reporting.analysis import analyse
    from klachtbeheer.reporting.report import annual_report
    from klachtbeheer.reporting.selectors import Period, RegisterFilters, open_by_term, register

    call_command("migrate", verbosity=0)
    User = get_user_model()
    if not User.objects.filter(username="kwaliteit").exists():
        load_demo()
    have = Complaint.objects.count()
    if have < COUNT:
        today = timezone.localdate()
        started = time.perf_counter()
        bulk.load(COUNT - have, start=dt.date(today.year - 3, 1, 1), today=today)
        print(f"loaded {COUNT - have} complaints in {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    total = Complaint.objects.count()
    year = timezone.localdate().year
    print(f"{total} complaints in {URL.rsplit('/', 1)[-1]}; {this_year(total, year)}")
    qm = User.objects.get(username="kwaliteit")
    dm = User.objects.get(username="midden")
    period = Period.year(year)

    with CaptureQueriesContext(connection) as queries:
        analyse(qm, period=period)
    print(f"dashboard selectors: {len(queries)} queries")
    results = {
        "selectors_qm": timed(
            "dashboard selectors, quality manager, this year", lambda: analyse(qm, period=period)
        ),
        "selectors_dm": timed(
            "dashboard selectors, district manager, this year", lambda: analyse(dm, period=period)
        ),
        "report": timed(
            "annual report figures (with the year before)",
            lambda: analyse(qm, period=Period.year(year - 1), compare=True, report=True),
        ),
        "open_qm": timed("open complaints by term, quality manager", lambda: open_by_term(qm)),
        "open_dm": timed("open complaints by term, district manager", lambda: open_by_term(dm)),
        "report_pdf": timed(
            "annual report PDF (last year, figures and WeasyPrint)",
            lambda: annual_report(qm, year=year - 1).pdf(),
            runs=3,
        ),
        "register": timed(
            "register, first page of 50 rows",
            lambda: list(register(qm, filters=RegisterFilters())[:50]),
        ),
    }
    client = Client()
    client.force_login(qm)

    def page():
        response = client.get("/dashboard/")
        assert response.status_code == 200, response.status_code

    results["page"] = timed("dashboard page (HTML), quality manager", page)
    print(f"\nBENCH dashboard page median {results['page'] * 1000:.0f} ms on {total} complaints")


def this_year(total: int, year: int) -> str:
    from klachtbeheer.complaints.models import Complaint

    return f"{Complaint.objects.filter(received_on__year=year).count()} received in {year}"


if __name__ == "__main__":
    main()
