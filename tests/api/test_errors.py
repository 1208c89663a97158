"""Every answer under /api/ is JSON, in the language of Accept-Language."""

from __future__ import annotations

import logging

import pytest
from django.db import connections
from django.test import Client

from klachtbeheer.api.errors import RETRY_AFTER_SECONDS
from tests.api.conftest import api, bearer, token_for
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert set(body) == {"code", "message", "errors"}
    return body


# --- Accept-Language ----------------------------------------------------------------------


def test_accept_language_en_gets_english_and_anything_else_dutch(client, world):
    complaint = ComplaintFactory(postcode="3741 AB")
    path = api(f"/complaints/{complaint.reference}/steps/reject")
    auth = bearer(token_for(world.qm))
    english = client.post(
        path, {"reason": ""}, "application/json", HTTP_ACCEPT_LANGUAGE="en", **auth
    )
    assert _error(english, 422)["errors"] == [
        {"field": "reason", "message": "Say why this is not a complaint."}
    ]
    assert english["Content-Language"] == "en"
    for header in ({}, {"HTTP_ACCEPT_LANGUAGE": "nl"}, {"HTTP_ACCEPT_LANGUAGE": "de, fr;q=0.8"}):
        dutch = client.post(path, {"reason": ""}, "application/json", **header, **auth)
        assert _error(dutch, 422)["errors"] == [
            {"field": "reason", "message": "Leg uit waarom dit geen klacht is."}
        ]
        assert dutch["Content-Language"] == "nl"
    preferred = client.post(
        path, {"reason": ""}, "application/json", HTTP_ACCEPT_LANGUAGE="de, en-GB;q=0.7", **auth
    )
    assert _error(preferred, 422)["message"] == "The request is not valid."


def test_procedure_errors_are_lazy_and_follow_the_request(client, world):
    complaint = ComplaintFactory(postcode="3741 AB")
    path = api(f"/complaints/{complaint.reference}/steps/close")
    auth = bearer(token_for(world.qm))
    english = client.post(path, {}, "application/json", HTTP_ACCEPT_LANGUAGE="en", **auth)
    assert _error(english, 409) == {
        "code": "step_not_allowed",
        "message": "“Close” is not possible while the complaint is “Received”.",
        "errors": [],
    }
    dutch = client.post(path, {}, "application/json", HTTP_ACCEPT_LANGUAGE="nl", **auth)
    assert _error(dutch, 409)["message"] == (
        "“Afsluiten” kan niet zolang de klacht de status “Ontvangen” heeft."
    )
    unauthenticated = client.get(api("/complaints"), HTTP_ACCEPT_LANGUAGE="en")
    assert _error(unauthenticated, 401)["message"] == "Send a valid API key or personal token."


# --- answers from outside the operations ---------------------------------------------------


def test_an_unknown_path_and_an_unknown_method_are_json(client, world):
    assert _error(client.get(api("/nothing-here")), 404)["code"] == "not_found"
    assert _error(client.get("/api/v2/complaints"), 404)["code"] == "not_found"
    response = client.delete(api("/complaints"), **bearer(token_for(world.qm)))
    assert _error(response, 405)["code"] == "method_not_allowed"
    assert {m.strip() for m in response["Allow"].split(",")} == {"GET", "POST"}


def test_an_unreadable_body_is_400_json(client, world):
    response = client.post(
        api("/registrations"), "{not json", "application/json", **bearer(token_for(world.qm))
    )
    assert _error(response, 400)["code"] == "bad_request"


# --- 500: JSON, logged without personal data -------------------------------------------------


def test_an_unexpected_error_is_a_json_500_logged_without_personal_data(
    client, world, monkeypatch, caplog
):
    complaint = ComplaintFactory(postcode="3741 AB", name="Anna de Vries")

    def broken(*args, **kwargs):
        raise RuntimeError(f"cannot render {complaint.complainant_name}")

    monkeypatch.setattr("klachtbeheer.complaints.api.complaint_detail_out", broken)
    with caplog.at_level(logging.INFO):
        response = client.get(
            api(f"/complaints/{complaint.reference}"),
            HTTP_ACCEPT_LANGUAGE="en",
            **bearer(token_for(world.qm)),
        )
    body = _error(response, 500)
    assert body["code"] == "server_error"
    assert body["message"].startswith("Something went wrong on our side")
    incident = body["message"].rstrip(".").rsplit(" ", 1)[1]
    ours = [record for record in caplog.records if record.name == "klachtbeheer.api"]
    logged = "\n".join(record.getMessage() for record in ours)
    assert incident in logged and "RuntimeError" in logged
    assert "complaints/<reference>" in logged  # the route, not the path with the reference
    assert "Anna" not in logged and complaint.reference not in logged
    assert not any(record.exc_info for record in caplog.records)


# --- 503: the database cannot be reached ----------------------------------------------------


@pytest.fixture
def database_down():
    """The default connection, pointed where no database is: connecting fails for real."""
    working = connections["default"]
    unreachable = dict(working.settings_dict)
    if working.vendor == "sqlite":
        unreachable["NAME"] = "/nonexistent/klachtbeheer/db.sqlite3"
    else:
        unreachable.update(HOST="127.0.0.1", PORT="9")  # discard: nothing listens
    broken = type(working)(unreachable, alias="default")
    connections["default"] = broken
    try:
        yield
    finally:
        connections["default"] = working
        broken.close()


def test_the_database_unreachable_is_503_json_with_retry_after(world, database_down):
    client = Client(raise_request_exception=False)
    secret = "kbs_" + "x" * 43
    for method, path, headers in [
        ("get", "/complaints", bearer(secret)),
        ("post", "/complaints", {"HTTP_X_API_KEY": "kbi_" + "x" * 43}),
        ("get", "/complaints/KL-2026-00001", bearer(secret)),
    ]:
        if method == "get":
            response = client.get(api(path), HTTP_ACCEPT_LANGUAGE="en", **headers)
        else:
            response = client.post(
                api(path), {}, "application/json", HTTP_ACCEPT_LANGUAGE="en", **headers
            )
        body = _error(response, 503)
        assert body["code"] == "database_unavailable"
        assert body["message"] == "The database cannot be reached just now; try again in a moment."
        assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)


def test_the_503_and_its_retry_after_are_in_the_openapi_document(client):
    schema = client.get(api("/openapi.json")).json()
    for operations in schema["paths"].values():
        for operation in operations.values():
            unavailable = operation["responses"]["503"]
            assert "Retry-After" in unavailable["headers"]
            assert operation["responses"]["500"]["content"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("district=300.0", None),  # found by `make fuzz`: schema-valid, refused with 422
        ("handler=-1.00&page=1.0&page_size=50.0", None),
        ("district=1.5", "query.district"),
        ("page= 1", "query.page"),
        ("page_size=1e1", "query.page_size"),
        ("district=0.0", "query.district"),  # an integer, but below the minimum
    ],
)
def test_the_work_list_takes_integers_as_the_schema_means_them(client, world, query, field):
    """JSON Schema's integer is a number without fraction, 300.0 too; a query string
    writes it either way. Anything else gets the field's message."""
    response = client.get(api(f"/complaints?{query}"), **bearer(token_for(world.qm)))
    if field is None:
        assert response.status_code == 200, response.json()
    else:
        assert response.status_code == 422
        assert [error["field"] for error in response.json()["errors"]] == [field]


@pytest.mark.parametrize("query", ["=", "stat=received", "district=1&x="])
def test_the_work_list_refuses_a_parameter_it_does_not_know(client, world, query):
    """Found by `make fuzz`: `?=` was taken, so a misspelt filter listed everything."""
    response = client.get(api(f"/complaints?{query}"), **bearer(token_for(world.qm)))
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "Deze parameter bestaat niet."
