"""The probes: /healthz (the process lives), /readyz (it can do its work), /metrics."""

from __future__ import annotations

import hmac
import ipaddress
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

from klachtbeheer.operations import metrics
from klachtbeheer.operations.readiness import readiness


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    """503, `Retry-After`, a page that needs no database (no session, no context processors)."""
    retry_after = settings.DATABASE_RETRY_AFTER_SECONDS
    page = loader.get_template("operations/503.html").render({"retry_after": retry_after})
    response = HttpResponse(page, status=503)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


def healthz(request: HttpRequest) -> JsonResponse:
    """Alive: answers without the database (a restart would not help when it is down)."""
    return JsonResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


def readyz(request: HttpRequest) -> JsonResponse:
    result = readiness()
    return JsonResponse(
        result.as_dict(), status=200 if result.ok else 503, headers={"Cache-Control": "no-store"}
    )


def client_address(request: HttpRequest) -> str:
    """The client's address: behind PROXY_COUNT proxies, the one they saw."""
    count = int(getattr(settings, "AXES_IPWARE_PROXY_COUNT", None) or 0)
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if count and len(forwarded) >= count:
        return forwarded[-count]
    return request.META.get("REMOTE_ADDR", "")


def _address_allowed(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for allowed in settings.METRICS_ALLOWED_IPS:
        try:
            if ip in ipaddress.ip_network(allowed, strict=False):
                return True
        except ValueError:
            continue
    return False


def metrics_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    return _address_allowed(client_address(request))


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(
        metrics.exposition(),
        content_type="text/plain; version=0.0.4; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database that went away is 503 with Retry-After, not an error page.

    Reached for exceptions raised outside a view (a session or user loaded from a
    database that is gone); under /api/ Django's own answer stays.
    """
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError) and not request.path_info.startswith(
        "/api/"
    ):
        return database_unavailable_response(request)
    return defaults.server_error(request)
