"""The JSON API: every role against every kind of complaint, steps, registrations, intake."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from klachtbeheer.complaints.models import AccessLog, Complaint
from klachtbeheer.complaints.workflow import State
from klachtbeheer.intake import services
from klachtbeheer.intake.models import IntakeApiKey, StaffToken, Submission, SubmissionState
from tests.api.conftest import api, bearer, token_for
from tests.intake.conftest import EXE_BYTES, PDF_BYTES
from tests.test_access import KINDS, VISIBLE

pytestmark = pytest.mark.django_db

HANDLER_ROLES = ["quality_manager", "board", "dm_north", "dm_south"]


@pytest.mark.parametrize("role", HANDLER_ROLES)
def test_each_handler_lists_and_opens_exactly_what_the_selector_allows(client, case, role):
    user = case.users[role]
    auth = bearer(token_for(user))
    response = client.get(api("/complaints?page_size=100"), **auth)
    assert response.status_code == 200
    listed = {row["reference"] for row in response.json()["results"]}
    expected = {case.complaints[kind].reference for kind in VISIBLE[role]}
    assert listed == expected
    for kind in KINDS:
        reference = case.complaints[kind].reference
        detail = client.get(api(f"/complaints/{reference}"), **auth)
        timeline = client.get(api(f"/complaints/{reference}/timeline"), **auth)
        if kind in VISIBLE[role]:
            assert detail.status_code == 200
            assert detail.json()["reference"] == reference
            assert timeline.status_code == 200 and timeline.json()
            assert AccessLog.objects.filter(
                complaint__reference=reference, user=user, via="api"
            ).exists()
        else:
            assert detail.status_code == 404
            assert detail.json()["code"] == "not_found"
            assert timeline.status_code == 404


@pytest.mark.parametrize("role", ["staff", "no_profile"])
def test_staff_without_a_handler_role_are_refused(client, case, role):
    auth = bearer(token_for(case.users[role]))
    response = client.get(api("/complaints"), **auth)
    assert response.status_code == 403
    assert response.json()["code"] == "not_a_handler"
    reference = case.complaints["own"].reference
    assert client.get(api(f"/complaints/{reference}"), **auth).status_code == 403


def test_no_token_a_wrong_one_an_inactive_user_or_a_revoked_token_is_401(client, case):
    assert client.get(api("/complaints")).status_code == 401
    assert client.get(api("/complaints"), **bearer("kbs_nonsense")).status_code == 401
    inactive = bearer(token_for(case.users["inactive"]))
    assert client.get(api("/complaints"), **inactive).status_code == 401
    secret = token_for(case.users["quality_manager"])
    StaffToken.objects.update(revoked_at=timezone.now())
    response = client.get(api("/complaints"), **bearer(secret))
    assert response.status_code == 401
    assert response.json() == {
        "code": "unauthorized",
        "message": response.json()["message"],
        "errors": [],
    }


def test_a_site_key_opens_nothing_but_intake(client, case):
    _key, secret = services.api_key_create(actor=case.users["quality_manager"], name="site")
    assert client.get(api("/complaints"), HTTP_X_API_KEY=secret).status_code == 401
    assert client.get(api("/complaints"), **bearer(secret)).status_code == 401


def test_steps_follow_the_table_and_the_roles(client, case, world):
    own = case.complaints["own"]
    dm = bearer(token_for(world.dm_north))
    qm = bearer(token_for(world.qm))
    steps = client.get(api(f"/complaints/{own.reference}/steps"), **dm).json()
    allowed = {row["step"] for row in steps if row["allowed"]}
    assert "accept" in allowed and "reassign" not in allowed

    # Not allowed in this state: 409 with the table's words.
    response = client.post(
        api(f"/complaints/{own.reference}/steps/close"), {}, "application/json", **dm
    )
    assert response.status_code == 409
    assert response.json()["code"] == "step_not_allowed"
    # Quality manager only: 403.
    response = client.post(
        api(f"/complaints/{own.reference}/steps/reassign"),
        {"handler": world.dm_south.pk, "reason": "Werkverdeling"},
        "application/json",
        **dm,
    )
    assert response.status_code == 403
    assert response.json()["code"] == "quality_manager_only"
    # Invalid input: 422 with the page's message for the field.
    response = client.post(
        api(f"/complaints/{own.reference}/steps/reject"), {"reason": ""}, "application/json", **dm
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason"
    # Allowed: the complaint moves on and comes back.
    response = client.post(
        api(f"/complaints/{own.reference}/steps/accept"), {}, "application/json", **dm
    )
    assert response.status_code == 200
    assert response.json()["state"] == State.ACCEPTED
    response = client.post(
        api(f"/complaints/{own.reference}/steps/record-contact"),
        {"on": timezone.localdate().isoformat(), "channel": "phone", "summary": "Gebeld."},
        "application/json",
        **dm,
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == State.CONTACTED
    response = client.post(
        api(f"/complaints/{own.reference}/steps/attachment"),
        {
            "upload": {
                "filename": "verslag.pdf",
                "content_base64": base64.b64encode(PDF_BYTES).decode(),
            }
        },
        "application/json",
        **dm,
    )
    assert response.status_code == 200
    assert response.json()["attachments"][0]["filename"] == "verslag.pdf"
    # The quality manager may reassign; someone who cannot see it gets 404.
    response = client.post(
        api(f"/complaints/{own.reference}/steps/reassign"),
        {"handler": world.dm_south.pk, "reason": "Werkverdeling"},
        "application/json",
        **qm,
    )
    assert response.status_code == 200
    south = bearer(token_for(world.dm_south))
    other = case.complaints["about"]
    response = client.post(
        api(f"/complaints/{other.reference}/steps/note"),
        {"text": "x"},
        "application/json",
        **bearer(token_for(world.dm_north)),
    )
    assert response.status_code == 404
    assert south


def test_registering_post_through_the_api_keeps_its_date_of_receipt(client, world):
    received = timezone.localdate() - dt.timedelta(days=10)
    payload = {
        "channel": "post",
        "received_on": received.isoformat(),
        "complainant_type": "client",
        "name": "Piet Post",
        "street_address": "Dorpsstraat 1",
        "postcode": "5611 CD",
        "city": "Eindhoven",
        "substantiation": "Brief over een gemiste afspraak.",
        "attachment": {
            "filename": "scan.pdf",
            "content_base64": base64.b64encode(PDF_BYTES).decode(),
        },
    }
    auth = bearer(token_for(world.dm_south))
    response = client.post(api("/registrations"), payload, "application/json", **auth)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["received_on"] == received.isoformat()
    assert body["contact_due_on"] == (received + dt.timedelta(days=7)).isoformat()
    assert body["channel"] == "post"
    assert Complaint.objects.get(reference=body["reference"]).handler == world.dm_south
    future = {**payload, "received_on": (timezone.localdate() + dt.timedelta(days=1)).isoformat()}
    response = client.post(api("/registrations"), future, "application/json", **auth)
    assert response.status_code == 422
    staff = bearer(token_for(world.staff))
    assert (
        client.post(api("/registrations"), payload, "application/json", **staff).status_code == 403
    )


def intake_payload(**overrides) -> dict:
    payload = {
        "complainant_type": "client",
        "name": "Anna de Vries",
        "email": "anna@example.nl",
        "postcode": "3741 AB",
        "substantiation": "Mijn coach kwam niet opdagen.",
    }
    payload.update(overrides)
    return payload


def test_public_intake_with_a_site_key(client, world):
    _key, secret = services.api_key_create(actor=world.qm, name="gemeente-site")
    response = client.post(
        api("/complaints"),
        intake_payload(
            attachments=[
                {"filename": "brief.pdf", "content_base64": base64.b64encode(PDF_BYTES).decode()}
            ]
        ),
        "application/json",
        HTTP_X_API_KEY=secret,
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "registered"
    complaint = Complaint.objects.get(reference=body["reference"])
    assert complaint.attachments.count() == 1
    assert "/klacht/status/" in body["status_url"]
    assert Submission.objects.get().api_key.name == "gemeente-site"


def test_public_intake_applies_the_same_validation_and_spam_rules(client, world, settings):
    _key, secret = services.api_key_create(actor=world.qm, name="site")
    headers = {"HTTP_X_API_KEY": secret, "HTTP_ACCEPT_LANGUAGE": "nl"}
    response = client.post(
        api("/complaints"), intake_payload(substantiation=" "), "application/json", **headers
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "substantiation", "message": "Beschrijf uw klacht"}
    ]
    response = client.post(
        api("/complaints"),
        intake_payload(
            attachments=[
                {"filename": "a.pdf", "content_base64": base64.b64encode(EXE_BYTES).decode()}
            ]
        ),
        "application/json",
        **headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "attachments"
    response = client.post(
        api("/complaints"), intake_payload(website="spam"), "application/json", **headers
    )
    assert response.status_code == 201
    assert response.json()["status"] == "held_for_review"
    assert response.json()["reference"] is None
    response = client.post(
        api("/complaints"), intake_payload(seconds_to_fill=1), "application/json", **headers
    )
    assert response.json()["status"] == "held_for_review"
    settings.INTAKE_API_SUBMISSIONS_PER_HOUR = 0
    response = client.post(api("/complaints"), intake_payload(), "application/json", **headers)
    assert response.json()["status"] == "held_for_review"
    assert (
        set(
            Submission.objects.filter(state=SubmissionState.PENDING)
            .values_list("spam_reasons", flat=True)
            .first()
            or []
        )
        >= set()
    )
    assert Submission.objects.filter(state=SubmissionState.PENDING).count() == 3


def test_public_intake_needs_an_active_site_key(client, world):
    assert client.post(api("/complaints"), intake_payload(), "application/json").status_code == 401
    key, secret = services.api_key_create(actor=world.qm, name="oud")
    IntakeApiKey.objects.filter(pk=key.pk).update(is_active=False)
    response = client.post(
        api("/complaints"), intake_payload(), "application/json", HTTP_X_API_KEY=secret
    )
    assert response.status_code == 401
    token = bearer(token_for(world.qm))
    response = client.post(api("/complaints"), intake_payload(), "application/json", **token)
    assert response.status_code == 401


def test_malformed_bodies_are_422_not_500(client, world):
    auth = bearer(token_for(world.qm))
    response = client.post(api("/registrations"), "{not json", "application/json", **auth)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    response = client.get(api("/complaints/KL-2026-\x0001"), **auth)
    assert response.status_code == 404


def test_the_docs_load_nothing_from_elsewhere(client):
    html = client.get(api("/docs")).content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert '"validatorUrl": null' in html
    schema = client.get(api("/openapi.json")).json()
    assert "/api/v1/complaints/{reference}/steps/record-contact" in schema["paths"]
    assert reverse("api:openapi-json") == "/api/v1/openapi.json"
