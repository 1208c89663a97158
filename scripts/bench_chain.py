"""What the tamper-evident chain costs intake (issue 11.7), on PostgreSQL.

Registers complaints from several threads at once (each registration is one durable
transaction writing the complaint, its timeline entries, its audit row, the letter it
owes and the outbox), first with the chain sealed at COMMIT as in production, then
with the sealing trigger dropped (the head lock never taken), and prints
registrations per second and the time the head lock is held per commit.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/kb_bench_chain \
        .venv/bin/python scripts/bench_chain.py [threads] [per_thread]

The database is dropped and made afresh.
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kb_bench_chain")
os.environ["DATABASE_URL"] = URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klachtbeheer.settings")


def fresh_database() -> None:
    import psycopg

    base, name = URL.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    per_thread = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    fresh_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    call_command("migrate", verbosity=0)
    from tests.factories import ComplainantDataFactory, DistrictFactory, today

    from klachtbeheer.complaints import services
    from klachtbeheer.core import chain
    from klachtbeheer.privacy import record

    DistrictFactory(name="North", postcodes=[(1000, 4999)])

    def run(label: str) -> float:
        start = threading.Barrier(threads)
        errors: list[BaseException] = []

        def work(i: int) -> None:
            try:
                start.wait(timeout=60)
                for n in range(per_thread):
                    services.complaint_register(
                        actor=None,
                        channel="web_form",
                        received_on=today(),
                        complainant=ComplainantDataFactory.build(postcode="3741 AB"),
                        substantiation=f"Klacht {label} {i}-{n}",
                    )
            except BaseException as error:
                errors.append(error)
            finally:
                connections.close_all()

        workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
        began = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        took = time.perf_counter() - began
        if errors:
            raise errors[0]
        rate = threads * per_thread / took
        print(f"{label}: {threads * per_thread} registrations in {took:.2f} s = {rate:.1f}/s")
        return rate

    def seal_time() -> float:
        """Median time of one registration on its own (no other writers)."""
        times = []
        for n in range(30):
            began = time.perf_counter()
            services.complaint_register(
                actor=None,
                channel="web_form",
                received_on=today(),
                complainant=ComplainantDataFactory.build(postcode="3741 AB"),
                substantiation=f"Meting {n}",
            )
            times.append(time.perf_counter() - began)
        return statistics.median(times)

    run("warm-up, chain on")
    with_chain = run("chain on (sealed at COMMIT)")
    one_with = seal_time()
    with connection.cursor() as cursor:
        for table in chain.CONTENT_FIELDS:
            cursor.execute(f"DROP TRIGGER kb_seal ON {table}")
    without = run("chain off (no sealing trigger)")
    one_without = seal_time()
    print(
        f"one registration alone: {one_with * 1000:.1f} ms with the chain, "
        f"{one_without * 1000:.1f} ms without: the commit-time sealing costs "
        f"{(one_with - one_without) * 1000:.1f} ms, which is how long the head lock is held"
    )
    print(f"throughput with the chain: {with_chain / without * 100:.0f}% of without")
    # Put the triggers back and check the chain of what was sealed.
    from django.apps import apps

    for table in chain.CONTENT_FIELDS:
        model = next(m for m in apps.get_models() if m._meta.db_table == table)
        with connection.schema_editor() as editor:
            chain.install(model, editor)
    result = record.verify()
    print(f"verify (rows written without the trigger are unsealed): {result.problem or 'ok'}")


if __name__ == "__main__":
    main()
