"""Benchmark of the register export on PostgreSQL (issue 15 point 5; not part of `make test`).

Creates the database named in BENCH_DATABASE_URL (default kb_exports_bench on the
local server) when missing, migrates it, loads the demo organisation and loads
complaints with `reporting.bulk.load` until there are BENCH_COMPLAINTS (default
100,000). Then builds the CSV of the whole register as the quality manager's
download does (`exports.csv_lines` over `selectors.register`), BENCH_RUNS times,
and reports rows per second, the number of SQL statements and the peak of
Python memory while streaming (tracemalloc), which stays flat however many rows.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
import tracemalloc
from urllib.parse import urlparse

URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kb_exports_bench")
COUNT = int(os.environ.get("BENCH_COMPLAINTS", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


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
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from klachtbeheer.complaints.models import Complaint
    from klachtbeheer.demo.data import load_demo
    from klachtbeheer.reporting import bulk, exports
    from klachtbeheer.reporting.selectors import RegisterFilters, register

    call_command("migrate", verbosity=0)
    if not get_user_model().objects.filter(username="kwaliteit").exists():
        load_demo()
    today = timezone.localdate()
    started = time.perf_counter()
    added = max(0, COUNT - Complaint.objects.count())
    if added:
        # reporting.bulk (COPY, with categories and measures); bench_seed.seed misses
        # columns added since (form_of_address).
        bulk.load(added, start=dt.date(today.year - 3, 1, 1), today=today)
        print(f"seeded {added} complaints in {time.perf_counter() - started:.0f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    total = Complaint.objects.count()
    qm = get_user_model().objects.get(username="kwaliteit")

    def export() -> tuple[int, int, float]:
        lines = 0
        size = 0
        first = None
        begun = time.perf_counter()
        for piece in exports.csv_lines(register(qm, filters=RegisterFilters(), today=today)):
            if first is None:
                first = time.perf_counter() - begun
            lines += piece.count("\n")
            size += len(piece)
        return lines - 1, size, first or 0.0

    with CaptureQueriesContext(connection) as queries:
        rows, size, _first = export()
    print(f"{total} complaints, {rows} rows exported, {size / 1e6:.1f} MB, {len(queries)} queries")
    rates = []
    for _ in range(RUNS):
        begun = time.perf_counter()
        rows, _size, first = export()
        seconds = time.perf_counter() - begun
        rates.append(rows / seconds)
        print(
            f"  {rows} rows in {seconds:.2f} s: {rows / seconds:,.0f} rows/s,"
            f" first piece {first * 1000:.0f} ms"
        )
    tracemalloc.start()
    export()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak Python memory while streaming: {peak / 1e6:.1f} MB")
    print(
        f"\nBENCH register CSV median {statistics.median(rates):,.0f} rows/s on {total} complaints"
    )


if __name__ == "__main__":
    main()
