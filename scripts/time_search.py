"""The work list's and the search's database time per page, in this process (issue 15).

    DATABASE_URL=postgres://... .venv/bin/python scripts/time_search.py [RUNS] [--explain | --page]

For the quality manager, the board and a district manager: the first page of the work
list as the page asks for it (the capped count and the 50 rows, through
`selectors.work_list` and `CappedPaginator`, the access rule P3.2 in the query), with
each filter and with searches for a word in about half, a fifth and a thousandth of
the complaints (`bench_seed`'s planted words), a whole reference and a name. Prints
p50 / p95 in ms. No HTTP, no templates: what the queries cost, from Python (default)
or as PostgreSQL's own execution time of the count and the rows (--explain), which a
loaded machine disturbs less.

--page: the whole work list page instead, in this process through Django's test client
(middleware, view, template, every query, the access log), signed in with a second
factor as the quality manager and a district manager of the demo (`kwaliteit`,
`noordwest`), for the query strings `scripts/bench.py` asks over HTTP; wall-clock and
CPU time of this thread (the CPU time is what a busy machine disturbs least).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klachtbeheer.settings")

import django

django.setup()

import bench_seed  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402

from klachtbeheer.complaints.models import Complaint  # noqa: E402
from klachtbeheer.complaints.selectors import (  # noqa: E402
    COUNT_CAP,
    FULL_REFERENCE,
    WORK_LIST_ORDER_FEW,
    CappedPaginator,
    WorkListFilters,
    bounded_search,
    sparse,
    work_calendar,
    work_list,
)
from klachtbeheer.complaints.workflow import State  # noqa: E402
from klachtbeheer.organisation.models import Organisation, Role  # noqa: E402

RUNS = int(next((a for a in sys.argv[1:] if a.isdigit()), "15"))
EXPLAIN = "--explain" in sys.argv
PAGE = "--page" in sys.argv


def first_page(user, filters: WorkListFilters) -> int:
    organisation = Organisation.cached()
    queryset = work_list(user, filters=filters, calendar=work_calendar(), organisation=organisation)
    with bounded_search(enabled=bool(filters.q)):
        page = CappedPaginator(
            queryset, 50, order_when_few=WORK_LIST_ORDER_FEW if filters.q else None
        ).get_page(1)
        return len(list(page.object_list))


def _executed_ms(queryset) -> float:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        return float(cursor.fetchone()[0][0]["Execution Time"])


def database_ms(user, filters: WorkListFilters) -> float:
    """What PostgreSQL itself spends on the page's count and rows (EXPLAIN ANALYZE)."""
    organisation = Organisation.cached()
    queryset = work_list(user, filters=filters, calendar=work_calendar(), organisation=organisation)
    counted = queryset.order_by()[: COUNT_CAP + 1]
    n = counted.count()
    if filters.q and (n <= COUNT_CAP or sparse(queryset)):
        queryset = queryset.order_by(*WORK_LIST_ORDER_FEW)
    return _executed_ms(counted.values("pk")) + _executed_ms(queryset[:50])


def timed(user, filters: WorkListFilters) -> tuple[float, float]:
    measure = database_ms if EXPLAIN else None
    first_page(user, filters)  # warm
    times = []
    for _ in range(RUNS):
        if measure:
            times.append(measure(user, filters))
            continue
        started = time.perf_counter()
        first_page(user, filters)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def signed_in(username: str):
    """A test client signed in as `username`, with the second factor production asks for."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.get(username=username)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or (
        TOTPDevice.objects.create(user=user, name="time_search", confirmed=True)
    )
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def pages() -> None:
    """The work list page per role and query string, as scripts/bench.py asks for it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM complaints_complaint")
        (count,) = cursor.fetchone()
        cursor.execute(
            "SELECT reference, complainant_name FROM complaints_complaint "
            "ORDER BY id OFFSET %s LIMIT 1",
            [count // 2],
        )
        reference, name = cursor.fetchone()
    clients = {
        "quality manager": signed_in("kwaliteit"),
        "district manager": signed_in("noordwest"),
    }
    cases = [("work list", role, {}) for role in clients]
    for label, word in (
        ("word in ~50 %", bench_seed.COMMON_WORD),
        ("word in ~20 %", bench_seed.FIFTH_WORD),
        ("rare word (0.1 %)", bench_seed.RARE_WORD),
    ):
        cases += [(f"search, {label}", role, {"q": word}) for role in clients]
    cases += [("reference lookup", "quality manager", {"q": reference})]
    cases += [("name lookup", "quality manager", {"q": name})]
    print(f"{count:,} complaints, {RUNS} runs each; p50 / p95 ms, wall and CPU ({os.getloadavg()})")
    print("| page | role | wall | CPU | queries |")
    print("|---|---|---|---|---|")
    from django.test.utils import CaptureQueriesContext

    for label, role, query in cases:
        client = clients[role]
        assert client.get("/klachten/", query).status_code == 200  # warm
        walls, cpus = [], []
        for _ in range(RUNS):
            started, cpu = time.perf_counter(), time.thread_time()
            client.get("/klachten/", query)
            walls.append((time.perf_counter() - started) * 1000)
            cpus.append((time.thread_time() - cpu) * 1000)
        with CaptureQueriesContext(connection) as queries:
            client.get("/klachten/", query)
        cells = []
        for times in (sorted(walls), sorted(cpus)):
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            cells.append(f"{statistics.median(times):.1f} / {p95:.1f}")
        print(f"| {label} | {role} | {cells[0]} | {cells[1]} | {len(queries)} |", flush=True)


def main() -> None:
    if PAGE:
        pages()
        return
    users = get_user_model().objects.select_related("staff_profile")
    by_role = {}
    for role in (Role.QUALITY_MANAGER, Role.BOARD, Role.DISTRICT_MANAGER):
        by_role[role] = users.filter(staff_profile__role=role, is_active=True).first()
    one = next(
        (
            c
            for c in Complaint.objects.order_by("-id")[:2000]
            if FULL_REFERENCE.fullmatch(c.reference)
        ),
        None,
    )
    name = one.complainant_name.split()[-1] if one and one.complainant_name else "Jansen"
    cases = {
        "work list": WorkListFilters(),
        "state: received": WorkListFilters(state=State.RECEIVED),
        "state: closed": WorkListFilters(state=State.CLOSED),
        "no open term": WorkListFilters(term="none"),
        "term missed": WorkListFilters(term="missed"),
        "nobody (triage)": WorkListFilters(handler=-1),
        f"search ~50 % ({bench_seed.COMMON_WORD})": WorkListFilters(q=bench_seed.COMMON_WORD),
        f"search ~20 % ({bench_seed.FIFTH_WORD})": WorkListFilters(q=bench_seed.FIFTH_WORD),
        f"search 0.1 % ({bench_seed.RARE_WORD})": WorkListFilters(q=bench_seed.RARE_WORD),
        "reference": WorkListFilters(q=one.reference if one else "KL-2026-00001"),
        f"name ({name})": WorkListFilters(q=name),
    }
    how = "PostgreSQL execution time" if EXPLAIN else "from Python"
    print(f"{Complaint.objects.count():,} complaints, {RUNS} runs each; p50 / p95 ms ({how})")
    print("| case | " + " | ".join(str(r.label) for r in by_role) + " |")
    print("|---|" + "---|" * len(by_role))
    for label, filters in cases.items():
        cells = []
        for user in by_role.values():
            p50, p95 = timed(user, filters)
            cells.append(f"{p50:.1f} / {p95:.1f}")
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
