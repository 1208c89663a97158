"""Web-server CPU of one intake, in production settings, in this process (issue 15).

    DATABASE_URL=postgres://... .venv/bin/python scripts/profile_intake.py [N] [--profile]

Runs N form submissions (the form's GET, the proof of work's GET and the POST, as a
browser sends them) and N API intakes through Django's handler (no network, no
gunicorn), and prints the process CPU per submission (`time.process_time`: this
process's own work, not the database's; the browser's part, solving the proof of
work and reading the page, is left out, the test client's own is not). With --profile,
cProfile's top functions (--form or --api: only that one). The database must be
migrated; it gains 2N complaints.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import re
import secrets
import sys
import time

os.environ.setdefault("KLACHTBEHEER_ENV", "production")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
os.environ.setdefault("EMAIL_HOST", "127.0.0.1")
os.environ.setdefault("PROXY_COUNT", "1")
os.environ.setdefault("INTAKE_MIN_FILL_SECONDS", "0")
os.environ.setdefault("INTAKE_SUBMISSIONS_PER_HOUR", "10000000")
os.environ.setdefault("INTAKE_API_SUBMISSIONS_PER_HOUR", "10000000")
os.environ.setdefault("ALTCHA_KEY_PREFIX", "")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klachtbeheer.settings")

import django

django.setup()

from django.test import Client  # noqa: E402

from klachtbeheer.intake import altcha  # noqa: E402

N = int(next((a for a in sys.argv[1:] if a.isdigit()), "50"))
PROFILE = "--profile" in sys.argv
BROWSER_CPU = [0.0]
HIDDEN = re.compile(r'name="(csrfmiddlewaretoken|draft|started|draft_files)" value="([^"]*)"')


def form_submission(client: Client, n: int) -> None:
    address = f"10.0.{n // 250 % 250}.{n % 250}"
    page = client.get("/klacht/", HTTP_X_FORWARDED_FOR=address, secure=True)
    assert page.status_code == 200, page.status_code
    challenge = client.get("/klacht/altcha/", secure=True).json()
    browser = time.process_time()  # what the browser does is not the server's CPU
    fields = dict(HIDDEN.findall(page.content.decode()))
    solved = altcha.solve(challenge)
    BROWSER_CPU[0] += time.process_time() - browser
    data = {
        **fields,
        "complainant_type": "client",
        "name": f"Bezoeker {n}",
        "email": f"bezoeker{n}@example.nl",
        "postcode": "3741 AB",
        "substantiation": "Mijn coach kwam drie keer niet opdagen zonder iets te laten weten.",
        "altcha": solved,
        "action": "submit",
    }
    answer = client.post(
        "/klacht/",
        data,
        HTTP_X_FORWARDED_FOR=address,
        HTTP_REFERER="https://testserver/klacht/",
        secure=True,
    )
    assert answer.status_code == 302, answer.content.decode()[:300]


def api_intake(client: Client, secret: str, n: int) -> None:
    body = {
        "complainant_type": "client",
        "name": f"Site {n}",
        "email": f"site{n}@example.nl",
        "postcode": "3741 AB",
        "substantiation": "De afspraak werd drie keer verplaatst zonder dat iemand belde.",
        "client_address": f"10.1.{n // 250 % 250}.{n % 250}",
    }
    answer = client.post(
        "/api/v1/complaints",
        json.dumps(body),
        "application/json",
        HTTP_X_API_KEY=secret,
        secure=True,
    )
    assert answer.status_code == 201, answer.content.decode()[:300]


def measure(label: str, work) -> None:
    work(-1)  # warm up: templates, translations, the salt
    profiler = cProfile.Profile(time.process_time) if PROFILE else None  # CPU, not waits
    if profiler:
        profiler.enable()
    started_cpu, started = time.process_time(), time.perf_counter()
    BROWSER_CPU[0] = 0.0
    for n in range(N):
        work(n)
    cpu = time.process_time() - started_cpu - BROWSER_CPU[0]
    wall = time.perf_counter() - started
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
    print(f"{label}: {cpu / N * 1000:.1f} ms CPU, {wall / N * 1000:.1f} ms wall per submission")


def main() -> None:
    from klachtbeheer.intake.models import IntakeApiKey
    from klachtbeheer.intake.services import new_api_key_secret

    secret, prefix, key_hash = new_api_key_secret()
    IntakeApiKey.objects.create(name=f"profile-{prefix}", prefix=prefix, key_hash=key_hash)
    base = 1000 * (os.getpid() % 1000)
    if "--api" not in sys.argv:
        form_client = Client(enforce_csrf_checks=True)
        measure("form GET+GET+POST", lambda n: form_submission(form_client, n + base))
    if "--form" not in sys.argv:
        api_client = Client()  # one handler, as a server process has (no cookies kept)
        measure("API intake", lambda n: api_intake(api_client, secret, n + base))


if __name__ == "__main__":
    main()
