"""Idempotency-Key: a retry gets the first answer, never a second complaint."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone

from klachtbeheer.api import idempotency
from klachtbeheer.api.models import IdempotencyRecord
from klachtbeheer.complaints.models import Complaint
from klachtbeheer.intake import services
from klachtbeheer.intake.models import Submission
from tests.api.conftest import api, bearer, token_for
from tests.api.test_api import intake_payload
from tests.conftest import PC_NORTH
from tests.test_concurrency import postgres_only  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

KEY = "4f0c2a9e-5b1d-4c8e-9a77-0d6f3e21b5aa"


def registration(**overrides) -> dict:
    return {
        "channel": "email",
        "received_on": (timezone.localdate() - dt.timedelta(days=2)).isoformat(),
        "complainant_type": "client",
        "name": "Piet Post",
        "email": "piet@example.nl",
        "postcode": PC_NORTH,
        "substantiation": "Een klacht per e-mail.",
    } | overrides


def _intake(client, site_key, body=None, key=KEY):
    headers = {"HTTP_X_API_KEY": site_key}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(api("/complaints"), body or intake_payload(), "application/json", **headers)


def test_a_retried_intake_gets_the_first_answer_and_makes_one_complaint(client, site_key):
    first = _intake(client, site_key)
    assert first.status_code == 201, first.json()
    assert "Idempotent-Replayed" not in first
    again = _intake(client, site_key)
    assert again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Complaint.objects.count() == 1 and Submission.objects.count() == 1
    # Without a key every request is a new filing, as before.
    assert _intake(client, site_key, key=None).json()["reference"] != first.json()["reference"]
    assert Complaint.objects.count() == 2


def test_a_retried_registration_gets_the_first_answer_and_makes_one_complaint(client, world):
    auth = bearer(token_for(world.dm_north))
    post = lambda: client.post(  # noqa: E731
        api("/registrations"), registration(), "application/json", HTTP_IDEMPOTENCY_KEY=KEY, **auth
    )
    first, again = post(), post()
    assert first.status_code == again.status_code == 201, first.json()
    assert again.json() == first.json() and again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Complaint.objects.count() == 1
    # The same person with another token is the same client; another person is not.
    other_token = client.post(
        api("/registrations"),
        registration(),
        "application/json",
        HTTP_IDEMPOTENCY_KEY=KEY,
        **bearer(token_for(world.dm_north)),
    )
    assert other_token["Idempotent-Replayed"] == "true"
    other_person = client.post(
        api("/registrations"),
        registration(),
        "application/json",
        HTTP_IDEMPOTENCY_KEY=KEY,
        **bearer(token_for(world.qm)),
    )
    assert other_person.status_code == 201 and "Idempotent-Replayed" not in other_person
    assert Complaint.objects.count() == 2


def test_the_same_key_with_another_body_is_refused(client, site_key):
    assert _intake(client, site_key).status_code == 201
    response = _intake(client, site_key, intake_payload(name="Bram Anders"))
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Complaint.objects.count() == 1


def test_keys_are_per_site(client, world, site_key):
    _other, other_key = services.api_key_create(actor=world.qm, name="andere-site")
    assert _intake(client, site_key).status_code == 201
    response = _intake(client, other_key)
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Complaint.objects.count() == 2


def test_the_key_is_kept_hashed_with_the_answer_as_it_went_out(client, site_key):
    first = _intake(client, site_key)
    record = IdempotencyRecord.objects.get()
    assert record.key_hash == hashlib.sha256(KEY.encode()).hexdigest()
    assert KEY not in (record.client + record.key_hash + record.request_hash)
    assert record.status == 201 and record.body.encode() == first.content


def test_no_complaint_without_its_key_record(client, site_key, monkeypatch):
    """The record is written in the complaint's transaction: when it fails, so does the
    complaint (a crash between the two cannot leave a complaint a retry would repeat)."""

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(IdempotencyRecord.objects, "create", crash)
    assert _intake(client, site_key).status_code == 500
    assert Complaint.objects.count() == 0 and Submission.objects.count() == 0
    monkeypatch.undo()
    assert _intake(client, site_key).status_code == 201
    assert Complaint.objects.count() == 1


def test_answers_older_than_a_day_are_purged_and_their_keys_free_again(client, site_key):
    first = _intake(client, site_key)
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    later = _intake(client, site_key)  # a day later the key names a new request
    assert later.status_code == 201 and "Idempotent-Replayed" not in later
    assert later.json()["reference"] != first.json()["reference"]
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    assert idempotency.purge() == 1  # everyone's old answers, for a manual clean-up
    assert not IdempotencyRecord.objects.exists()


def test_the_worker_s_tick_purges_old_answers_of_a_client_that_sends_no_more_keys(client, site_key):
    from klachtbeheer.reminders.services import tick_run

    old = _intake(client, site_key).json()["reference"]
    recent = _intake(client, site_key, key="a-second-key").json()["reference"]
    # Then the site sends no more keys, so nothing it sends removes its old answers.
    IdempotencyRecord.objects.filter(body__contains=old).update(
        created_at=timezone.now() - dt.timedelta(hours=25)
    )
    IdempotencyRecord.objects.filter(body__contains=recent).update(
        created_at=timezone.now() - dt.timedelta(hours=23)
    )
    assert _intake(client, site_key, key=None).status_code == 201
    assert IdempotencyRecord.objects.count() == 2
    assert tick_run().as_dict()["idempotency_purged"] == 1
    [kept] = IdempotencyRecord.objects.all()
    assert recent in kept.body and old not in kept.body
    assert tick_run().as_dict()["idempotency_purged"] == 0


def test_the_header_and_the_replay_are_in_the_openapi_document(client):
    schema = client.get(api("/openapi.json")).json()
    for path in ("/api/v1/complaints", "/api/v1/registrations"):
        operation = schema["paths"][path]["post"]
        parameters = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}
        assert parameters["Idempotency-Key"]["required"] is False
        assert "Idempotent-Replayed" in operation["responses"]["201"]["headers"]
        assert "422" in operation["responses"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_retries_with_one_key_make_one_complaint(postgres_only, world):  # noqa: F811
    secret = token_for(world.dm_north)
    racers = 8
    start = threading.Barrier(racers)
    answers: list[tuple[int, bytes, str]] = []
    lock = threading.Lock()

    def register() -> None:
        try:
            start.wait(timeout=30)
            response = Client().post(
                api("/registrations"),
                registration(),
                "application/json",
                HTTP_IDEMPOTENCY_KEY=KEY,
                **bearer(secret),
            )
            outcome = (response.status_code, response.content, response.get("Idempotent-Replayed"))
        except BaseException as error:
            outcome = (0, repr(error).encode(), "")
        finally:
            connections.close_all()
        with lock:
            answers.append(outcome)

    threads = [threading.Thread(target=register) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(answers) == racers
    assert {status for status, _body, _replayed in answers} == {201}, answers
    assert len({body for _status, body, _replayed in answers}) == 1
    assert sorted(replayed or "" for _s, _b, replayed in answers) == [""] + ["true"] * (racers - 1)
    assert Complaint.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
