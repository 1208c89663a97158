"""Site keys made in the admin (shown once, stored hashed), staff tokens, and the daily cleanup."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from klachtbeheer.core.models import AuditEntry
from klachtbeheer.intake import services
from klachtbeheer.intake.models import IntakeApiKey, StaffToken, Upload
from tests.intake.conftest import PDF_BYTES, upload

pytestmark = pytest.mark.django_db


def test_the_admin_shows_a_new_site_key_once_and_stores_its_hash(client, world):
    world.qm.is_superuser = world.qm.is_staff = True
    world.qm.save()
    client.force_login(world.qm)
    response = client.post(
        reverse("admin:intake_intakeapikey_add"),
        {"name": "www.gemeente.example", "is_active": "on"},
        follow=True,
    )
    assert response.status_code == 200
    key = IntakeApiKey.objects.get()
    shown = [str(m) for m in response.context["messages"]]
    secret = next(word.rstrip(".") for m in shown for word in m.split() if word.startswith("kbi_"))
    assert services.api_key_for(secret) == key
    assert secret not in key.key_hash and key.prefix == secret[:10]
    assert AuditEntry.objects.filter(action="intake.api_key_created", actor=world.qm).exists()


def test_handlers_make_and_revoke_their_own_tokens(client, world):
    client.force_login(world.dm_north)
    response = client.post(reverse("intake:tokens"), {"name": "Koppeling", "action": "create"})
    assert response.status_code == 200
    secret = response.context["new_secret"]
    assert services.staff_user_for(secret) == world.dm_north
    token = StaffToken.objects.get()
    assert token.expires_at > timezone.now() + dt.timedelta(days=80)
    client.post(reverse("intake:tokens"), {"action": "revoke", "token": token.pk})
    assert services.staff_user_for(secret) is None
    client.force_login(world.staff)
    assert client.get(reverse("intake:tokens")).status_code == 404


def test_cleanup_removes_unsent_uploads_after_a_day(world):
    old = services.upload_store(draft="a" * 32, upload=upload("oud.pdf", PDF_BYTES))
    new = services.upload_store(draft="b" * 32, upload=upload("nieuw.pdf", PDF_BYTES + b" "))
    Upload.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    call_command("intake_cleanup")
    assert list(Upload.objects.values_list("pk", flat=True)) == [new.pk]
