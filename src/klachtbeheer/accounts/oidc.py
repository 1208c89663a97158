"""Single sign-on with the organisation's OpenID provider (mozilla-django-oidc).

Only the issuer, the client id and the secret are configured (OIDC_ISSUER,
OIDC_CLIENT_ID, OIDC_CLIENT_SECRET); every endpoint comes from the issuer's
`.well-known/openid-configuration`, read when first needed and kept for an hour.

The library checks the ID token's signature and nonce; we also check its issuer,
audience (our client id), `azp`, expiry and subject, so a token made for another
application is refused. Roles and districts stay in Klachtbeheer: an identity is
found by its (issuer, subject), the first time by the e-mail address of its
account (one only), and an unknown identity is refused with a page that says so (or, with
OIDC_CREATE_USERS, made an account without any role).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import absolutify, import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from klachtbeheer.accounts.models import Identity
from klachtbeheer.core import clock
from klachtbeheer.core.audit import audit
from klachtbeheer.core.models import AuditAction

logger = logging.getLogger(__name__)

BACKEND_PATH = "klachtbeheer.accounts.oidc.StaffOIDCBackend"
REFUSAL_SESSION_KEY = "accounts_sso_refused"
DISCOVERY_SECONDS = 3600

# What the discovery document calls each endpoint, and the library's setting for it.
_ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
_discovered: dict[str, tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID)


def discovery(issuer: str | None = None) -> dict[str, Any]:
    """The provider's metadata (cached for an hour per issuer)."""
    issuer = (issuer or settings.OIDC_ISSUER).rstrip("/")
    if not issuer:
        raise ImproperlyConfigured("OIDC_ISSUER is not set.")
    with _lock:
        cached = _discovered.get(issuer)
        if cached and cached[0] > time.monotonic():
            return cached[1]
    response = requests.get(
        f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT
    )
    response.raise_for_status()
    document = response.json()
    if document.get("issuer", "").rstrip("/") != issuer:
        raise ImproperlyConfigured(
            f"The provider's discovery document names issuer {document.get('issuer')!r}, "
            f"not OIDC_ISSUER {issuer!r}."
        )
    with _lock:
        _discovered[issuer] = (time.monotonic() + DISCOVERY_SECONDS, document)
    return document


def forget_discovery() -> None:
    with _lock:
        _discovered.clear()


def _setting(attr: str, *args):
    if attr in _ENDPOINTS:
        return discovery()[_ENDPOINTS[attr]]
    return import_from_settings(attr, *args)


class Refused(Exception):
    """Sign-in through the provider refused, with a reason code for the page."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class StaffOIDCBackend(OIDCAuthenticationBackend):
    """The library's backend with discovery, full ID token checks and our own matching."""

    def __init__(self, *args, **kwargs):
        # Endpoints are read from the provider only when a sign-in through it happens.
        self.UserModel = get_user_model()

    get_settings = staticmethod(_setting)

    def _configure(self) -> None:
        self.OIDC_OP_TOKEN_ENDPOINT = _setting("OIDC_OP_TOKEN_ENDPOINT")
        self.OIDC_OP_USER_ENDPOINT = _setting("OIDC_OP_USER_ENDPOINT")
        self.OIDC_OP_JWKS_ENDPOINT = _setting("OIDC_OP_JWKS_ENDPOINT")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request, **kwargs):
        if request is None or not enabled() or "code" not in request.GET:
            return None  # a password sign-in, or no provider configured
        self._configure()
        try:
            return super().authenticate(request, **kwargs)
        except Refused as refusal:
            request.session[REFUSAL_SESSION_KEY] = refusal.code
        except (SuspiciousOperation, requests.RequestException, jwt.PyJWTError) as error:
            logger.warning("Single sign-on refused: %s", type(error).__name__)
            request.session[REFUSAL_SESSION_KEY] = "invalid_token"
        return None

    def _verify_jws(self, payload, key):
        """The signature, and that the token is ours: issuer, audience, azp, expiry, subject."""
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation("ID token signed with another algorithm")
        try:
            claims = jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=discovery()["issuer"],
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
                leeway=60,
            )
        except jwt.InvalidAudienceError as error:
            raise Refused("wrong_audience") from error
        azp = claims.get("azp")
        if azp is not None and azp != self.OIDC_RP_CLIENT_ID:
            raise Refused("wrong_audience")
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        if claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("userinfo is about another subject")
        return identity_user(issuer=discovery()["issuer"], claims=claims)


def identity_user(*, issuer: str, claims: dict[str, Any]):
    """The active user behind this identity; Refused when there is none (or it is inactive)."""
    User = get_user_model()
    subject = str(claims["sub"])
    with transaction.atomic():
        identity = (
            Identity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
        )
        if identity is None:
            email = (claims.get("email") or "").strip()
            candidates = (
                list(User.objects.filter(email__iexact=email)[:2])
                if email and claims.get("email_verified", True) is not False
                else []
            )
            if len(candidates) == 1:
                user = candidates[0]
                if not user.is_active:
                    raise Refused("inactive")
                action = AuditAction.ACCOUNT_SSO_LINKED
            elif not candidates and settings.OIDC_CREATE_USERS and email:
                user = User.objects.create_user(
                    username=_free_username(email),
                    email=email,
                    first_name=(claims.get("given_name") or "")[:150],
                    last_name=(claims.get("family_name") or "")[:150],
                )  # no role: sees nothing until the quality manager gives one
                action = AuditAction.ACCOUNT_SSO_CREATED
            else:
                raise Refused("unknown")
            identity = Identity.objects.create(user=user, issuer=issuer, subject=subject)
            audit(actor=None, action=action, target=user, issuer=issuer)
        if not identity.user.is_active:
            raise Refused("inactive")
        identity.last_login_at = clock.now()
        identity.save(update_fields=["last_login_at"])
        return identity.user


def _free_username(email: str) -> str:
    User = get_user_model()
    base = email.split("@")[0][:140] or "sso"
    name, number = base, 1
    while User.objects.filter(username=name).exists():
        number += 1
        name = f"{base}{number}"
    return name


class StartView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider (state, nonce and PKCE in the session)."""

    get_settings = staticmethod(_setting)

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    def get(self, request):
        self.OIDC_OP_AUTH_ENDPOINT = _setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """Back from the provider: signed in, or to the page that says why not."""

    get_settings = staticmethod(_setting)

    @property
    def failure_url(self) -> str:
        return reverse("accounts:sso_refused")


def provider_logout_url(request: HttpRequest) -> str:
    """The provider's end-session address (RP-initiated logout), back to our login page."""
    id_token = request.session.get("oidc_id_token")
    endpoint = discovery().get("end_session_endpoint") if enabled() else None
    back = absolutify(request, reverse(settings.LOGOUT_REDIRECT_URL))
    if not endpoint:
        return back
    query = {"post_logout_redirect_uri": back, "client_id": settings.OIDC_RP_CLIENT_ID}
    if id_token:
        query["id_token_hint"] = id_token
    return f"{endpoint}?{urlencode(query)}"
