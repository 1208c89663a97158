"""Fixtures for the JSON API: tokens for any user, site keys, every kind of complaint."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from django.utils import timezone

from klachtbeheer.intake import services
from klachtbeheer.intake.models import StaffToken
from tests.test_access import case  # noqa: F401 - every role against every kind of complaint


def token_for(user) -> str:
    """A token row made directly, so roles the service refuses can be tried too."""
    secret = "kbs_" + secrets.token_urlsafe(32)
    StaffToken.objects.create(
        user=user,
        name="test",
        prefix=secret[:10],
        key_hash=services._hash(secret),
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    return secret


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def api(path: str) -> str:
    return "/api/v1" + path


@pytest.fixture
def site_key(world) -> str:
    _key, secret = services.api_key_create(actor=world.qm, name="gemeente-site")
    return secret
