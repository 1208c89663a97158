"""Service accounts (issue 11, point 4): an integration's token, not a person's.

A scope (intake only, read only, steps), an expiry, and the last use, which is written
at most once per SERVICE_TOKEN_LAST_USED_SECONDS per token: a burst of requests makes
one write, not one per request.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from klachtbeheer.accounts import services
from klachtbeheer.accounts.models import ServiceAccount, ServiceScope
from klachtbeheer.core.models import AuditAction, AuditEntry
from klachtbeheer.organisation.models import Role
from tests.api.conftest import api, bearer
from tests.api.test_api import intake_payload
from tests.conftest import PC_NORTH
from tests.factories import ComplaintFactory


@pytest.fixture(autouse=True)
def _required(settings):
    settings.TWO_FACTOR = "required"


def make(world, scope, **extra):
    return services.service_account_create(
        actor=world.qm, name=f"crm-{scope}", scope=scope, days=30, **extra
    )


def test_the_quality_manager_makes_one_on_its_page_and_sees_the_token_once(manager, world):
    response = manager.post(
        reverse("accounts:service_accounts"),
        {"name": "Website", "scope": ServiceScope.INTAKE, "role": Role.BOARD, "days": 90},
    )
    assert response.status_code == 302
    page = manager.get(reverse("accounts:service_accounts")).content.decode()
    secret = re.search(r'data-testid="service-secret">(kbk_[\w-]+)<', page).group(1)
    assert secret.startswith("kbk_")
    again = manager.get(reverse("accounts:service_accounts")).content.decode()
    assert secret not in again and "Website" in again
    account = ServiceAccount.objects.get()
    assert account.key_hash != secret and secret not in str(account.__dict__)
    assert AuditEntry.objects.filter(action=AuditAction.SERVICE_ACCOUNT_CREATED).count() == 1


def test_an_intake_token_files_complaints_and_nothing_else(client, world):
    _account, secret = make(world, ServiceScope.INTAKE)
    filed = client.post(
        api("/complaints"), intake_payload(), "application/json", HTTP_X_API_KEY=secret
    )
    assert filed.status_code == 201, filed.json()
    assert client.get(api("/complaints"), **bearer(secret)).status_code == 401


def test_a_read_token_reads_and_may_not_change(client, world):
    complaint = ComplaintFactory(postcode=PC_NORTH)
    _account, secret = make(world, ServiceScope.READ)
    listed = client.get(api("/complaints"), **bearer(secret))
    assert listed.status_code == 200
    assert [row["reference"] for row in listed.json()["results"]] == [complaint.reference]
    refused = client.post(
        api(f"/complaints/{complaint.reference}/steps/note"),
        {"text": "Gebeld."},
        "application/json",
        **bearer(secret),
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "read_only_token"


def test_a_steps_token_takes_steps_as_its_role(client, world):
    complaint = ComplaintFactory(postcode=PC_NORTH)
    account, secret = make(world, ServiceScope.STEPS, role=Role.QUALITY_MANAGER)
    done = client.post(
        api(f"/complaints/{complaint.reference}/steps/note"),
        {"text": "Vanuit het CRM."},
        "application/json",
        **bearer(secret),
    )
    assert done.status_code == 200, done.json()
    assert AuditEntry.objects.filter(actor=account.user, action=AuditAction.COMPLAINT_NOTE).exists()


def test_expired_and_revoked_tokens_stop(client, world, clock):
    account, secret = make(world, ServiceScope.READ)
    clock(account.expires_at + dt.timedelta(minutes=1))
    assert client.get(api("/complaints"), **bearer(secret)).status_code == 401
    clock(account.created_at + dt.timedelta(days=1))
    assert client.get(api("/complaints"), **bearer(secret)).status_code == 200
    services.service_account_revoke(actor=world.qm, account_id=account.pk)
    assert client.get(api("/complaints"), **bearer(secret)).status_code == 401
    intake, intake_secret = make(world, ServiceScope.INTAKE)
    services.service_account_revoke(actor=world.qm, account_id=intake.pk)
    refused = client.post(
        api("/complaints"), intake_payload(), "application/json", HTTP_X_API_KEY=intake_secret
    )
    assert refused.status_code == 401


def test_the_last_use_is_written_at_most_once_per_interval(client, world, clock, settings):
    settings.SERVICE_TOKEN_LAST_USED_SECONDS = 300
    account, secret = make(world, ServiceScope.READ)
    start = account.created_at + dt.timedelta(hours=1)
    writes = []
    for minute in (0, 1, 2, 4, 6, 7):
        clock(start + dt.timedelta(minutes=minute))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(api("/complaints"), **bearer(secret)).status_code == 200
        if any('UPDATE "accounts_serviceaccount"' in q["sql"] for q in queries.captured_queries):
            writes.append(minute)
    assert writes == [0, 6]
    account.refresh_from_db()
    assert account.last_used_at == start + dt.timedelta(minutes=6)
