"""`make bench`: Klachtbeheer at 100,000 and 1,000,000 complaints, over HTTP, beside its peer.

Not part of `make test`. In one run, for each size in BENCH_SIZES:

1. seeds complaints up to that size (`bench_seed.py`, COPY);
2. serves the application as in production (`klachtbeheer serve`, gunicorn, with
   `klachtbeheer worker` beside it), behind an emulated TLS proxy, spam checks on;
3. measures the raw PostgreSQL single-row commit rate (INSERT + COMMIT per row);
4. measures intake over HTTP: the public form (GET, solve the proof of work,
   POST) and the intake API at c=8 and c=32, counting the rows in the database;
5. measures every staff page and export of issue 15 (p50/p95);
6. when the peer set-up is there (PEER_BENCH_DIR, /work/shared/peer-bench), the
   peer django-helpdesk served by gunicorn with the same worker count, seeded to
   the same size, its form at c=8 and its list and search pages;

and writes the results into docs/benchmarks.md (and var/bench/results.json).

Environment: BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/kb_perf_bench),
BENCH_SIZES ("100000 1000000"), BENCH_SECONDS (20 per intake run), BENCH_RUNS (20 per
page), BENCH_WORKERS (5), PEER_BENCH_DIR, PEER_VENV (var/peer-venv), BENCH_SKIP_PEER=1,
BENCH_INTAKE_ONLY=1 (the intake runs alone, no staff pages: for a quick check of intake),
BENCH_PAGES_ONLY=1 (the staff pages alone, no intake runs).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlparse

import bench_http as web
import bench_seed

ROOT = Path(__file__).resolve().parent.parent
URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kb_perf_bench")
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "100000 1000000").split()]
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
RUNS = int(os.environ.get("BENCH_RUNS", "20"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "5"))
PEER_DIR = Path(os.environ.get("PEER_BENCH_DIR", "/work/shared/peer-bench"))
PEER_VENV = Path(os.environ.get("PEER_VENV", str(ROOT / "var" / "peer-venv")))
PEER_DB = os.environ.get("PEER_DATABASE", "kb_perf_helpdesk")
OUT = ROOT / "var" / "bench"
PASSWORD = "demo-klacht-2026"
BIN = Path(sys.executable).parent


def log(message: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def admin_url(url: str) -> str:
    return urlparse(url)._replace(path="/postgres").geturl()


def ensure_database(url: str) -> None:
    import psycopg

    name = urlparse(url).path.lstrip("/")
    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def environment(port: int) -> dict[str, str]:
    data = OUT / "data"
    (data / "files").mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "KLACHTBEHEER_ENV": "production",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY", secrets.token_urlsafe(50)),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "DATABASE_URL": URL,
        "KLACHTBEHEER_DATA_DIR": str(data),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(free_port()),
        "PROXY_COUNT": "1",
        "INTAKE_MIN_FILL_SECONDS": "0",  # no think time in a closed loop
        "INTAKE_SUBMISSIONS_PER_HOUR": "10000000",
        "INTAKE_API_SUBMISSIONS_PER_HOUR": "10000000",
        "ALTCHA_KEY_PREFIX": "",  # the client finds a solution at once; the server checks it
        "WEB_BIND": f"127.0.0.1:{port}",
        "WEB_WORKERS": str(WORKERS),
        "LOGIN_FAILURE_LIMIT": "1000",
        "LOG_LEVEL": "WARNING",
    }


# --- set-up ------------------------------------------------------------------------


def setup() -> dict:
    os.environ["DATABASE_URL"] = URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klachtbeheer.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from klachtbeheer.demo.data import load_demo
    from klachtbeheer.intake import services
    from klachtbeheer.intake.models import IntakeApiKey

    call_command("migrate", verbosity=0)
    if not get_user_model().objects.filter(username="kwaliteit").exists():
        load_demo()
    # A fresh site key per run (keys are stored hashed; an old one keeps its submissions).
    qm = get_user_model().objects.get(username="kwaliteit")
    name = f"bench {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S}"
    IntakeApiKey.objects.filter(name__startswith="bench").update(is_active=False)
    _key, secret = services.api_key_create(actor=qm, name=name)
    # Production asks staff for a second factor: the benchmark's two users get an
    # authenticator whose secret it keeps, and answer with its code as an app would.
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for username in ("kwaliteit", "noordwest"):
        user = get_user_model().objects.get(username=username)
        device = TOTPDevice.objects.filter(user=user, name="bench", confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        SECOND_FACTOR[username] = device.pk
    return {"api_key": secret}


SECOND_FACTOR: dict[str, int] = {}  # username: the benchmark's authenticator


def second_factor_code(username: str) -> str:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(pk=SECOND_FACTOR[username])
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


def close_django() -> None:
    from django.db import connections

    connections.close_all()


class Servers:
    """`klachtbeheer serve` and `klachtbeheer worker`, started and stopped by this run."""

    def __init__(self) -> None:
        self.port = free_port()
        self.env = environment(self.port)
        self.processes: list[subprocess.Popen] = []
        self.pids: dict[str, int] = {}

    def __enter__(self) -> Servers:
        logs = OUT / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [str(BIN / "klachtbeheer"), "collectstatic", "--noinput"],
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        # A mail server that takes every message (the worker sends the acknowledgements).
        self.processes.append(
            subprocess.Popen(
                [
                    str(BIN / "python"),
                    "-m",
                    "aiosmtpd",
                    "-n",
                    "-l",
                    f"127.0.0.1:{self.env['EMAIL_PORT']}",
                    "-c",
                    "aiosmtpd.handlers.Sink",
                ],
                start_new_session=True,
            )
        )
        for command in ("serve", "worker"):
            self.processes.append(
                process := subprocess.Popen(
                    [str(BIN / "klachtbeheer"), command],
                    env=self.env,
                    stdout=open(logs / f"{command}.log", "ab"),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            self.pids[command] = process.pid  # its own session: the process group's id
        try:
            wait_for(f"http://127.0.0.1:{self.port}/healthz")
        except BaseException:
            self.__exit__()  # what started is stopped, also when the server never answers
            raise
        return self

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def wait_for(url: str, seconds: float = 60) -> None:
    import urllib.request

    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback only)
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer")


# --- raw PostgreSQL ----------------------------------------------------------------------


# --- CPU per submission ----------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the name, or None if the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _own_cpu(fields: list[str]) -> float:
    # After the name: state(0) ppid(1) pgrp(2) ... utime(11) stime(12) cutime(13) cstime(14)
    return (int(fields[11]) + int(fields[12])) / _TICK


def _reaped_cpu(fields: list[str]) -> float:
    """CPU of the children this process has waited for: gunicorn's workers it replaced
    (WEB_MAX_REQUESTS), PostgreSQL's backends that ended."""
    return (int(fields[13]) + int(fields[14])) / _TICK


def _postmaster() -> int | None:
    """PostgreSQL's main process, as the benchmark's database server tells it."""
    import psycopg

    with psycopg.connect(admin_url(URL), autocommit=True) as conn:
        directory = conn.execute("SHOW data_directory").fetchone()[0]
    try:
        return int(Path(directory, "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError):
        return None


class CpuMeter:
    """CPU seconds spent in a stretch of time by the web server (gunicorn, every worker,
    also those it replaced meanwhile), the worker (`klachtbeheer worker`: the
    acknowledgements it drafts and sends), PostgreSQL (the whole server: every backend,
    also those that ended, and its own processes; other databases' work counts too, so
    run nothing else) and the load generator (this process), read from /proc: the
    issue's "web-server CPU per submission", measured over HTTP."""

    def __init__(self, groups: dict[str, int]) -> None:
        self.groups = groups  # part -> process group id (its leader reaps the rest)

    def _read(self) -> dict[str, float]:
        wanted = {pgid: part for part, pgid in self.groups.items()}
        seconds = dict.fromkeys([*self.groups, "postgres"], 0.0)
        master = _postmaster()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            fields = _proc_stat(pid)
            if fields is None:
                continue
            part = wanted.get(int(fields[2]))
            if part is None and master is not None and (pid == master or int(fields[1]) == master):
                part = "postgres"
            if part is None:
                continue
            seconds[part] += _own_cpu(fields)
            if pid == master or pid in wanted:  # a group's leader, the postmaster
                seconds[part] += _reaped_cpu(fields)
        return seconds

    def __enter__(self) -> CpuMeter:
        self.before = self._read()
        self.own = time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        after = self._read()
        self.seconds = {part: after[part] - self.before[part] for part in after}
        self.seconds["load generator"] = time.process_time() - self.own

    def per(self, count: int) -> dict[str, float]:
        """Milliseconds of CPU per submission, by part."""
        return {part: round(1000 * s / max(count, 1), 1) for part, s in self.seconds.items()}


def pg_commit_rate(url: str, connections: int, seconds: float = 8.0) -> float:
    """Durable single-row INSERT + COMMIT per second with `connections` threads."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_commit (id bigserial, at timestamptz)")
        conn.execute("TRUNCATE bench_commit")
    counts = [0] * connections
    stop = time.perf_counter() + seconds

    def work(index: int) -> None:
        with psycopg.connect(url) as conn:
            while time.perf_counter() < stop:
                conn.execute("INSERT INTO bench_commit (at) VALUES (now())")
                conn.commit()
                counts[index] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


# --- intake --------------------------------------------------------------------------


def _proxy_headers(base: str, n: int) -> dict[str, str]:
    return {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}",
        "Origin": base.replace("http://", "https://"),
        "Referer": base.replace("http://", "https://") + "/klacht/",
    }


def form_intake(base: str, tag: str, concurrency: int) -> web.Result:
    import altcha

    counter = iter(range(1, 10**9))

    async def make_user(index: int):
        conn = web.Connection(base)

        async def step() -> bool:
            n = next(counter) + index * 1_000_000
            headers = _proxy_headers(base, n)
            page = await conn.request("GET", "/klacht/", headers=headers)
            if page.status != 200:
                raise web.HttpError(f"form {page.status}")
            html = page.body.decode()
            challenge = await conn.request("GET", "/klacht/altcha/", headers=headers)
            parsed = altcha.Challenge.from_dict(json.loads(challenge.body))
            solution = altcha.solve_challenge(parsed)
            payload = altcha.Payload(parsed, solution).to_base64()
            body, kind = web.multipart(
                {
                    "csrfmiddlewaretoken": web.hidden(html, "csrfmiddlewaretoken"),
                    "draft": web.hidden(html, "draft"),
                    "started": web.hidden(html, "started"),
                    "website": "",
                    "altcha": payload,
                    "complainant_type": "client",
                    "name": f"Bezoeker {n}",
                    "email": f"bezoeker{n}@example.nl",
                    "postcode": "3511 AB",
                    "substantiation": f"Mijn jobcoach kwam de afspraak van {n} niet na. "
                    f"Ref {tag} {uuid.uuid4()}",
                    "action": "submit",
                }
            )
            answer = await conn.request(
                "POST", "/klacht/", body=body, headers={**headers, "Content-Type": kind}
            )
            if answer.status != 302:
                raise web.HttpError(f"post {answer.status} {answer.body[:200]!r}")
            return True

        return step, conn.close

    return asyncio.run(web.closed_loop("form", concurrency, SECONDS, 3, make_user))


def api_intake(base: str, tag: str, concurrency: int, api_key: str) -> web.Result:
    counter = iter(range(1, 10**9))

    async def make_user(index: int):
        conn = web.Connection(base)

        async def step() -> bool:
            n = next(counter) + index * 1_000_000
            body = json.dumps(
                {
                    "complainant_type": "client",
                    "name": f"Bezoeker {n}",
                    "email": f"api{n}@example.nl",
                    "postcode": "3511 AB",
                    "client_address": f"10.9.{n >> 8 & 255}.{n & 255}",
                    "substantiation": f"Via de site: de afspraak van {n} ging niet door. "
                    f"Ref {tag} {uuid.uuid4()}",
                }
            ).encode()
            answer = await conn.request(
                "POST",
                "/api/v1/complaints",
                body=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Api-Key": api_key,
                    "X-Forwarded-Proto": "https",
                },
            )
            if answer.status != 201:
                raise web.HttpError(f"api {answer.status} {answer.body[:200]!r}")
            return True

        return step, conn.close

    return asyncio.run(web.closed_loop("api", concurrency, SECONDS, 3, make_user))


def rows_with(tag: str) -> int:
    import psycopg

    with psycopg.connect(URL) as conn:
        return conn.execute(
            "SELECT count(*) FROM complaints_complaint WHERE substantiation LIKE %s",
            [f"%Ref {tag} %"],
        ).fetchone()[0]


# --- staff pages ------------------------------------------------------------------------


async def login(base: str, username: str) -> web.Connection:
    conn = web.Connection(base, headers={"X-Forwarded-Proto": "https"})
    https = base.replace("http://", "https://")
    page = await conn.request("GET", "/inloggen/")
    token = web.hidden(page.body.decode(), "csrfmiddlewaretoken")
    body, kind = web.form_body(
        {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}
    )
    answer = await conn.request(
        "POST",
        "/inloggen/",
        body=body,
        headers={"Content-Type": kind, "Origin": https, "Referer": https + "/inloggen/"},
    )
    if answer.status != 302:
        raise SystemExit(f"login of {username} failed: {answer.status}")
    page = await conn.request("GET", "/tweede-factor/")
    if page.status == 200:
        token = web.hidden(page.body.decode(), "csrfmiddlewaretoken")
        code = await asyncio.to_thread(second_factor_code, username)
        body, kind = web.form_body({"csrfmiddlewaretoken": token, "code": code})
        answer = await conn.request(
            "POST",
            "/tweede-factor/",
            body=body,
            headers={"Content-Type": kind, "Origin": https, "Referer": https + "/tweede-factor/"},
        )
        if answer.status != 302:
            raise SystemExit(f"second factor of {username} failed: {answer.status}")
    return conn


async def time_page(conn: web.Connection, path: str, runs: int, expect: bytes = b"") -> dict:
    samples = []
    await conn.request("GET", path)  # warm-up
    last = None
    for _ in range(runs):
        started = time.perf_counter()
        last = await conn.request("GET", path)
        samples.append(time.perf_counter() - started)
        if last.status != 200:
            raise SystemExit(f"{path}: {last.status} {last.body[:300]!r}")
    result = web.timings(samples)
    if expect and expect not in last.body:
        result["note"] = f"missing {expect!r}"
    return result


EXPORT_POLL_SECONDS = 0.25  # how often the export page is asked whether the file is ready
EXPORT_WAIT_SECONDS = float(os.environ.get("BENCH_EXPORT_WAIT", "900"))
_EXPORT_LINK = re.compile(rb'href="(/register/exports/(\d+)/)"')


async def time_export(conn: web.Connection, path: str) -> dict:
    """One register export as its user gets it, from the click to the last byte.

    A small export streams in the answer itself. A large one answers with a
    redirect to the export page (`/register/exports/`) and is made by the worker:
    the page is asked every EXPORT_POLL_SECONDS until the new export's download
    link is there (a person's page refreshes itself every 5 s), then the file is
    downloaded. First byte and total are counted from the click; rows are the data
    lines received (the header not counted).
    """
    lines = 0
    size = 0
    first_row: float | None = None

    def sink(chunk: bytes) -> None:
        nonlocal lines, size, first_row
        lines += chunk.count(b"\n")
        size += len(chunk)
        if first_row is None and lines >= 2:
            first_row = time.perf_counter() - started

    before = await conn.request("GET", "/register/exports/")
    known = {m.group(2) for m in _EXPORT_LINK.finditer(before.body)}
    started = time.perf_counter()
    answer = await conn.request("GET", path, sink=sink)
    out: dict = {"made_by": "request"}
    first_byte = answer.first_byte
    if answer.status == 302:
        out["made_by"] = "worker"
        out["answer_ms"] = round(answer.first_byte * 1000, 1)
        link = None
        while link is None:
            if time.perf_counter() - started > EXPORT_WAIT_SECONDS:
                out["note"] = f"not ready after {EXPORT_WAIT_SECONDS:.0f} s"
                break
            await asyncio.sleep(EXPORT_POLL_SECONDS)
            page = await conn.request("GET", "/register/exports/")
            new = [m for m in _EXPORT_LINK.finditer(page.body) if m.group(2) not in known]
            if new:
                link = new[0].group(1).decode()
            elif b'http-equiv="refresh"' not in page.body:
                out["note"] = "the export failed (no export being made, no new file)"
                break
        out["ready_s"] = round(time.perf_counter() - started, 2)
        if link is not None:
            requested = time.perf_counter()
            answer = await conn.request("GET", link, sink=sink)
            first_byte = requested - started + answer.first_byte
            out["download_s"] = round(time.perf_counter() - requested, 2)
    total = time.perf_counter() - started
    rows = max(0, lines - 1)
    return {
        "status": answer.status,
        **out,
        "first_byte_ms": round(first_byte * 1000, 1),
        "first_row_ms": round(first_row * 1000, 1) if first_row is not None else None,
        "total_s": round(total, 2),
        "rows": rows,
        "rows_per_s": round(rows / total) if total else None,
        "mb": round(size / 1e6, 1),
    }


def staff_pages(base: str) -> dict:
    import psycopg

    with psycopg.connect(URL) as conn:
        (count,) = conn.execute("SELECT count(*) FROM complaints_complaint").fetchone()
        reference, name = conn.execute(
            "SELECT reference, complainant_name FROM complaints_complaint "
            "ORDER BY id OFFSET %s LIMIT 1",
            [count // 2],
        ).fetchone()
        letter = conn.execute(
            "SELECT c.reference, l.uid FROM letters_letter l JOIN complaints_complaint c "
            "ON c.id = l.complaint_id ORDER BY l.id DESC LIMIT 1"
        ).fetchone()
    year = dt.date.today().year - 1

    async def run() -> dict:
        qm = await login(base, "kwaliteit")
        dm = await login(base, "noordwest")
        out = {
            "work list, quality manager": await time_page(qm, "/klachten/", RUNS),
            "work list, district manager": await time_page(dm, "/klachten/", RUNS),
        }
        for label, word in (
            ("search, word in ~50 %", bench_seed.COMMON_WORD),
            ("search, word in ~20 %", bench_seed.FIFTH_WORD),
            ("search, rare word (0.1 %)", bench_seed.RARE_WORD),
        ):
            out[label + ", quality manager"] = await time_page(qm, f"/klachten/?q={word}", RUNS)
            out[label + ", district manager"] = await time_page(dm, f"/klachten/?q={word}", RUNS)
        out["reference lookup"] = await time_page(
            qm, f"/klachten/?q={reference}", RUNS, reference.encode()
        )
        out["name lookup"] = await time_page(qm, f"/klachten/?q={quote(name)}", RUNS)
        out["dashboard"] = await time_page(qm, "/dashboard/", max(5, RUNS // 2))
        out["dashboard, district manager"] = await time_page(dm, "/dashboard/", max(5, RUNS // 2))
        out["annual report PDF"] = await time_page(qm, f"/jaarverslag/{year}.pdf", 3)
        if letter:
            out["letter PDF (acknowledgement)"] = await time_page(
                qm, f"/brieven/klacht/{letter[0]}/{letter[1]}.pdf", 10
            )
        out["register CSV export, everything"] = await time_export(qm, "/register/export.csv")
        out["register CSV export, district manager"] = await time_export(dm, "/register/export.csv")
        await qm.close()
        await dm.close()
        return out

    return asyncio.run(run())


# --- the peer -----------------------------------------------------------------------------


class Peer:
    """django-helpdesk from the peer set-up (PEER_BENCH_DIR), in its own database."""

    def __init__(self) -> None:
        self.port = free_port()
        self.python = PEER_VENV / "bin" / "python"
        self.process: subprocess.Popen | None = None
        parts = urlparse(URL)
        own = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "BENCH_DATABASE_URL"}
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in own},
            "PGDATABASE": PEER_DB,
            "PGUSER": parts.username or "postgres",
            "PGPASSWORD": parts.password or "",
            "PGHOST": parts.hostname or "127.0.0.1",
            "PGPORT": str(parts.port or 5432),
            "PYTHONDONTWRITEBYTECODE": "1",
            "HD_STAFF_USER": "staff",
            "HD_STAFF_PASS": "staff-pass-123",
        }
        self.dsn = (
            f"host={self.env['PGHOST']} port={self.env['PGPORT']} dbname={PEER_DB} "
            f"user={self.env['PGUSER']}"
        )

    @staticmethod
    def available() -> bool:
        return (
            os.environ.get("BENCH_SKIP_PEER") != "1"
            and (PEER_DIR / "peer" / "hdproj").is_dir()
            and (PEER_VENV / "bin" / "gunicorn").exists()
        )

    def prepare(self, size: int) -> None:
        ensure_database(urlparse(URL)._replace(path=f"/{PEER_DB}").geturl())
        project = PEER_DIR / "peer" / "hdproj"
        subprocess.run(
            [str(self.python), "manage.py", "migrate", "--noinput"],
            cwd=project,
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [str(self.python), str(PEER_DIR / "peer" / "hd_setup.py")], env=self.env, check=True
        )
        subprocess.run(
            [
                str(self.python),
                str(PEER_DIR / "peer" / "seed_helpdesk.py"),
                "--dsn",
                self.dsn,
                "--target",
                str(size),
            ],
            env=self.env,
            check=True,
        )

    def __enter__(self) -> Peer:
        self.process = subprocess.Popen(
            [
                str(PEER_VENV / "bin" / "gunicorn"),
                "hdproj.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(WORKERS),
                "--worker-class",
                "sync",
                "--timeout",
                "120",
            ],
            cwd=PEER_DIR / "peer" / "hdproj",
            env=self.env,
            stdout=open(OUT / "logs" / "peer.log", "ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(f"http://127.0.0.1:{self.port}/helpdesk/tickets/submit/")
        return self

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)

    def queue(self) -> int:
        import psycopg

        with psycopg.connect(self.dsn) as conn:
            return conn.execute(
                "SELECT id FROM helpdesk_queue WHERE slug = 'complaints'"
            ).fetchone()[0]

    def form(self, tag: str, concurrency: int) -> web.Result:
        base = f"http://127.0.0.1:{self.port}"
        queue = self.queue()
        counter = iter(range(1, 10**9))

        async def make_user(index: int):
            conn = web.Connection(base)

            async def step() -> bool:
                n = next(counter) + index * 1_000_000
                page = await conn.request("GET", "/helpdesk/tickets/submit/")
                token = web.hidden(page.body.decode(), "csrfmiddlewaretoken")
                body, kind = web.multipart(
                    {
                        "csrfmiddlewaretoken": token,
                        "queue": str(queue),
                        "title": f"Complaint {tag} #{n}",
                        "body": f"I was charged twice for order {n}. Ref {uuid.uuid4()}",
                        "priority": "3",
                        "due_date": "",
                        "submitter_email": f"visitor{n}@example.com",
                    }
                )
                answer = await conn.request(
                    "POST",
                    "/helpdesk/tickets/submit/",
                    body=body,
                    headers={"Content-Type": kind, "Referer": base + "/helpdesk/tickets/submit/"},
                )
                if answer.status != 302:
                    raise web.HttpError(f"peer post {answer.status}")
                return True

            return step, conn.close

        return asyncio.run(web.closed_loop("peer form", concurrency, SECONDS, 3, make_user))

    def rows_with(self, tag: str) -> int:
        import psycopg

        with psycopg.connect(self.dsn) as conn:
            return conn.execute(
                "SELECT count(*) FROM helpdesk_ticket WHERE title LIKE %s", [f"Complaint {tag} #%"]
            ).fetchone()[0]

    def pages(self) -> dict:
        base = f"http://127.0.0.1:{self.port}"

        async def run() -> dict:
            conn = web.Connection(base)
            page = await conn.request("GET", "/helpdesk/login/")
            token = web.hidden(page.body.decode(), "csrfmiddlewaretoken")
            body, kind = web.form_body(
                {"csrfmiddlewaretoken": token, "username": "staff", "password": "staff-pass-123"}
            )
            await conn.request(
                "POST",
                "/helpdesk/login/",
                body=body,
                headers={"Content-Type": kind, "Referer": base + "/helpdesk/login/"},
            )
            out = {"ticket list page": await time_page(conn, "/helpdesk/tickets/", 5)}
            # The list's rows come from a second request whose address the page names.
            page = await conn.request("GET", "/helpdesk/tickets/")
            found = re.search(r'"url":\s*"([^"]*datatables_ticket_list/[^"]*)"', page.body.decode())
            if found:
                listing = (
                    found.group(1)
                    + "?draw=1&start=0&length=25&search%5Bvalue%5D=&search%5Bregex%5D=false"
                )
                out["ticket list data (first page)"] = await time_page(conn, listing, 5)
            out["search, word in ~20 %"] = await time_page(
                conn,
                "/helpdesk/tickets/?q=refund&status=1&status=2&status=3&search_type=header",
                3,
            )
            await conn.close()
            return out

        return asyncio.run(run())


# --- the run ------------------------------------------------------------------------------


BACKLOG_SQL = (
    "SELECT (SELECT count(*) FROM letters_letterdue d WHERE d.kind = 'acknowledgement' "
    "AND d.sent_on IS NULL AND d.cancelled_on IS NULL AND NOT EXISTS "
    "(SELECT 1 FROM letters_letter l WHERE l.due_id = d.id)) + (SELECT count(*) FROM "
    "letters_outgoingmessage WHERE status IN ('queued', 'sending'))"
)


def backlog() -> int:
    """What the worker still has to do: acknowledgements owed but not drafted, and
    messages not yet sent (the demo data's own count too: compare with before a run)."""
    import psycopg

    with psycopg.connect(URL) as conn:
        return conn.execute(BACKLOG_SQL).fetchone()[0]


def wait_for_worker(before: int, seconds: float = 600) -> float:
    """Seconds until the worker has drafted and sent what the run owed (its backlog back
    to `before`), so that its CPU counts for the intake and not for the next pages.
    One connection for the polling, so its own cost stays out of PostgreSQL's figure."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(URL, autocommit=True) as conn:
        while (
            conn.execute(BACKLOG_SQL).fetchone()[0] > before
            and time.perf_counter() - started < seconds
        ):
            time.sleep(0.5)
    return round(time.perf_counter() - started, 1)


def intake_runs(base: str, api_key: str, results: dict, servers: Servers) -> None:
    for kind in ("form", "api"):
        for concurrency in (8, 32):
            tag = "b" + secrets.token_hex(4)
            before = time.perf_counter()
            owed = backlog()
            with CpuMeter({"web": servers.pids["serve"], "worker": servers.pids["worker"]}) as cpu:
                if kind == "form":
                    result = form_intake(base, tag, concurrency)
                else:
                    result = api_intake(base, tag, concurrency, api_key)
                caught_up = wait_for_worker(owed)
            stored = rows_with(tag)
            summary = result.summary()
            summary["rows_in_database"] = stored
            summary["wall_s"] = round(time.perf_counter() - before, 1)
            # Per complaint stored (the warm-up's included, as the CPU is counted from the
            # first request), the worker's acknowledgement included.
            summary["cpu_ms_per_submission"] = cpu.per(stored)
            summary["worker_caught_up_s"] = caught_up
            results[f"{kind} intake c={concurrency}"] = summary
            log(f"  {kind} c={concurrency}: {summary}")


def peer_run(results: dict, size: int) -> None:
    peer = Peer()
    log(f"  peer: seeding django-helpdesk to {size:,}")
    peer.prepare(size)
    with peer:
        tag = "p" + secrets.token_hex(4)
        with CpuMeter({"web": peer.process.pid}) as cpu:
            summary = peer.form(tag, 8).summary()
        summary["rows_in_database"] = peer.rows_with(tag)
        summary["cpu_ms_per_submission"] = cpu.per(summary["rows_in_database"])
        results["peer form intake c=8"] = summary
        log(f"  peer form c=8: {summary}")
        results["peer pages"] = peer.pages()
        log(f"  peer pages: {results['peer pages']}")


def main() -> None:
    if not URL.startswith("postgres"):
        sys.exit("the benchmark runs on PostgreSQL: set BENCH_DATABASE_URL=postgres://...")
    OUT.mkdir(parents=True, exist_ok=True)
    ensure_database(URL)
    keys = setup()
    from django.utils import timezone

    today = timezone.localdate()
    run: dict = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "workers": WORKERS,
            "load_at_start": [round(x, 1) for x in os.getloadavg()],
        },
        "sizes": {},
    }
    previous = OUT / "results.json"
    if previous.exists() and os.environ.get("BENCH_KEEP") == "1":
        run = json.loads(previous.read_text())
    for size in SIZES:
        log(f"seeding to {size:,} complaints")
        started = time.perf_counter()
        added = bench_seed.seed(size, today=today, log=log)
        close_django()
        results: dict = {"seeded": added, "seed_seconds": round(time.perf_counter() - started)}
        results["postgres single-row commits/s"] = {
            str(c): round(pg_commit_rate(URL, c)) for c in (2, 8)
        }
        log(f"  raw PostgreSQL: {results['postgres single-row commits/s']}")
        with Servers() as servers:
            base = f"http://127.0.0.1:{servers.port}"
            if os.environ.get("BENCH_PAGES_ONLY") != "1":
                intake_runs(base, keys["api_key"], results, servers)
            if os.environ.get("BENCH_INTAKE_ONLY") != "1":
                log("  staff pages")
                results["pages"] = staff_pages(base)
                for label, value in results["pages"].items():
                    log(f"    {label}: {value}")
        previous.write_text(json.dumps({**run, "sizes": {**run["sizes"], str(size): results}}))
        if Peer.available():
            try:
                peer_run(results, size)
            except (Exception, SystemExit) as error:  # the peer's failure is reported, not ours
                results["peer"] = f"failed: {error}"[:300]
        else:
            results["peer"] = "not run (no peer set-up or BENCH_SKIP_PEER=1)"
        run["sizes"][str(size)] = results
        previous.write_text(json.dumps(run, indent=2))
    run["machine"]["load_at_end"] = [round(x, 1) for x in os.getloadavg()]
    previous.write_text(json.dumps(run, indent=2))
    write_markdown(run)
    log(f"written {ROOT / 'docs' / 'benchmarks.md'}")


def _ms(value: dict | None, key: str = "p95_ms") -> str:
    if not value:
        return "–"
    return f"{value.get('p50_ms')} / {value.get(key)} ms"


def _cpu(summary: dict) -> str:
    cpu = summary.get("cpu_ms_per_submission")
    if not cpu:
        return "–"
    parts = [f"{cpu[part]}" if part in cpu else "–" for part in ("web", "worker", "postgres")]
    return " / ".join(parts) + " ms"


def write_markdown(run: dict, notes: list[str] = ()) -> None:
    lines = [
        "# Benchmarks",
        "",
        "Made by `make bench` (`scripts/bench.py`; not part of `make test`): PostgreSQL,",
        "`klachtbeheer serve` (gunicorn) with `klachtbeheer worker` beside it, in production",
        "mode behind an emulated TLS proxy with the spam checks on (the load generator solves",
        "the proof of work; each visitor has its own address). Closed loop: each virtual user",
        "sends its next request when the last is answered. p50 / p95 per request (per",
        "submission for the form: its GET, the proof of work's GET and the POST).",
        "",
        f"Run started {run['started']} on {run['machine']['cores']} cores, "
        f"{run['machine']['workers']} gunicorn workers; load average (1, 5, 15 min) "
        f"{run['machine'].get('load_at_start', '?')} at the start and "
        f"{run['machine'].get('load_at_end', '?')} at the end (other work on the machine "
        "counts: compare with the peer and the commit rate measured in the same run).",
        "",
        *notes,
    ]
    for size, r in run["sizes"].items():
        commits = r.get("postgres single-row commits/s", {})
        best = max(commits.values()) if commits else 0
        lines += [
            f"## {int(size):,} complaints",
            "",
            f"Seeded {r.get('seeded', 0):,} rows in {r.get('seed_seconds')} s. Raw PostgreSQL "
            f"single-row INSERT+COMMIT: "
            + ", ".join(f"{v:,}/s at {c} connections" for c, v in commits.items())
            + ".",
            "",
            "| intake | submissions/s | p50 / p95 / p99 | errors | rows found "
            "| of PG commit rate | CPU per submission: web / worker / PostgreSQL |",
            "|---|---|---|---|---|---|---|",
        ]
        for key in ("form intake c=8", "form intake c=32", "api intake c=8", "api intake c=32"):
            s = r.get(key)
            if not s:
                continue
            share = f"{100 * s['rate'] / best:.1f} %" if best else "–"
            lines.append(
                f"| {key} | {s['rate']} | {s['p50_ms']} / {s['p95_ms']} / {s['p99_ms']} ms | "
                f"{s['errors']} | {s['rows_in_database']} of {s['ok']}+ | {share} | "
                f"{_cpu(s)} |"
            )
        if "peer form intake c=8" in r:
            s = r["peer form intake c=8"]
            ours = r.get("form intake c=8", {}).get("rate", 0)
            lines.append(
                f"| peer django-helpdesk form c=8 | {s['rate']} | {s['p50_ms']} / {s['p95_ms']} / "
                f"{s['p99_ms']} ms | {s['errors']} | {s['rows_in_database']} of {s['ok']}+ | "
                f"ours ÷ peer: {ours / s['rate']:.2f} | {_cpu(s)} |"
                if s["rate"]
                else "| peer form c=8 | 0 | | | | |"
            )
        lines += ["", "| page | p50 / p95 |", "|---|---|"]
        for label, value in r.get("pages", {}).items():
            if "rows" in value:
                worker = (
                    f"made by the worker: answered in {value['answer_ms']} ms, file ready "
                    f"after {value['ready_s']} s, downloaded in {value.get('download_s', '–')} s; "
                    if value.get("made_by") == "worker"
                    else ""
                )
                lines.append(
                    f"| {label} | {worker}from the click: first byte {value['first_byte_ms']} ms, "
                    f"first row {value.get('first_row_ms', '–')} ms, {value['rows']:,} rows "
                    f"in {value['total_s']} s ({(value['rows_per_s'] or 0):,} rows/s, "
                    f"{value['mb']} MB){'; ' + value['note'] if value.get('note') else ''} |"
                )
            else:
                lines.append(f"| {label} | {_ms(value)} |")
        for label, value in (r.get("peer pages") or {}).items():
            lines.append(f"| peer django-helpdesk: {label} | {_ms(value)} |")
        if isinstance(r.get("peer"), str):
            lines += ["", f"Peer: {r['peer']}."]
        lines.append("")
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
