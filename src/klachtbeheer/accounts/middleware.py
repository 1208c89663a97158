"""The second factor: staff who need one go to set it up or to enter it before anything else.

Who needs one follows TWO_FACTOR (settings): "required" every signed-in user on every
page, "admin" only in the admin, "off" nobody (development only). A sign-in through the
organisation's identity provider counts as two factors there (the provider's own
multi-factor policy; README "Signing in"), so it is not asked again here.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.shortcuts import redirect
from django.urls import reverse

from klachtbeheer.accounts.oidc import BACKEND_PATH

# Pages that a signed-in user without a second factor may still open.
OPEN_VIEWS = {
    "login",
    "logout",
    "set_language",
    "accounts:two_factor",
    "accounts:two_factor_setup",
    "accounts:recovery_codes",
    "accounts:sso_refused",
}


def second_factor_needed(request) -> bool:
    """Whether this request needs a verified second factor (before looking at the user's)."""
    if settings.TWO_FACTOR == "off":
        return False
    if request.session.get(BACKEND_SESSION_KEY) == BACKEND_PATH:
        return False
    if settings.TWO_FACTOR == "required":
        return True
    match = request.resolver_match
    return bool(match and match.app_name == "admin")


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        match = request.resolver_match
        if match is None or match.view_name in OPEN_VIEWS or request.path.startswith("/api/"):
            return None
        if not second_factor_needed(request) or user.is_verified():
            return None
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('accounts:two_factor')}?{query}")
