"""Benchmark of the register export on PostgreSQL (issue 15 point 5; not part of `make test`).

Creates the database named in BENCH_DATABASE_URL (default kb_exports_bench on the
local server) when missing, migrates it, loads the demo organisation and loads
complaints with `reporting.bulk.load` until there are BENCH_COMPLAINTS (default
100,000). Then builds the CSV of the whole register as the quality manager's
download does (`exports.csv_lines` over `selectors.register`), BENCH_RUNS times,
and reports rows per second, the number of SQL statements and the peak of
Python memory while streaming (tracemalloc), which stays flat however many rows,
and the time to the first row (the header goes out before the query runs).

BENCH_WORKER=1 also makes the file as the worker does (`exportjobs.job_make`, CSV
and, with BENCH_XLSX=1, XLSX) and reports its seconds, rows per second and the
growth of the process's resident memory (peak RSS, reset before each run).
BENCH_HTTP=1 instead serves the application as `make bench` does
(`bench.Servers`) and times the exports over HTTP with `bench.time_export`, from
the click to the last byte (the worker's path above EXPORT_WORKER_ROWS): the
quality manager's export of everything and a district manager's.
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


def peak_rss_reset() -> None:
    """Start counting the peak resident memory anew (Linux: clear_refs 5)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (kB there), in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    return _status_mb("VmHWM")


def rss_mb() -> float:
    return _status_mb("VmRSS")


def over_http() -> None:
    """The exports over HTTP, served as `make bench` serves them (scripts/bench.py)."""
    import asyncio

    import bench

    bench.setup()
    bench.close_django()
    with bench.Servers() as servers:
        base = f"http://127.0.0.1:{servers.port}"

        async def run() -> None:
            for username in ("kwaliteit", "noordwest"):
                conn = await bench.login(base, username)
                for _ in range(RUNS):
                    result = await bench.time_export(conn, "/register/export.csv")
                    load = os.getloadavg()[0]
                    print(f"  HTTP CSV, {username}: {result} (load {load:.1f})", flush=True)
                await conn.close()

        asyncio.run(run())


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
    if os.environ.get("BENCH_HTTP") == "1":
        over_http()
        return

    def export() -> tuple[int, int, float]:
        lines = 0
        size = 0
        first = None
        begun = time.perf_counter()
        for piece in exports.csv_lines(register(qm, filters=RegisterFilters(), today=today)):
            lines += piece.count("\n")
            size += len(piece)
            if first is None and lines >= 2:
                first = time.perf_counter() - begun  # the first row, not the header
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
            f" first row {first * 1000:.0f} ms (load {os.getloadavg()[0]:.1f})"
        )
    tracemalloc.start()
    export()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak Python memory while streaming: {peak / 1e6:.1f} MB")
    if os.environ.get("BENCH_WORKER") == "1":
        worker(qm)
    print(
        f"\nBENCH register CSV median {statistics.median(rates):,.0f} rows/s on {total} complaints"
    )


def worker(qm) -> None:
    """The file as the worker makes it (`exportjobs.job_make`), in this process."""
    from klachtbeheer.reporting import exportjobs
    from klachtbeheer.reporting.models import ExportJob

    formats = ["csv", "xlsx"] if os.environ.get("BENCH_XLSX") == "1" else ["csv"]
    for fmt in formats:
        for _ in range(RUNS if fmt == "csv" else 1):
            job = ExportJob.objects.create(requester=qm, format=fmt, query="")
            before = rss_mb()
            peak_rss_reset()
            begun = time.perf_counter()
            state = exportjobs.job_make(job.pk)
            seconds = time.perf_counter() - begun
            job.refresh_from_db()
            path = exportjobs.directory() / job.file_name
            size = path.stat().st_size if job.file_name else 0
            print(
                f"  worker {fmt}: {state}, {job.rows} rows in {seconds:.2f} s: "
                f"{(job.rows or 0) / seconds:,.0f} rows/s, {size / 1e6:.0f} MB, "
                f"peak RSS +{peak_rss_mb() - before:.1f} MB (load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
            path.unlink(missing_ok=True)
            ExportJob.objects.filter(pk=job.pk).delete()


if __name__ == "__main__":
    main()
