from __future__ import annotations

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.letters.conftest import smtp, smtp_port, smtp_server  # noqa: F401 - a real SMTP server


def verified_client(user) -> Client:
    """A client signed in as `user` with a second factor entered (as after the code page)."""
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def manager(world):
    return verified_client(world.qm)
