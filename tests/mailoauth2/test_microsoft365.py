"""Microsoft 365 mailboxes: OAuth2 client credentials and SASL XOAUTH2, end to end (issue #13.7).

Against the loopback authorization server (token endpoint and introspection) and a
real Dovecot whose oauth2 passdb asks that server about every token, for the
intake mailbox (IMAP) and for outgoing mail (its SMTP submission service, which
relays to a recording aiosmtpd server). Time moves with the project's clock only.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.core.mail import mailers
from django.core.management import call_command
from django.core.management.base import CommandError

from klachtbeheer.complaints.models import Channel, Complaint
from klachtbeheer.core.beacons import MAIL_OAUTH2, beacon_get
from klachtbeheer.core.oauth2 import TokenError, token_client
from klachtbeheer.letters import services as letters
from klachtbeheer.letters.constants import MessageStatus
from klachtbeheer.letters.models import OutgoingMessage
from klachtbeheer.mailintake.imap import ImapConfig, OAuth2LoginRefused, poll_mailbox
from klachtbeheer.mailintake.models import InboundMessage
from tests.factories import ComplaintFactory
from tests.mailintake.conftest import corpus
from tests.mailoauth2.authserver import CLIENT_ID, CLIENT_SECRET, SCOPE
from tests.mailoauth2.conftest import PASSWORD, USER, free_port

pytestmark = pytest.mark.django_db


def xoauth2_logins(server, service: str) -> int:
    """How many XOAUTH2 logins Dovecot's log shows for `service` (imap-login, submission-login)."""
    return sum(
        1
        for line in server.log.read_text().splitlines()
        if f"{service}: Info: Login: user=<{USER}>, method=XOAUTH2" in line
    )


# --- the token: fetched, kept, renewed ------------------------------------------------------


def test_a_token_is_fetched_once_with_client_credentials_and_kept(m365):
    tokens = token_client()
    first = tokens.token()
    assert tokens.token() == first and token_client().token() == first
    assert m365.auth.token_requests == [
        {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "scope": SCOPE,
            "client_auth": "post",
        }
    ]
    beacon = beacon_get(MAIL_OAUTH2)
    assert beacon.data["ok"] is True and beacon.data["expires_in"] == 3600
    assert first not in str(beacon.data)


def test_the_token_is_renewed_shortly_before_it_expires(m365, clock):
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    clock(start)
    tokens = token_client()
    first = tokens.token()
    # Valid an hour; renewed 5 minutes (MAIL_OAUTH2_REFRESH_BEFORE_SECONDS) before that.
    clock(start + dt.timedelta(minutes=54, seconds=59))
    assert tokens.token() == first
    clock(start + dt.timedelta(minutes=55))
    second = tokens.token()
    assert second != first
    assert len(m365.auth.token_requests) == 2
    # A token that lives shorter than twice the margin is renewed halfway.
    m365.auth.expires_in = 240
    clock(start + dt.timedelta(hours=2))
    third = tokens.token()
    clock(start + dt.timedelta(hours=2, seconds=119))
    assert tokens.token() == third
    clock(start + dt.timedelta(hours=2, seconds=120))
    assert tokens.token() not in (first, second, third)
    assert len(m365.auth.token_requests) == 4


def test_client_secret_basic_is_understood_too(m365, settings):
    settings.MAIL_OAUTH2_CLIENT_AUTH = "client_secret_basic"
    assert token_client().token()
    assert m365.auth.token_requests[0]["client_auth"] == "basic"


def test_a_wrong_secret_is_refused_with_a_clear_error_and_no_secret_anywhere(
    m365, settings, client, caplog
):
    wrong = "Wr0ng~secret-that-must-not-be-logged"
    settings.MAIL_OAUTH2_CLIENT_SECRET = wrong
    caplog.set_level(logging.DEBUG)
    with pytest.raises(TokenError) as refused:
        token_client().token()
    message = str(refused.value)
    assert "invalid_client" in message and "AADSTS7000215" in message
    assert f"127.0.0.1:{m365.auth.port}" in message
    assert "MAIL_OAUTH2_CLIENT_SECRET" in message  # what to check
    assert refused.value.error == "invalid_client"
    assert any("invalid_client" in record.getMessage() for record in caplog.records)

    # The poll says the same and stores nothing.
    with pytest.raises(TokenError):
        poll_mailbox(ImapConfig.from_settings())

    # /readyz says why the mail cannot work.
    response = client.get("/readyz")
    assert response.status_code == 503
    check = response.json()["checks"]["mail_oauth2"]
    assert check["ok"] is False
    assert check["error"] == "invalid_client"
    assert "AADSTS7000215" in check["description"]
    assert check["uses"] == ["imap", "smtp"]

    logged = "\n".join(record.getMessage() for record in caplog.records) + caplog.text
    for secret in (wrong, CLIENT_SECRET):
        assert secret not in message
        assert secret not in logged
        assert secret not in response.content.decode()
        assert secret not in str(beacon_get(MAIL_OAUTH2).data)


def test_poll_mailbox_says_why_in_one_line(m365, settings):
    settings.MAIL_OAUTH2_CLIENT_SECRET = "Wr0ng~command-secret"
    with pytest.raises(CommandError) as refused:
        call_command("poll-mailbox")
    assert "invalid_client" in str(refused.value)
    assert "Wr0ng~command-secret" not in str(refused.value)


def test_an_unreachable_token_endpoint_is_a_clear_error(m365, settings, client):
    settings.MAIL_OAUTH2_TOKEN_URL = f"http://127.0.0.1:{free_port()}/t/oauth2/v2.0/token"
    with pytest.raises(TokenError) as refused:
        token_client().token()
    assert "could not be reached" in str(refused.value)
    assert client.get("/readyz").json()["checks"]["mail_oauth2"]["ok"] is False


def test_a_good_token_after_a_refusal_makes_ready_again(m365, settings, client):
    settings.MAIL_OAUTH2_CLIENT_SECRET = "wrong"
    with pytest.raises(TokenError):
        token_client().token()
    settings.MAIL_OAUTH2_CLIENT_SECRET = CLIENT_SECRET
    token_client().token()
    assert client.get("/readyz").json()["checks"]["mail_oauth2"]["ok"] is True


# --- IMAP: the intake mailbox ----------------------------------------------------------------


def test_the_poll_reads_a_message_through_xoauth2(m365):
    with m365.mailbox() as mailbox:
        mailbox.append(corpus("plain.eml"), "INBOX")
    logins = xoauth2_logins(m365, "imap-login")
    introspections = m365.auth.introspections

    report = poll_mailbox(ImapConfig.from_settings())

    assert report.total == 1 and report.failed == 0
    message = InboundMessage.objects.get()
    complaint = Complaint.objects.get()
    assert message.complaint == complaint and complaint.channel == Channel.EMAIL
    assert complaint.complainant_email == "anna.devries@example.nl"
    # Dovecot let it in with XOAUTH2, after asking the introspection endpoint.
    assert xoauth2_logins(m365, "imap-login") == logins + 1
    assert m365.auth.introspections > introspections
    assert len(m365.auth.token_requests) == 1
    with m365.mailbox() as mailbox:
        [seen] = list(mailbox.fetch("ALL", mark_seen=False, headers_only=True))
        assert "\\Seen" in seen.flags
    # The next poll uses the token it kept.
    assert poll_mailbox(ImapConfig.from_settings()).total == 0
    assert len(m365.auth.token_requests) == 1


def test_a_token_the_mail_server_no_longer_accepts_is_replaced(m365):
    token_client().token()
    m365.auth.revoke_all()  # revoked before its time: introspection says inactive
    with m365.mailbox() as mailbox:
        mailbox.append(corpus("plain.eml"), "INBOX")
    assert poll_mailbox(ImapConfig.from_settings()).total == 1
    assert len(m365.auth.token_requests) == 2


def test_a_mailbox_the_app_may_not_use_is_refused_clearly(m365, settings):
    settings.MAILINTAKE_IMAP_USER = "directie@imk.example"  # the token is for klachten@
    with pytest.raises(OAuth2LoginRefused) as refused:
        poll_mailbox(ImapConfig.from_settings())
    assert "refused the OAuth2 access token twice" in str(refused.value)
    assert CLIENT_SECRET not in str(refused.value)


def test_password_login_still_works_beside_oauth2(m365, settings):
    settings.MAILINTAKE_IMAP_AUTH = "password"
    settings.MAILINTAKE_IMAP_PASSWORD = PASSWORD
    with m365.mailbox() as mailbox:
        mailbox.append(corpus("plain.eml"), "INBOX")
    assert poll_mailbox(ImapConfig.from_settings()).total == 1
    assert m365.auth.token_requests == []


# --- SMTP: outgoing mail ------------------------------------------------------------------


def test_an_outgoing_letter_is_delivered_through_smtp_xoauth2(world, m365):
    complaint = ComplaintFactory(name="A. Jansen")
    message = OutgoingMessage.objects.get(complaint=complaint)
    logins = xoauth2_logins(m365, "submission-login")

    report = letters.outbox_deliver_due()

    assert (report.sent, report.retrying, report.failed) == (1, 0, 0), report.errors
    [relayed] = m365.relay.messages()
    assert relayed["Message-ID"] == message.message_id
    assert relayed["To"] == complaint.complainant_email
    assert "with ESMTPA" in relayed["Received"]  # Dovecot took it from a logged-in client
    assert xoauth2_logins(m365, "submission-login") == logins + 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert len(m365.auth.token_requests) == 1


def test_smtp_replaces_a_revoked_token_and_refuses_a_wrong_secret(world, m365, settings):
    token_client().token()
    m365.auth.revoke_all()
    connection = mailers.default
    assert connection.open() is True
    connection.close()
    assert len(m365.auth.token_requests) == 2

    settings.MAIL_OAUTH2_CLIENT_SECRET = "Wr0ng~smtp-secret"
    ComplaintFactory()
    report = letters.outbox_deliver_due()
    assert report.retrying == 1 and "invalid_client" in report.errors[0]
    last_error = OutgoingMessage.objects.get().last_error
    assert "invalid_client" in last_error and "Wr0ng~smtp-secret" not in last_error
    assert m365.relay.accepted == []
