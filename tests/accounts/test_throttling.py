"""Throttling that fits an attack (issue 11, point 5).

Failed sign-ins count per address across user names and per user name across
addresses; behind the documented proxy (nginx, PROXY_COUNT=1) the address is the
client's from X-Forwarded-For, so one attacker never blocks everyone behind the
proxy. The quality manager unblocks. A valid status link is never locked out.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from klachtbeheer.core.models import AuditAction, AuditEntry
from klachtbeheer.intake.ratelimit import client_address
from tests.intake.conftest import form_data
from tests.operations.conftest import production_env, run

pytestmark = pytest.mark.django_db

PASSWORD = "het goede wachtwoord 2026"


@pytest.fixture(autouse=True)
def _setup(settings, world):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TWO_FACTOR = "off"
    for user in (world.dm_north, world.dm_south, world.board):
        user.set_password(PASSWORD)
        user.save()


def attempt(username, password, client_ip, *, proxy=True):
    """A sign-in through nginx on the same machine: it connects from 127.0.0.1."""
    meta = (
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": client_ip}
        if proxy
        else {"REMOTE_ADDR": client_ip}
    )
    return Client().post(reverse("login"), {"username": username, "password": password}, **meta)


def test_behind_the_proxy_the_client_address_counts_not_the_proxys(settings, world):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt("dm_north", "wrong", "198.51.100.7")
    # The attacker's address is blocked for every user name…
    assert attempt("dm_south", PASSWORD, "198.51.100.7").status_code == 429
    # …but a colleague behind the same proxy, from elsewhere, signs in.
    assert attempt("dm_south", PASSWORD, "203.0.113.20").status_code == 302


def test_the_production_default_is_the_documented_proxy_set_up(tmp_path):
    """nginx on the same machine (docs/deployment.md): one proxy, unless told otherwise."""
    env = production_env(tmp_path)
    env.pop("PROXY_COUNT", None)
    show = "from django.conf import settings; print(settings.AXES_IPWARE_PROXY_COUNT)"
    assert run("shell", "-v", "0", "-c", show, env=env).stdout.strip() == "1"
    assert (
        run("shell", "-v", "0", "-c", show, env={**env, "PROXY_COUNT": "0"}).stdout.strip()
        == "None"
    )
    development = {k: v for k, v in env.items() if k != "KLACHTBEHEER_ENV"}
    assert run("shell", "-v", "0", "-c", show, env=development).stdout.strip() == "None"


def _request(forwarded: str):
    return type(
        "Request", (), {"META": {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": forwarded}}
    )


def test_the_address_in_front_of_the_proxy_cannot_be_forged(settings):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    # nginx replaces X-Forwarded-For with the address it saw; with a chain, the last one.
    assert client_address(_request("6.6.6.6, 198.51.100.7")) == "198.51.100.7"
    settings.AXES_IPWARE_PROXY_COUNT = None  # no proxy: the header is the visitor's to forge
    assert client_address(_request("6.6.6.6")) == "127.0.0.1"


def test_the_quality_manager_unblocks_a_user_name(settings, world, manager):
    for number in range(settings.AXES_FAILURE_LIMIT):
        attempt("dm_north", "wrong", f"198.51.100.{number}", proxy=False)
    assert attempt("dm_north", PASSWORD, "203.0.113.1", proxy=False).status_code == 429
    page = manager.get(reverse("accounts:users")).content.decode()
    assert "geblokkeerd" in page
    response = manager.post(
        reverse("accounts:user", kwargs={"user_id": world.dm_north.pk}), {"action": "unlock"}
    )
    assert response.status_code == 302
    assert attempt("dm_north", PASSWORD, "203.0.113.1", proxy=False).status_code == 302
    assert AuditEntry.objects.filter(action=AuditAction.ACCOUNT_UNLOCKED, actor=world.qm).exists()


def test_the_quality_manager_unblocks_an_address(settings, world, manager):
    for name in ["a", "b", "c", "d", "e", "f"][: settings.AXES_FAILURE_LIMIT]:
        attempt(name, "wrong", "198.51.100.99", proxy=False)
    assert attempt("dm_south", PASSWORD, "198.51.100.99", proxy=False).status_code == 429
    page = manager.get(reverse("accounts:users")).content.decode()
    assert "198.51.100.99" in page
    manager.post(reverse("accounts:address_unlock"), {"address": "198.51.100.99"})
    assert attempt("dm_south", PASSWORD, "198.51.100.99", proxy=False).status_code == 302


def test_a_valid_status_link_is_never_locked_out(client, world, settings):
    settings.INTAKE_MIN_FILL_SECONDS = 0
    client.post(reverse("intake:form"), form_data())
    token = client.get(reverse("intake:received")).context["received"]["token"]
    settings.INTAKE_STATUS_VIEWS_PER_HOUR = 3
    guesses = [
        client.get(reverse("intake:status", kwargs={"token": "x" * 42 + str(n)})).status_code
        for n in range(5)
    ]
    assert guesses == [404, 404, 404, 429, 429]
    # The same address, over the limit: the holder of the real link still gets in, every time.
    # (The link is swapped for the session and the page opens without the token, issue 10.)
    for _ in range(10):
        entered = client.get(reverse("intake:status", kwargs={"token": token}))
        assert entered.status_code == 302
        assert client.get(entered["Location"]).status_code == 200
