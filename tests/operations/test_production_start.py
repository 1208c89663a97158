"""Production refuses to start half-configured; `klachtbeheer serve` is gunicorn (issue #13).

Real processes with KLACHTBEHEER_ENV=production on a SQLite file in a temporary
directory: the check framework, `serve`, `worker` and the WSGI module stop with
the reason; a complete configuration passes `check --deploy --fail-level
WARNING`, and `serve` runs several processes that answer the probes, serve
static files compressed and add their metrics up.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.operations.conftest import (
    KLACHTBEHEER,
    free_port,
    get,
    hashed_static,
    production_env,
    run,
    stop,
    wait_until_up,
)


@pytest.fixture
def half_configured(tmp_path) -> dict[str, str]:
    env = production_env(tmp_path / "data")
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_HOST"):
        env.pop(name)
    return env


def test_serve_refuses_a_half_configured_production_and_says_why(half_configured):
    result = run("serve", env=half_configured)
    assert result.returncode == 78, result.stderr
    for check_id, word in [
        ("E001", "SECRET_KEY"),
        ("E002", "ALLOWED_HOSTS"),
        ("E003", "EMAIL_HOST"),
    ]:
        assert f"klachtbeheer.{check_id}" in result.stderr
        assert word in result.stderr
    assert "Listening" not in result.stderr


def test_worker_and_check_refuse_too(half_configured):
    for command in (["worker"], ["check"], ["check", "--deploy"]):
        result = run(*command, env=half_configured)
        assert result.returncode != 0
        assert "EMAIL_HOST is not set" in result.stderr, command


def test_without_a_mail_server_nothing_is_written_to_files_in_production(tmp_path):
    env = production_env(tmp_path / "data")
    env.pop("EMAIL_HOST")
    result = run("serve", env=env)
    assert result.returncode == 78
    assert "klachtbeheer.E003" in result.stderr
    assert "E001" not in result.stderr and "E002" not in result.stderr


def test_a_data_directory_that_cannot_be_written_stops_the_start(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = production_env(blocker / "data", DATABASE_URL="sqlite:///" + str(tmp_path / "db.sqlite3"))
    result = run("serve", env=env)
    assert result.returncode == 78
    assert "klachtbeheer.E004" in result.stderr and "not writable" in result.stderr


def test_the_wsgi_application_refuses_as_well(half_configured):
    result = subprocess.run(
        [sys.executable, "-c", "import klachtbeheer.wsgi"],
        env=half_configured,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY" in result.stderr


def test_a_complete_production_configuration_passes_the_deploy_check(tmp_path):
    result = run("check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_still_needs_nothing(tmp_path):
    env = production_env(tmp_path)
    for name in ("KLACHTBEHEER_ENV", "SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_HOST"):
        env.pop(name)
    result = run("check", env=env)
    assert result.returncode == 0, result.stderr


def test_serve_refuses_without_collected_static_files(tmp_path):
    env = production_env(tmp_path, STATIC_ROOT=str(tmp_path / "empty"))
    result = run("serve", env=env)
    assert result.returncode != 0
    assert "collectstatic" in result.stderr


def test_serve_runs_gunicorn_processes_with_probes_compressed_static_files_and_metrics(
    tmp_path, collected_static
):
    data = tmp_path / "data"
    port = free_port()
    env = production_env(
        data,
        WEB_BIND=f"127.0.0.1:{port}",
        WEB_WORKERS="2",
        WEB_THREADS="2",
        PROXY_COUNT="1",
        STATIC_ROOT=str(collected_static),
    )
    done = run("migrate", "--noinput", "-v0", env=env)
    assert done.returncode == 0, done.stderr
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen([KLACHTBEHEER, "serve"], env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    https = {"Host": "klachten.example.nl", "X-Forwarded-Proto": "https"}
    try:
        wait_until_up(f"{base}/healthz", server, log)
        # /healthz answers once the first process is up; the second may still be booting.
        deadline = time.monotonic() + 30
        while len(re.findall(r"Booting worker with pid", log.read_text())) < 2:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        output = log.read_text()
        assert "Using worker: gthread" in output
        assert len(re.findall(r"Booting worker with pid", output)) == 2

        # The probes answer plain HTTP from any Host (monitoring asks the server itself).
        status, headers, body = get(f"{base}/readyz")
        assert status in (200, 503) and b'"database": {"ok": true' in body
        assert headers["X-Request-ID"]

        # Pages: through the TLS proxy only (HTTP is redirected to HTTPS).
        status, _, _ = get(f"{base}/klacht/", headers={"Host": "klachten.example.nl"})
        assert status == 301
        for _ in range(6):
            status, _, body = get(f"{base}/klacht/", headers=https)
            assert status == 200 and b"<form" in body

        # Static files from whitenoise, compressed, with a long cache life for hashed names.
        css = hashed_static(collected_static, "klachtbeheer/app.css")
        status, headers, body = get(
            f"{base}/static/{css}", headers={**https, "Accept-Encoding": "gzip"}
        )
        assert status == 200 and headers["Content-Encoding"] == "gzip"
        assert b"{" in gzip.decompress(body)
        assert "immutable" in headers["Cache-Control"]

        # /metrics: from loopback yes; from an outside client (through the proxy) no.
        status, _, _ = get(f"{base}/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert status == 403
        status, _, body = get(f"{base}/metrics")
        assert status == 200
        text = body.decode()
        served = sum(
            float(value)
            for value in re.findall(
                r'klachtbeheer_http_requests_total\{method="GET",route="klacht/",status="200"\} '
                r"(\S+)",
                text,
            )
        )
        assert served == 6  # counted by two processes, added up (multiprocess mode)
        assert "klachtbeheer_outbox_oldest_unsent_age_seconds" in text
    finally:
        stop(server)
    assert server.returncode == 0, log.read_text()
    # One JSON-less line per request, by route, never the path's query string.
    assert "GET klacht/ 200" in log.read_text()


def _niceness(pid: int) -> int:
    # /proc/<pid>/stat: the 19th field, counted after the name in parentheses as the 17th.
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_the_worker_lets_the_web_server_have_the_processor_first(tmp_path):
    """Under a burst of intake the acknowledgements' PDFs wait, not the complainants (#15)."""
    env = production_env(tmp_path / "data", WORKER_NICE="7")
    assert run("migrate", "--noinput", env=env).returncode == 0
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        # In a session of its own, as a service or a terminal starts it.
        worker = subprocess.Popen(
            [KLACHTBEHEER, "worker"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    expected = min(19, _niceness(os.getpid()) + 7)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and worker.poll() is None:
            if _niceness(worker.pid) == expected:
                break
            time.sleep(0.1)
        assert worker.poll() is None, log.read_text()
        assert _niceness(worker.pid) == expected, log.read_text()
        # Linux shares the processor between sessions first: its session's group is as
        # nice, else the worker would still get as much as the whole web server.
        autogroup = Path(f"/proc/{worker.pid}/autogroup")
        if autogroup.exists():
            assert autogroup.read_text().split()[-1] == str(expected), log.read_text()
    finally:
        stop(worker)
