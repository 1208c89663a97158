"""A half OAuth2 set-up of the mailboxes does not start (issue #13.3 and #13.7).

The rule is `core.mailauth.oauth2_problems`; settings turn what it finds into
`CONFIGURATION_ERRORS` (klachtbeheer.E005), so `serve`, `worker` and `check` stop
with the reason, in production and in development alike.
"""

from __future__ import annotations

from klachtbeheer.core.mailauth import oauth2_problems, token_url_for
from tests.operations.conftest import production_env, run

COMPLETE = {
    "imap_auth": "oauth2",
    "imap_user": "klachten@imk.nl",
    "smtp_auth": "oauth2",
    "smtp_user": "klachten@imk.nl",
    "token_url": "https://login.microsoftonline.com/imk.onmicrosoft.com/oauth2/v2.0/token",
    "client_id": "8d1c2f3a",
    "client_secret": "geheim",
    "scope": "https://outlook.office365.com/.default",
    "client_auth": "client_secret_post",
}


def messages(**changes) -> str:
    return " ".join(message for message, _hint in oauth2_problems(**{**COMPLETE, **changes}))


def test_a_complete_set_up_and_password_login_have_no_problems():
    assert oauth2_problems(**COMPLETE) == []
    password = {"imap_auth": "password", "smtp_auth": "password"}
    assert messages(**password, client_id="", client_secret="") == ""
    assert messages(smtp_auth="password", smtp_user="") == ""  # IMAP only
    assert messages(token_url="http://127.0.0.1:8080/token") == ""  # loopback (tests)


def test_each_missing_part_is_named():
    found = messages(client_secret="", scope="", token_url="")
    assert "OAuth2 login for IMAP and SMTP is not configured completely" in found
    for name in ("MAIL_OAUTH2_CLIENT_SECRET", "MAIL_OAUTH2_SCOPE", "MAIL_OAUTH2_TOKEN_URL"):
        assert name in found
    assert "MAIL_OAUTH2_CLIENT_ID" not in found
    assert "EMAIL_HOST_USER" in messages(smtp_user="")
    assert "MAILINTAKE_IMAP_USER" in messages(imap_user="")


def test_wrong_values_and_unused_credentials_are_problems_too():
    assert "must be 'password' or 'oauth2'" in messages(imap_auth="xoauth")
    assert "must be an https:// address" in messages(token_url="http://login.example/token")
    assert "MAIL_OAUTH2_CLIENT_AUTH" in messages(client_auth="private_key_jwt")
    assert "nothing would use them" in messages(imap_auth="password", smtp_auth="password")


def test_the_tenant_gives_microsofts_token_endpoint():
    assert (
        token_url_for(token_url="", tenant="imk.onmicrosoft.com")
        == "https://login.microsoftonline.com/imk.onmicrosoft.com/oauth2/v2.0/token"
    )
    assert token_url_for(token_url="https://idp.example/token", tenant="x") == (
        "https://idp.example/token"
    )
    assert token_url_for(token_url="", tenant="") == ""


def m365_env(tmp_path, **extra):
    settings = dict(
        MAILINTAKE_IMAP_HOST="outlook.office365.com",
        MAILINTAKE_IMAP_USER="klachten@imk.nl",
        MAILINTAKE_IMAP_AUTH="oauth2",
        EMAIL_HOST="smtp.office365.com",
        EMAIL_PORT="587",
        EMAIL_USE_TLS="true",
        EMAIL_HOST_USER="klachten@imk.nl",
        EMAIL_AUTH="oauth2",
        MAIL_OAUTH2_TENANT="imk.onmicrosoft.com",
        MAIL_OAUTH2_CLIENT_ID="8d1c2f3a-0000-4000-8000-000000000000",
        MAIL_OAUTH2_CLIENT_SECRET="een-geheim-dat-niet-in-de-uitvoer-staat",
    )
    return production_env(tmp_path / "data", **{**settings, **extra})


def test_serve_refuses_a_half_oauth2_set_up_and_names_what_is_missing(tmp_path):
    env = m365_env(tmp_path)
    env.pop("MAIL_OAUTH2_CLIENT_SECRET")
    env.pop("EMAIL_HOST_USER")
    result = run("serve", env=env)
    assert result.returncode == 78, result.stderr
    assert "klachtbeheer.E005" in result.stderr
    assert "MAIL_OAUTH2_CLIENT_SECRET" in result.stderr and "EMAIL_HOST_USER" in result.stderr
    assert "Listening" not in result.stderr


def test_development_refuses_it_too(tmp_path):
    env = m365_env(tmp_path, MAIL_OAUTH2_TENANT="")
    env.pop("KLACHTBEHEER_ENV")
    result = run("check", env=env)
    assert result.returncode != 0
    assert "klachtbeheer.E005" in result.stderr and "MAIL_OAUTH2_TOKEN_URL" in result.stderr


def test_a_complete_microsoft_365_set_up_passes_and_sends_with_the_oauth2_backend(tmp_path):
    env = m365_env(tmp_path)
    result = run("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stderr
    shown = run(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; o = s.MAILERS['default']; "
        "print(o['BACKEND'], repr(o['OPTIONS']['password']), s.MAIL_OAUTH2_SCOPE)",
        env=env,
    )
    assert shown.stdout.split() == [
        "klachtbeheer.core.mailbackend.OAuth2EmailBackend",
        "''",
        "https://outlook.office365.com/.default",
    ], shown.stderr
    assert "een-geheim" not in result.stdout + result.stderr + shown.stdout + shown.stderr
