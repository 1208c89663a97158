"""/healthz, /readyz, /metrics, the request id and the logs (issue #13, observability).

In-process with the test client; the multi-process side is in test_production_start.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re

import pytest
from django.db import OperationalError
from django.test import Client

from klachtbeheer.core import clock
from klachtbeheer.core.beacons import MAILBOX_POLL, beacon_set
from klachtbeheer.core.logs import ContextFilter, JsonFormatter, request_id
from klachtbeheer.core.models import Beacon
from klachtbeheer.letters.models import OutgoingMessage
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_without_a_worker_is_503_and_says_which_check_failed(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["migrations"] == {"ok": True, "unapplied": 0}
    assert body["checks"]["worker"]["ok"] is False
    assert body["checks"]["disk"]["ok"] is True and body["checks"]["disk"]["free_mb"] > 0


def test_readyz_with_a_recent_heartbeat_and_an_empty_outbox_is_200(client):
    beacon_set("worker:test")
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["outbox"]["oldest_unsent_seconds"] == 0


def test_readyz_reports_an_old_unsent_message_and_a_mailbox_not_polled(client, world, settings):
    beacon_set("worker:test")
    ComplaintFactory()  # its acknowledgement waits in the outbox
    OutgoingMessage.objects.update(created_at=clock.now() - dt.timedelta(hours=2))
    body = client.get("/readyz").json()
    assert body["checks"]["outbox"]["ok"] is False
    assert body["checks"]["outbox"]["oldest_unsent_seconds"] >= 7200
    assert body["checks"]["outbox"]["queued"] == 1

    settings.MAILINTAKE_IMAP_HOST = "imap.example.nl"
    assert client.get("/readyz").json()["checks"]["mailbox"]["ok"] is False
    beacon_set(MAILBOX_POLL)
    mailbox = client.get("/readyz").json()["checks"]["mailbox"]
    assert mailbox["ok"] is True and mailbox["last_poll_seconds_ago"] < 60


def test_readyz_with_the_database_down_is_503(client, monkeypatch):
    from klachtbeheer.operations import readiness

    def down():
        return {"ok": False, "error": "OperationalError"}

    monkeypatch.setattr(readiness, "check_database", down)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == {"ok": False, "error": "database unavailable"}


def test_metrics_only_from_allowed_addresses_or_with_the_token(settings):
    settings.METRICS_ALLOWED_IPS = ["10.1.0.0/16"]
    settings.METRICS_TOKEN = "geheim-token-voor-prometheus"
    assert Client(REMOTE_ADDR="192.0.2.1").get("/metrics").status_code == 403
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    wrong = Client(REMOTE_ADDR="192.0.2.1").get("/metrics", HTTP_AUTHORIZATION="Bearer nee")
    assert wrong.status_code == 403
    right = Client(REMOTE_ADDR="192.0.2.1").get(
        "/metrics", HTTP_AUTHORIZATION="Bearer geheim-token-voor-prometheus"
    )
    assert right.status_code == 200


def test_metrics_behind_the_proxy_judge_the_client_not_the_proxy(settings):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    proxied = Client(REMOTE_ADDR="127.0.0.1").get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert proxied.status_code == 403
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 200


def _metrics(client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    return response.content.decode()


def test_metrics_count_intake_outbox_terms_and_workers_without_personal_data(client, world):
    complaint = ComplaintFactory(
        name="Johanna Pietersen", complainant__email="johanna@example.nl", channel="web_form"
    )
    ComplaintFactory(channel="post")
    beacon_set("worker:test")
    client.get(f"/klacht/status/{'x' * 43}/")  # a status link: its token never in a label
    text = _metrics(client)
    assert 'klachtbeheer_complaints_received_total{channel="web_form"} 1.0' in text
    assert 'klachtbeheer_complaints_received_total{channel="post"} 1.0' in text
    assert 'klachtbeheer_outbox_messages{status="queued"} 2.0' in text
    assert re.search(r"klachtbeheer_outbox_oldest_unsent_age_seconds \d", text)
    assert re.search(r'klachtbeheer_open_complaints_by_term\{term="at_risk"\} \d', text)
    assert re.search(r'klachtbeheer_open_complaints_by_term\{term="missed"\} \d', text)
    assert "klachtbeheer_worker_lag_seconds" in text
    assert "klachtbeheer_workers_alive 1.0" in text
    assert 'route="klacht/status/<str:token>/"' in text
    for personal in ("Johanna", "Pietersen", "johanna@example.nl", complaint.reference, "x" * 43):
        assert personal not in text


def test_each_answer_carries_a_request_id_and_a_good_one_from_the_proxy_is_kept(client):
    assert re.fullmatch(r"[0-9a-f]{32}", client.get("/healthz")["X-Request-ID"])
    given = client.get("/healthz", HTTP_X_REQUEST_ID="nginx-7f3a9c2e1b")
    assert given["X-Request-ID"] == "nginx-7f3a9c2e1b"
    odd = client.get("/healthz", HTTP_X_REQUEST_ID="<script>")
    assert odd["X-Request-ID"] != "<script>"


def test_requests_are_logged_by_route_without_path_query_or_personal_data(client, caplog):
    token = "geheimestatuslink" * 3
    with caplog.at_level(logging.INFO, logger="klachtbeheer.request"):
        client.get(
            f"/klacht/status/{token}/?email=anna@example.nl", HTTP_X_REQUEST_ID="req-12345678"
        )
    (record,) = [r for r in caplog.records if r.name == "klachtbeheer.request"]
    ContextFilter().filter(record)
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["request_id"] == "req-12345678"
    assert entry["route"] == "klacht/status/<str:token>/"
    assert entry["status"] == 404 and entry["method"] == "GET"
    assert token not in line and "anna" not in line and "?" not in entry["message"]


def test_log_lines_mask_e_mail_addresses_and_carry_the_request_id():
    record = logging.makeLogRecord(
        {"name": "klachtbeheer.letters", "levelno": logging.WARNING, "levelname": "WARNING",
         "msg": "Message %s failed (%s)", "args": (7, "550 <piet@example.nl> unknown")}
    )  # fmt: skip
    token = request_id.set("abc123def456")
    try:
        ContextFilter().filter(record)
    finally:
        request_id.reset(token)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "Message 7 failed (550 <[e-mail]> unknown)"
    assert entry["request_id"] == "abc123def456"
    assert entry["level"] == "WARNING" and entry["logger"] == "klachtbeheer.letters"


def test_a_database_outage_in_a_page_is_503_with_retry_after_and_a_friendly_page(
    client, monkeypatch, settings
):
    from klachtbeheer.organisation.models import Organisation

    def broken(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(Organisation, "current", broken)
    settings.DATABASE_RETRY_AFTER_SECONDS = 45
    response = client.get("/klachtenprocedure/")
    assert response.status_code == 503
    assert response["Retry-After"] == "45"
    page = response.content.decode()
    assert "Even niet beschikbaar" in page and "Temporarily unavailable" in page
    assert "45 seconden" in page


def test_a_database_outage_outside_a_view_is_503_too(rf):
    from klachtbeheer.operations.views import server_error

    request = rf.get("/klachten/")
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503 and response["Retry-After"]
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error(request).status_code == 500


def test_the_api_is_left_to_answer_in_its_own_way(rf):
    from klachtbeheer.operations.middleware import DatabaseUnavailableMiddleware
    from klachtbeheer.operations.views import server_error

    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    api = rf.get("/api/v1/complaints")
    assert middleware.process_exception(api, OperationalError("down")) is None
    try:
        raise OperationalError("down")
    except OperationalError:
        assert server_error(api).status_code == 500


def test_beacons_hold_no_personal_data(world):
    ComplaintFactory(name="Johanna Pietersen")
    beacon_set(MAILBOX_POLL, new={"complaint": 1}, repeated=0, failed=0)
    assert "Johanna" not in json.dumps(list(Beacon.objects.values("key", "data")))


def _console_output(request) -> str:
    """What the configured console handler (ContextFilter, formatter) writes for `request()`."""
    import io

    handler = logging.getHandlerByName("console")
    written = io.StringIO()
    previous = handler.setStream(written)
    try:
        request()
    finally:
        handler.setStream(previous)
    return written.getvalue()


def test_refused_requests_leave_no_path_in_the_log(world):
    client = Client(raise_request_exception=False)
    lines = _console_output(
        lambda: [
            client.get("/klacht/status/geheime-link-van-Jan-Janssen/"),  # 404
            client.get("/api/v1/complaints/KL-2026-00042"),  # 401
        ]
    )
    assert "klacht/status/<str:token>/ 404" in lines
    assert "Janssen" not in lines and "00042" not in lines, lines


@pytest.mark.parametrize(
    "path",
    [
        "/klacht/status/geheimestatuslinkvanjanssen/",
        "/klacht/status/geheime-link-van-Jan-Janßen/",  # escaped by Django before it logs
        "/api/v1/complaints/KL-2026-00042",
    ],
)
def test_errors_of_django_request_name_the_route_never_the_path(monkeypatch, path):
    """Django logs every answer from 400 up as "<reason>: <path>" (django.request); what the
    log gets (4xx are below its level) must hold the route, whatever the path holds."""
    from django.db import connection

    def broken(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    responses = []

    def request():
        monkeypatch.setattr(connection, "cursor", broken)
        try:
            client = Client(raise_request_exception=False)
            responses.append(client.get(path, HTTP_AUTHORIZATION="Bearer kbs_" + "x" * 43))
        finally:
            monkeypatch.undo()

    lines = _console_output(request)
    assert responses[0].status_code == 503
    assert "django.request" in lines, lines
    for part in ("geheim", "Jan", "00042", "\\xdf"):
        assert part not in lines, lines
