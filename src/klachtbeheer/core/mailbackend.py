"""Outgoing mail through an SMTP server that wants OAuth2 (Microsoft 365: smtp.office365.com).

`OAuth2EmailBackend` is Django's SMTP backend (`MAILERS`, with `EMAIL_AUTH=oauth2`)
that logs in with SASL XOAUTH2 instead of a password: at each new connection it
takes the access token from `core.oauth2` (kept until shortly before it expires)
and hands it to the connection's `login` as the password, which here says
`AUTH XOAUTH2`. When the server refuses the token, the token is dropped and the
login is tried once more with a fresh one (a token revoked before its time).
"""

from __future__ import annotations

import smtplib

from django.core.mail.backends.smtp import EmailBackend

from klachtbeheer.core.oauth2 import token_client, xoauth2_response


class _XOAuth2Login:
    """`login(user, token)` with XOAUTH2, for smtplib.SMTP and smtplib.SMTP_SSL."""

    def login(self, user, password, *, initial_response_ok=True):
        self.ehlo_or_helo_if_needed()
        if not self.has_extn("auth"):
            raise smtplib.SMTPNotSupportedError("The SMTP server offers no AUTH (XOAUTH2).")
        offered = self.esmtp_features["auth"].upper().split()
        if "XOAUTH2" not in offered:
            raise smtplib.SMTPNotSupportedError(
                f"The SMTP server does not offer AUTH XOAUTH2 (only {' '.join(offered)})."
            )
        return self.auth("XOAUTH2", xoauth2_response(user, password), initial_response_ok=True)


class XOAuth2SMTP(_XOAuth2Login, smtplib.SMTP):
    pass


class XOAuth2SMTP_SSL(_XOAuth2Login, smtplib.SMTP_SSL):
    pass


class OAuth2EmailBackend(EmailBackend):
    """Django's SMTP backend, logging in with an OAuth2 access token (MAIL_OAUTH2_*)."""

    @property
    def connection_class(self):
        return XOAuth2SMTP_SSL if self.use_ssl else XOAuth2SMTP

    def open(self):
        if self.connection:
            return False
        tokens = token_client()
        self.password = tokens.token()
        try:
            return super().open()
        except smtplib.SMTPAuthenticationError:
            tokens.invalidate(self.password)
            self.password = tokens.token()
            return super().open()
