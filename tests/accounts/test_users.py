"""User management for the quality manager (issue 11, point 3), through its own pages.

Invitations and password resets go out through a real SMTP server (aiosmtpd); the link
in the e-mail is followed to set a password. Deactivating ends the person's sessions
and personal API tokens at once. Every change is on the audit log.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from klachtbeheer.core.models import AuditAction, AuditEntry
from klachtbeheer.organisation.models import District, Role
from tests.accounts.conftest import verified_client
from tests.api.conftest import api, bearer, token_for
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)
NEW = "een zin die ik onthoud 42"


@pytest.fixture(autouse=True)
def _required(settings):
    settings.TWO_FACTOR = "required"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def link_in(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(r"https?://\S+/wachtwoord/instellen/\S+/", text).group(0)


def test_only_the_quality_manager_opens_user_management(world):
    for user in (world.board, world.dm_north, world.staff):
        client = verified_client(user)
        assert client.get(reverse("accounts:users")).status_code == 403
        assert client.get(reverse("accounts:service_accounts")).status_code == 403


def test_the_list_shows_who_holds_which_role_and_district(
    manager, world, django_assert_max_num_queries
):
    with django_assert_max_num_queries(16):
        page = manager.get(reverse("accounts:users")).content.decode()
    assert "Kwaliteitsmanager (1)" in page and "Districtsmanager (2)" in page
    row = re.search(r'data-user="dm_north".*?</tr>', page, re.S).group(0)
    assert "North" in row and "South" not in row


def test_the_list_does_not_grow_in_queries_with_more_colleagues(
    manager, world, django_assert_max_num_queries
):
    StaffFactory.create_batch(15)
    with django_assert_max_num_queries(16):
        assert manager.get(reverse("accounts:users")).status_code == 200


def test_an_invitation_sets_a_password_by_e_mail_then_the_second_factor(manager, world, smtp):
    response = manager.post(
        reverse("accounts:user_invite"),
        {
            "first_name": "Sanne",
            "last_name": "Bakker",
            "email": "sanne.bakker@imk.example",
            "role": Role.DISTRICT_MANAGER,
            "districts": [world.vacant.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    invited = get_user_model().objects.get(email="sanne.bakker@imk.example")
    assert not invited.has_usable_password()
    assert District.objects.get(pk=world.vacant.pk).manager == invited
    smtp.recorder.wait_for(1)
    message = smtp.recorder.messages()[0]
    assert message["To"] == "sanne.bakker@imk.example"
    link = link_in(message)

    browser = Client()
    form = browser.get(link, follow=True)
    assert "Kies uw wachtwoord" in form.content.decode()
    done = browser.post(
        form.redirect_chain[-1][0],
        {
            "new_password1": NEW,
            "new_password2": NEW,
        },
    )
    assert done.status_code == 302
    invited.refresh_from_db()
    assert invited.check_password(NEW)
    # The link works once.
    assert "werkt niet meer" in browser.get(link, follow=True).content.decode()
    # Signing in leads to setting up the second factor.
    browser.post(
        reverse("login"),
        {"username": invited.username, "password": NEW},
    )
    nxt = browser.get(reverse("complaints:work_list"), follow=True)
    assert nxt.redirect_chain[-1][0].startswith(reverse("accounts:two_factor_setup"))
    actions = set(
        AuditEntry.objects.filter(target_id=str(invited.pk)).values_list("action", flat=True)
    )
    assert {
        AuditAction.ACCOUNT_INVITED,
        AuditAction.ACCOUNT_DISTRICTS_CHANGED,
        AuditAction.ACCOUNT_PASSWORD_SET,
    } <= actions


def test_roles_and_districts_are_given_and_taken_with_an_audit_row(manager, world):
    url = reverse("accounts:user", kwargs={"user_id": world.staff.pk})
    response = manager.post(
        url, {"action": "save", "role": Role.DISTRICT_MANAGER, "districts": [world.vacant.pk]}
    )
    assert response.status_code == 302
    world.staff.refresh_from_db()
    assert world.staff.staff_profile.role == Role.DISTRICT_MANAGER
    assert District.objects.get(pk=world.vacant.pk).manager == world.staff
    refused = manager.post(
        url, {"action": "save", "role": Role.STAFF, "districts": [world.vacant.pk]}
    )
    assert refused.status_code == 400
    assert "Alleen een districtsmanager beheert districten" in refused.content.decode()
    manager.post(url, {"action": "save", "role": Role.STAFF})
    assert District.objects.get(pk=world.vacant.pk).manager is None
    rows = AuditEntry.objects.filter(target_id=str(world.staff.pk), actor=world.qm)
    assert rows.filter(action=AuditAction.ACCOUNT_ROLE_CHANGED).count() == 2
    assert rows.filter(action=AuditAction.ACCOUNT_DISTRICTS_CHANGED).count() == 2


def test_deactivating_ends_sessions_and_api_tokens_at_once(manager, world, client):
    person = world.dm_south
    browser = verified_client(person)
    assert browser.get(reverse("complaints:work_list")).status_code == 200
    secret = token_for(person)
    assert client.get(api("/complaints"), **bearer(secret)).status_code == 200
    response = manager.post(
        reverse("accounts:user", kwargs={"user_id": person.pk}), {"action": "deactivate"}
    )
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=browser.session.session_key).exists()
    assert browser.get(reverse("complaints:work_list"))["Location"].startswith(reverse("login"))
    assert client.get(api("/complaints"), **bearer(secret)).status_code == 401
    row = AuditEntry.objects.get(action=AuditAction.ACCOUNT_DEACTIVATED)
    assert row.data == {"sessions_ended": 1, "tokens_revoked": 1}
    # The quality manager cannot deactivate themselves.
    own = manager.post(
        reverse("accounts:user", kwargs={"user_id": world.qm.pk}), {"action": "deactivate"}
    )
    assert own.status_code == 400


def test_password_reset_by_e_mail(world, smtp, settings):
    world.dm_north.email = "noord@imk.example"
    world.dm_north.set_password("het oude wachtwoord 2026")
    world.dm_north.save()
    browser = Client()
    sent = browser.post(reverse("accounts:password_forgot"), {"email": "NOORD@imk.example"})
    assert "Kijk in uw e-mail" in sent.content.decode()
    # An unknown address gets the same answer, and no e-mail.
    same = browser.post(reverse("accounts:password_forgot"), {"email": "nobody@imk.example"})
    assert same.content == sent.content
    smtp.recorder.wait_for(1)
    assert len(smtp.recorder.messages()) == 1
    form = browser.get(link_in(smtp.recorder.messages()[0]), follow=True)
    browser.post(
        form.redirect_chain[-1][0],
        {
            "new_password1": NEW,
            "new_password2": NEW,
        },
    )
    world.dm_north.refresh_from_db()
    assert world.dm_north.check_password(NEW)
    assert AuditEntry.objects.filter(action=AuditAction.ACCOUNT_PASSWORD_RESET_SENT).count() == 1
