"""The steps through the API: one name for each, the page form's fields, the page's messages."""

from __future__ import annotations

import datetime as dt

import pytest

from klachtbeheer.complaints.models import Category, Event, EventKind
from klachtbeheer.complaints.workflow import State, Step
from tests.api.conftest import api, bearer, token_for
from tests.factories import ComplaintFactory, today

pytestmark = pytest.mark.django_db


def _post(client, complaint, name: str, body, user, **headers):
    return client.post(
        api(f"/complaints/{complaint.reference}/steps/{name}"),
        body,
        "application/json",
        **bearer(token_for(user)),
        **headers,
    )


def test_the_steps_are_named_as_their_paths(client, world):
    complaint = ComplaintFactory(postcode="3741 AB", accepted=True)
    auth = bearer(token_for(world.qm))
    rows = client.get(api(f"/complaints/{complaint.reference}/steps"), **auth).json()
    schema = client.get(api("/openapi.json")).json()
    prefix = "/api/v1/complaints/{reference}/steps/"
    paths = {path.removeprefix(prefix) for path in schema["paths"] if path.startswith(prefix)}
    assert {row["name"] for row in rows} == paths
    assert "contact-attempt" in paths and "contact_attempt" not in paths
    assert {row["step"] for row in rows} == set(Step.values)
    detail = client.get(api(f"/complaints/{complaint.reference}"), **auth).json()
    assert "contact-attempt" in detail["available_steps"]
    assert set(detail["available_steps"]) == {row["name"] for row in rows if row["allowed"]}
    for row in rows:
        if row["allowed"]:
            assert row["name"] in paths  # what is offered can be taken at that path


def test_the_verdict_takes_categories_owner_and_due_date_once_categories_are_kept(client, world):
    complaint = ComplaintFactory(postcode="3741 AB", assessing=True)
    kept = Category.objects.create(name="Bejegening")
    Category.objects.create(name="Communicatie")
    verdict = {
        "verdict": "founded",
        "reasons": "De coach kwam twee keer niet.",
        "measures": ["Nieuwe coach toegewezen", "Afspraken in de agenda"],
    }
    missing = _post(
        client, complaint, "record-verdict", verdict, world.qm, HTTP_ACCEPT_LANGUAGE="nl"
    )
    assert missing.status_code == 422
    assert missing.json()["errors"] == [
        {"field": "categories", "message": "Kies ten minste één categorie."}
    ]
    due = today() + dt.timedelta(days=20)
    response = _post(
        client,
        complaint,
        "record-verdict",
        {
            **verdict,
            "categories": [kept.pk],
            "measure_owner": world.board.pk,
            "measures_due_on": due.isoformat(),
        },
        world.qm,
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == State.DECIDED
    assert response.json()["measures"] == verdict["measures"]
    complaint.refresh_from_db()
    assert list(complaint.categories.all()) == [kept]
    assert {(m.owner_id, m.due_on) for m in complaint.measures.all()} == {(world.board.pk, due)}


def test_a_step_body_that_is_not_a_json_object_is_refused(client, world):
    complaint = ComplaintFactory(postcode="3741 AB", manager_concerned=world.dm_south)
    before = Event.objects.filter(complaint__pk=complaint.pk).count()
    for body in ([], [{"manager_concerned": None}], '"text"', 3):
        response = _post(
            client, complaint, "person-concerned", body, world.qm, HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 422, body
        assert response.json()["errors"] == [{"field": "body", "message": "Send a JSON object."}]
    complaint.refresh_from_db()
    assert complaint.manager_concerned == world.dm_south
    assert Event.objects.filter(complaint__pk=complaint.pk).count() == before


def test_the_person_concerned_must_be_named_or_removed_explicitly(client, world):
    complaint = ComplaintFactory(postcode="5611 CD", manager_concerned=world.dm_north)
    for body in ({}, {"employee_concerned": "J. de Coach"}):
        response = _post(client, complaint, "person-concerned", body, world.qm)
        assert response.status_code == 422
        assert "manager_concerned" in {e["field"] for e in response.json()["errors"]}
    complaint.refresh_from_db()
    assert complaint.manager_concerned == world.dm_north  # the P3.2 mark is still there
    silent = {"manager_concerned": None, "employee_concerned": ""}
    assert _post(client, complaint, "person-concerned", silent, world.qm).status_code == 422
    removed = _post(
        client,
        complaint,
        "person-concerned",
        {**silent, "clear_manager_concerned": True, "reason": "Ging over een collega."},
        world.qm,
    )
    assert removed.status_code == 200, removed.json()
    assert removed.json()["manager_concerned"] is None
    assert Event.objects.filter(
        complaint__pk=complaint.pk, kind=EventKind.PERSON_CONCERNED
    ).exists()


def test_shape_errors_carry_the_page_forms_messages(client, world):
    complaint = ComplaintFactory(postcode="3741 AB", accepted=True)
    response = _post(
        client,
        complaint,
        "record-contact",
        {"on": "27-03-2026", "channel": "pigeon", "summary": "  "},
        world.qm,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert {e["field"]: e["message"] for e in response.json()["errors"]} == {
        "on": "Enter the date of the contact as a real date.",
        "channel": "Select a valid choice. pigeon is not one of the available choices.",
        "summary": "Summarise the conversation.",
    }
    # A real-looking date the calendar does not have: the form says it, in the same words.
    response = _post(
        client,
        complaint,
        "record-contact",
        {"on": "2026-02-30", "channel": "phone", "summary": "Gebeld."},
        world.qm,
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "on", "message": "Vul de datum van het contact in als een bestaande datum."}
    ]
