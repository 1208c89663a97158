"""A second factor for password sign-in (issue 11, point 2).

Real TOTP codes (RFC 6238, computed from the device's secret as an app does), real
sign-ins through the login page, and the switch: every page in production, only the
admin in development by default, nothing with TWO_FACTOR=off (development only).
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from klachtbeheer.accounts.services import recovery_codes_renew
from klachtbeheer.core.models import AuditAction, AuditEntry
from tests.operations.conftest import production_env, run

PASSWORD = "a-long-enough-password-2026"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def handler(world):
    user = world.dm_north
    user.set_password(PASSWORD)
    user.save()
    return user


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    value = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0 - steps_ahead * device.step,
        digits=device.digits,
        drift=device.drift,
    )
    return f"{value:0{device.digits}d}"


def sign_in(client, user) -> None:
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]


def test_first_sign_in_sets_up_the_authenticator_with_a_qr_code_and_recovery_codes(
    client, handler, settings
):
    settings.TWO_FACTOR = "required"
    sign_in(client, handler)
    work_list = reverse("complaints:work_list")
    response = client.get(work_list)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor"))
    setup = client.get(response["Location"], follow=True)
    assert setup.redirect_chain[-1][0].startswith(reverse("accounts:two_factor_setup"))
    page = setup.content.decode()
    assert "<svg" in page and "QR-code" in page
    device = TOTPDevice.objects.get(user=handler, confirmed=False)
    # The key shown for typing is the device's secret (base32, in groups of four).
    shown = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page).group(1)
    assert shown.replace(" ", "") in device.config_url

    wrong = client.post(setup.redirect_chain[-1][0], {"code": "000000"})
    assert wrong.status_code == 400
    assert "Deze code klopt niet" in wrong.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # django-otp slows the next try down
    device.throttle_reset()  # …by a second; the test does not wait it out

    done = client.post(
        reverse("accounts:two_factor_setup") + f"?next={work_list}", {"code": code_for(device)}
    )
    assert done.status_code == 302
    codes_page = client.get(done["Location"]).content.decode()
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", codes_page)
    assert len(codes) == 10
    assert client.get(reverse("accounts:recovery_codes")).content.decode().count("<code>") == 0
    assert client.get(work_list).status_code == 200
    assert AuditEntry.objects.filter(
        action=AuditAction.ACCOUNT_TWO_FACTOR_SET_UP, target_id=str(handler.pk)
    ).exists()


def test_a_password_sign_in_asks_for_the_code_and_a_recovery_code_works_once(
    client, handler, settings
):
    settings.TWO_FACTOR = "required"
    device = TOTPDevice.objects.create(user=handler, name="authenticator", confirmed=True)
    sign_in(client, handler)
    two_factor = reverse("accounts:two_factor")
    assert client.get(reverse("complaints:work_list"))["Location"].startswith(two_factor)
    # No new secret may be made while a second factor exists and is not entered.
    assert client.get(reverse("accounts:two_factor_setup"))["Location"] == two_factor
    assert client.post(two_factor, {"code": "123456"}).status_code == 400
    device.refresh_from_db()
    device.throttle_reset()
    assert client.post(two_factor, {"code": code_for(device)}).status_code == 302
    assert client.get(reverse("complaints:work_list")).status_code == 200

    # A new sign-in: a recovery code (from the set made at setup) works once.
    codes = recovery_codes_renew(user=handler)
    client.post(reverse("logout"))
    sign_in(client, handler)
    assert client.post(two_factor, {"code": codes[0]}).status_code == 302
    assert client.get(reverse("complaints:work_list")).status_code == 200
    assert not StaticToken.objects.filter(token=codes[0]).exists()
    assert AuditEntry.objects.filter(action=AuditAction.ACCOUNT_RECOVERY_CODE_USED).count() == 1
    client.post(reverse("logout"))
    sign_in(client, handler)
    assert client.post(two_factor, {"code": codes[0]}).status_code == 400


def test_development_asks_it_only_in_the_admin_by_default(client, world, settings):
    settings.TWO_FACTOR = "admin"
    world.qm.is_staff = True
    world.qm.save()
    client.force_login(world.qm)
    assert client.get(reverse("complaints:work_list")).status_code == 200
    admin = client.get(reverse("admin:index"))
    assert admin.status_code == 302
    assert admin["Location"].startswith(reverse("accounts:two_factor"))
    settings.TWO_FACTOR = "off"
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_quality_manager_resets_a_second_factor_and_the_sessions_end(
    client, handler, world, settings
):
    settings.TWO_FACTOR = "required"
    device = TOTPDevice.objects.create(user=handler, name="authenticator", confirmed=True)
    sign_in(client, handler)
    client.post(reverse("accounts:two_factor"), {"code": code_for(device)})
    assert client.get(reverse("complaints:work_list")).status_code == 200

    manager = Client()
    manager.force_login(world.qm)
    qm_device = TOTPDevice.objects.create(user=world.qm, name="authenticator", confirmed=True)
    session = manager.session
    session[DEVICE_ID_SESSION_KEY] = qm_device.persistent_id
    session.save()
    response = manager.post(
        reverse("accounts:user", kwargs={"user_id": handler.pk}), {"action": "two_factor_reset"}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=handler).exists()
    assert client.get(reverse("complaints:work_list"))["Location"].startswith(reverse("login"))
    assert AuditEntry.objects.filter(
        action=AuditAction.ACCOUNT_TWO_FACTOR_RESET, actor=world.qm
    ).exists()


def test_production_refuses_to_switch_the_second_factor_off(tmp_path):
    result = run("check", env=production_env(tmp_path, TWO_FACTOR="off"))
    assert result.returncode != 0
    assert "klachtbeheer.E006" in result.stderr


def test_production_with_the_second_factor_passes_the_deploy_check(tmp_path):
    env = production_env(tmp_path, TWO_FACTOR="required")
    result = run("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_single_sign_on_half_configured_stops_the_start(tmp_path):
    env = production_env(tmp_path, OIDC_ISSUER="https://sso.example.nl/realms/imk")
    result = run("check", env=env)
    assert result.returncode != 0
    assert "klachtbeheer.E007" in result.stderr
