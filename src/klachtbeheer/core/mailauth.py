"""How the mailboxes log in: the one rule of what a complete set-up is (README, Microsoft 365).

Pure functions without Django, so that `settings.py` can refuse a half
configuration at start (`CONFIGURATION_ERRORS`) with the same rule that
`klachtbeheer.core.oauth2` and the IMAP intake apply when they connect.

Two ways to log in, for the intake mailbox (IMAP, `MAILINTAKE_IMAP_AUTH`) and for
outgoing mail (SMTP, `EMAIL_AUTH`) each: `password` (LOGIN/PLAIN), or `oauth2`
(SASL XOAUTH2 with an access token from the client-credentials flow, as
Microsoft 365 / Exchange Online requires). Both share one OAuth2 client
(`MAIL_OAUTH2_*`), as one app registration in Entra ID serves both.
"""

from __future__ import annotations

from urllib.parse import urlsplit

PASSWORD = "password"
OAUTH2 = "oauth2"
AUTH_METHODS = (PASSWORD, OAUTH2)
# How the client proves who it is at the token endpoint (RFC 6749 section 2.3.1).
CLIENT_AUTH_METHODS = ("client_secret_post", "client_secret_basic")

MICROSOFT_TOKEN_URL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
MICROSOFT_SCOPE = "https://outlook.office365.com/.default"
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def token_url_for(*, token_url: str, tenant: str) -> str:
    """The token endpoint: MAIL_OAUTH2_TOKEN_URL, else Microsoft's for MAIL_OAUTH2_TENANT."""
    if token_url:
        return token_url
    return MICROSOFT_TOKEN_URL.format(tenant=tenant) if tenant else ""


def oauth2_problems(
    *,
    imap_auth: str,
    imap_user: str,
    smtp_auth: str,
    smtp_user: str,
    token_url: str,
    client_id: str,
    client_secret: str,
    scope: str,
    client_auth: str,
) -> list[tuple[str, str]]:
    """What is wrong with the mail login set-up, as (message, hint) pairs; empty when complete."""
    problems: list[tuple[str, str]] = []
    for variable, value in (("MAILINTAKE_IMAP_AUTH", imap_auth), ("EMAIL_AUTH", smtp_auth)):
        if value not in AUTH_METHODS:
            problems.append(
                (
                    f"{variable} is {value!r}; it must be 'password' or 'oauth2'.",
                    f"Set {variable}=oauth2 for Microsoft 365, or leave it out for a password.",
                )
            )
    uses = [name for name, auth in (("IMAP", imap_auth), ("SMTP", smtp_auth)) if auth == OAUTH2]
    oauth2_given = any((client_id, client_secret))
    if not uses:
        if oauth2_given:
            problems.append(
                (
                    "MAIL_OAUTH2_CLIENT_ID or MAIL_OAUTH2_CLIENT_SECRET is set, but neither "
                    "MAILINTAKE_IMAP_AUTH nor EMAIL_AUTH is 'oauth2': nothing would use them.",
                    "Set MAILINTAKE_IMAP_AUTH=oauth2 and/or EMAIL_AUTH=oauth2, or remove the "
                    "MAIL_OAUTH2_ variables.",
                )
            )
        return problems
    missing = [
        name
        for name, value in (
            ("MAIL_OAUTH2_TOKEN_URL (or MAIL_OAUTH2_TENANT)", token_url),
            ("MAIL_OAUTH2_CLIENT_ID", client_id),
            ("MAIL_OAUTH2_CLIENT_SECRET", client_secret),
            ("MAIL_OAUTH2_SCOPE", scope),
        )
        if not value
    ]
    if "IMAP" in uses and not imap_user:
        missing.append("MAILINTAKE_IMAP_USER (the mailbox address)")
    if "SMTP" in uses and not smtp_user:
        missing.append("EMAIL_HOST_USER (the sending mailbox address)")
    if missing:
        problems.append(
            (
                f"OAuth2 login for {' and '.join(uses)} is not configured completely: "
                f"{', '.join(missing)} missing.",
                "Set the missing variables (docs/deployment.md, Microsoft 365), or use "
                "password login.",
            )
        )
    if token_url:
        parts = urlsplit(token_url)
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOOPBACK):
            problems.append(
                (
                    "MAIL_OAUTH2_TOKEN_URL must be an https:// address (the client secret is "
                    "sent there); plain http only to a loopback address.",
                    "For Microsoft 365: https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token",
                )
            )
    if client_auth not in CLIENT_AUTH_METHODS:
        problems.append(
            (
                f"MAIL_OAUTH2_CLIENT_AUTH is {client_auth!r}; it must be one of "
                f"{', '.join(CLIENT_AUTH_METHODS)}.",
                "Leave it out for client_secret_post (what Microsoft 365 documents).",
            )
        )
    return problems
