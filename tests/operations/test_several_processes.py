"""Three web processes and two workers on one PostgreSQL, whose server restarts midway (#13).

Real processes on our own throw-away PostgreSQL cluster (never the shared
server): three `klachtbeheer serve` and two `klachtbeheer worker`, in production
mode, sending through the aiosmtpd server of the letters tests and reading the
Dovecot mailbox of the e-mail intake tests. A bounded load files complaints
through the form (with the proof of work solved), through the API, and by
e-mail, while the workers send the acknowledgements; halfway, the database is
stopped and started again. Then:

- every complaint the form or API acknowledged is there, once;
- every e-mail in the mailbox was processed once (one complaint each);
- every message of the outbox went out, once (by Message-ID at the SMTP server);
- during the outage pages answered 503 with Retry-After, never 500, and the
  processes recovered without a restart.
"""

from __future__ import annotations

import contextlib
import http.cookies
import json
import re
import secrets
import subprocess
import threading
import time
import urllib.parse
from email.message import EmailMessage

import psycopg
import pytest
from django.db import connection

from klachtbeheer.intake import altcha
from tests.letters.conftest import SmtpServer, _claimed_port
from tests.operations.conftest import (
    KLACHTBEHEER,
    free_port,
    get,
    production_env,
    run,
    stop,
    wait_until_up,
)

PER_CHANNEL = 10  # complaints per channel: before, during and after the restart
HOST = {"Host": "klachten.example.nl", "X-Forwarded-Proto": "https"}
ORIGIN = "https://klachten.example.nl"


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: several processes on one database server "
            f"(running on {connection.vendor}; set DATABASE_URL=postgres://...)"
        )


SETUP = """
from klachtbeheer.intake.services import api_key_create
from klachtbeheer.organisation.models import District, Organisation
organisation = Organisation.current()
organisation.name = "IMK"
organisation.save()
District.objects.create(name="Noord")
_key, secret = api_key_create(actor=None, name="website")
print(secret)
"""


class Load:
    """The driver: what was acknowledged, and every answer that was not 2xx/3xx."""

    def __init__(self, webs: list[str]):
        self.webs = webs
        self.form_markers: list[str] = []
        self.api_markers: list[str] = []
        self.api_references: list[str] = []
        self.failures: list[tuple[int, str]] = []
        self.lock = threading.Lock()

    def _web(self, n: int) -> str:
        return self.webs[n % len(self.webs)]

    def _complainant(self, n: int, marker: str) -> dict[str, str]:
        data = {
            "complainant_type": "client",
            "name": f"Klager Belasting{n:03d}",
            "postcode": "3741 AB",
            "substantiation": f"Mijn coach kwam niet opdagen. Kenmerk {marker}.",
        }
        if n % 2:
            data["email"] = f"klager{n}@example.nl"
        else:
            data.update(street_address="Dorpsstraat 1", city="Baarn")
        return data

    def form(self, n: int) -> None:
        marker = f"FORM-{n:03d}-{secrets.token_hex(4)}"
        base = self._web(n)
        try:
            status, headers, body = get(f"{base}/klacht/", headers=HOST)
            if status != 200:
                return self._failed(status, headers, "form page")
            cookies = http.cookies.SimpleCookie()
            for header in headers.get_all("Set-Cookie") or []:
                cookies.load(header)
            page = body.decode()
            fields = dict(
                re.findall(r'name="(csrfmiddlewaretoken|started|draft)" value="([^"]*)"', page)
            )
            status, headers, body = get(f"{base}/klacht/altcha/", headers=HOST)
            if status != 200:
                return self._failed(status, headers, "challenge")
            data = {
                **self._complainant(n, marker),
                **fields,
                "altcha": altcha.solve(json.loads(body)),
                "action": "submit",
            }
            status, headers, _ = get(
                f"{base}/klacht/",
                headers={
                    **HOST,
                    "Origin": ORIGIN,
                    "Referer": f"{ORIGIN}/klacht/",
                    "Cookie": "; ".join(f"{k}={v.value}" for k, v in cookies.items()),
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                data=urllib.parse.urlencode(data).encode(),
            )
        except OSError as error:
            return self._failed(0, None, f"form: {error}")
        if status == 302 and "/klacht/ontvangen/" in headers["Location"]:
            with self.lock:
                self.form_markers.append(marker)
        else:
            self._failed(status, headers, "form post")

    def api(self, n: int, key: str) -> None:
        marker = f"API-{n:03d}-{secrets.token_hex(4)}"
        try:
            status, headers, body = get(
                f"{self._web(n + 1)}/api/v1/complaints",
                headers={**HOST, "X-API-Key": key, "Content-Type": "application/json"},
                data=json.dumps(self._complainant(100 + n, marker)).encode(),
            )
        except OSError as error:
            return self._failed(0, None, f"api: {error}")
        if status == 201:
            answer = json.loads(body)
            assert answer["status"] == "registered", answer
            with self.lock:
                self.api_markers.append(marker)
                self.api_references.append(answer["reference"])
        else:
            self._failed(status, headers, "api")

    def _failed(self, status: int, headers, what: str) -> None:
        with self.lock:
            self.failures.append((status, what))
        if status and not what.startswith("api"):
            # Pages: a database outage is 503 with Retry-After, never a 500.
            assert status == 503, f"{what}: {status}"
            assert headers["Retry-After"]


def _message(n: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Mailer Klager{n:03d} <mailer{n}@example.nl>"
    message["To"] = "klachten@imk.example"
    message["Subject"] = f"Klacht over de training {n}"
    message["Message-ID"] = f"<load-{n}-{secrets.token_hex(6)}@example.nl>"
    message["Date"] = "Tue, 01 Dec 2026 10:00:00 +0100"
    message.set_content(f"Beste IMK,\n\nDe training ging niet door. Bericht {n}.\n")
    return bytes(message)


@pytest.mark.postgres
def test_three_web_processes_and_two_workers_survive_a_database_restart(
    postgres_only,
    postgres_cluster,
    dovecot,
    tmp_path,
    collected_static,
):
    started = time.monotonic()
    database = postgres_cluster.createdb("kb_prod_load")
    with dovecot.mailbox() as mailbox:
        mailbox.folder.set("INBOX")
        if uids := mailbox.uids("ALL"):
            mailbox.delete(uids)
    with _claimed_port() as smtp_port:
        smtp = SmtpServer(smtp_port)
        smtp.start()
        env = production_env(
            tmp_path / "data",
            DATABASE_URL=database,
            STATIC_ROOT=str(collected_static),
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp_port),
            EMAIL_TIMEOUT="5",
            EMAIL_FROM="IMK Klachten <klachten@imk.example>",
            MAILINTAKE_IMAP_HOST=dovecot.host,
            MAILINTAKE_IMAP_PORT=str(dovecot.port),
            MAILINTAKE_IMAP_USER=dovecot.user,
            MAILINTAKE_IMAP_PASSWORD=dovecot.password,
            MAILINTAKE_IMAP_TLS="false",
            MAILINTAKE_ADDRESS="klachten@imk.example",
            MAILINTAKE_POLL_SECONDS="1",
            LETTERS_TICK_SECONDS="2",
            LETTERS_RETRY_BASE_SECONDS="0.5",
            LETTERS_RETRY_MAX_SECONDS="2",
            LETTERS_LEASE_SECONDS="60",
            WORKER_HEARTBEAT_SECONDS="1",
            INTAKE_MIN_FILL_SECONDS="0",
            INTAKE_SUBMISSIONS_PER_HOUR="10000",
            INTAKE_API_SUBMISSIONS_PER_HOUR="10000",
            ALTCHA_COST="10",
            ALTCHA_KEY_PREFIX="0",
            DATABASE_RETRY_AFTER_SECONDS="5",
            DB_CONN_MAX_AGE="60",
        )
        done = run("migrate", "--noinput", "-v0", env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        done = run("shell", "-c", SETUP, env=env)
        assert done.returncode == 0, done.stderr
        key = done.stdout.strip().splitlines()[-1]

        processes: list[tuple[subprocess.Popen, object]] = []

        def start(*args: str, name: str) -> subprocess.Popen:
            log = tmp_path / f"{name}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [KLACHTBEHEER, *args], env=env, stdout=out, stderr=subprocess.STDOUT
                )
            processes.append((process, log))
            return process

        try:
            webs = []
            for index in range(3):
                port = free_port()
                process = start("serve", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                                "--threads", "4", name=f"web-{index}")  # fmt: skip
                webs.append((f"http://127.0.0.1:{port}", process))
            for index in range(2):
                start("worker", "--interval", "0.2", name=f"worker-{index}")
            for url, process in webs:
                wait_until_up(f"{url}/healthz", process, processes[webs.index((url, process))][1])
            load = Load([url for url, _ in webs])

            def drive(numbers: range) -> None:
                threads = [
                    threading.Thread(target=lambda: [load.form(n) for n in numbers]),
                    threading.Thread(target=lambda: [load.api(n, key) for n in numbers]),
                ]
                for thread in threads:
                    thread.start()
                for n in numbers:
                    with dovecot.mailbox() as mailbox:
                        mailbox.append(_message(n), "INBOX")
                for thread in threads:
                    thread.join(timeout=120)

            before, during = range(0, 4), range(4, 7)
            after = range(7, PER_CHANNEL)
            drive(before)
            # The restart, while the next part of the load runs.
            second = threading.Thread(target=drive, args=(during,))
            second.start()
            time.sleep(0.5)
            postgres_cluster.stop()
            outage = time.monotonic()
            time.sleep(3)
            status, headers, body = get(f"{webs[0][0]}/klachtenprocedure/", headers=HOST)
            assert status == 503 and headers["Retry-After"] == "5"
            assert b"Even niet beschikbaar" in body
            status, _, body = get(f"{webs[1][0]}/readyz")
            assert status == 503 and json.loads(body)["checks"]["database"]["ok"] is False
            assert get(f"{webs[2][0]}/healthz")[0] == 200  # alive, without the database
            postgres_cluster.start()
            outage = time.monotonic() - outage
            second.join(timeout=120)
            # After the restart: the same processes take everything again, at once.
            refused_before = len(load.failures)
            drive(after)
            assert len(load.failures) == refused_before, load.failures

            # Everything settles: mailbox read, outbox empty, every process still the same one.
            deadline = time.monotonic() + 90
            with psycopg.connect(database, autocommit=True) as db:
                while True:
                    unsent = db.execute(
                        "SELECT count(*) FROM letters_outgoingmessage WHERE status <> 'sent'"
                    ).fetchone()[0]
                    inbound = db.execute(
                        "SELECT count(*) FROM mailintake_inboundmessage"
                    ).fetchone()[0]
                    if unsent == 0 and inbound == PER_CHANNEL:
                        break
                    assert time.monotonic() < deadline, (unsent, inbound, _logs(processes))
                    time.sleep(0.5)
                time.sleep(2)  # would anything come twice, it comes now

                complaints = db.execute(
                    "SELECT reference, channel, substantiation FROM complaints_complaint"
                ).fetchall()
                sent = [row[0] for row in db.execute(
                    "SELECT message_id FROM letters_outgoingmessage WHERE status = 'sent'"
                ).fetchall()]  # fmt: skip
                mail = db.execute(
                    "SELECT message_id, status, complaint_id FROM mailintake_inboundmessage"
                ).fetchall()
                ticks = db.execute(
                    "SELECT count(*) FROM core_beacon WHERE key LIKE 'worker:%%'"
                ).fetchone()[0]
            for url, _process in webs:
                assert get(f"{url}/readyz")[0] == 200, _logs(processes)
            for process, _log in processes:
                assert process.poll() is None, _logs(processes)  # none needed a restart
        finally:
            for process, _log in processes:
                stop(process)
            smtp.stop()

    texts = [row[2] for row in complaints]

    def once(marker: str) -> bool:
        return sum(marker in text for text in texts) == 1

    # Every acknowledged complaint is there once.
    assert load.form_markers and load.api_markers
    assert all(once(marker) for marker in load.form_markers + load.api_markers)
    references = [row[0] for row in complaints]
    assert len(references) == len(set(references))
    assert set(load.api_references) <= set(references)
    # Every mailbox message processed once: one row and one complaint each, all flagged.
    assert len(mail) == len({m[0] for m in mail}) == PER_CHANNEL
    assert all(m[1] == "complaint" and m[2] for m in mail)
    assert sum(row[1] == "email" for row in complaints) == PER_CHANNEL
    with dovecot.mailbox() as mailbox:
        assert all("\\Seen" in m.flags for m in mailbox.fetch("ALL", mark_seen=False))
    # Every message sent once, and nothing else.
    arrived = smtp.recorder.message_ids()
    assert len(arrived) == len(set(arrived)), "a message arrived twice"
    assert sorted(arrived) == sorted(sent)
    assert len(sent) >= PER_CHANNEL  # at least the e-mail complainants' acknowledgements
    assert ticks == 2  # two workers beat
    # Bounded.
    took = time.monotonic() - started
    print(
        f"\nload: form {len(load.form_markers)}, api {len(load.api_markers)}, "
        f"e-mail {len(mail)} of {PER_CHANNEL} each; complaints {len(complaints)}; "
        f"messages sent {len(sent)}; answers refused during the outage {len(load.failures)}; "
        f"outage {outage:.1f} s; whole test {took:.0f} s"
    )
    assert took < 180


def _logs(processes) -> str:
    text = []
    for _process, log in processes:
        with contextlib.suppress(OSError):
            text.append(f"--- {log.name}\n{log.read_text()[-3000:]}")
    return "\n".join(text)
