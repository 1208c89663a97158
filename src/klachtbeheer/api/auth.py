"""Who calls the API: an integrating site with its key, or a staff member with a token."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import APIKeyHeader, HttpBearer

from klachtbeheer.accounts import services as accounts
from klachtbeheer.intake import services


class SiteKey(APIKeyHeader):
    """The key of an integrating site (public intake only)."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None):
        return services.api_key_for(key or "")


class StaffBearer(HttpBearer):
    """A staff member's personal token (the API acts as that person), or a service account's
    read or steps token (the API acts as its user, a read token only for reading)."""

    def authenticate(self, request: HttpRequest, token: str):
        user = services.staff_user_for(token or "") or accounts.service_user_for(
            token or "", method=request.method or "GET"
        )
        if user is not None:
            request.user = user
        return user
