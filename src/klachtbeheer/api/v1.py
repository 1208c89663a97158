"""The JSON API, version 1: one NinjaAPI, one router per app, mounted at /api/v1/.

Who may call what is decided here: every operation takes a handler's personal
token (`Authorization: Bearer kbs_…`), except the public intake, which takes
an integrating site's key (`X-API-Key: kbi_…`). Errors are JSON (`errors`),
retries with an Idempotency-Key get the kept answer (`idempotency`).
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from klachtbeheer.api import errors, idempotency
from klachtbeheer.api.auth import SiteKey, StaffBearer
from klachtbeheer.complaints import api as complaints_api
from klachtbeheer.intake import api as intake_api


def _one_view_per_path(patterns: list) -> list:
    """Django takes the first URL pattern that matches; ninja makes one per router.

    Where two routers share a path (POST /complaints is the intake's, GET the
    work list's), the first pattern gets a view that asks each router's view in
    turn, by method; the others stay, so that every URL name still reverses.
    """
    by_route: dict[str, list] = {}
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            by_route.setdefault(str(pattern.pattern), []).append(pattern)
    merged = []
    for pattern in patterns:
        group = by_route.get(str(pattern.pattern), [])
        if len(group) > 1 and pattern is group[0]:
            pattern = URLPattern(
                pattern.pattern,
                _by_method([p.callback for p in group]),
                pattern.default_args,
                pattern.name,
            )
        merged.append(pattern)
    return merged


def _by_method(views: list):
    def view(request, *args, **kwargs):
        allowed: list[str] = []
        for candidate in views:
            response = candidate(request, *args, **kwargs)
            if response.status_code != 405:
                return response
            allowed.extend(m.strip() for m in response.get("Allow", "").split(",") if m)
        response["Allow"] = ", ".join(dict.fromkeys(allowed))
        return response

    view.csrf_exempt = True  # as ninja's own views: tokens, not cookies
    return view


class ProjectAPI(NinjaAPI):
    @property
    def urls(self) -> tuple[list, str, str]:
        patterns, app_name, namespace = super().urls
        return _one_view_per_path(patterns), app_name, namespace

    def get_openapi_schema(self, *args, **kwargs) -> dict[str, Any]:
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                unavailable = operation.get("responses", {}).get(503)
                if unavailable is not None:
                    unavailable.setdefault("headers", {})["Retry-After"] = {
                        "description": "Seconds to wait before trying again.",
                        "schema": {"type": "string", "pattern": "^[0-9]+$"},
                    }
        return schema


api = ProjectAPI(
    title="Klachtbeheer API",
    version="1",
    description=(
        "Public intake for integrating sites (`X-API-Key`) and the complaints procedure for "
        "staff with a personal token (`Authorization: Bearer …`, made on the page "
        "/api-tokens/). Every answer is JSON; errors are `{code, message, errors}`, the "
        "message in the language of `Accept-Language` (`en` for English, Dutch otherwise). "
        "`POST /complaints` and `POST /registrations` take an `Idempotency-Key`."
    ),
    urls_namespace="api",
    docs=Swagger(settings={"validatorUrl": None, "tryItOutEnabled": False}),
    docs_url="/docs",
    auth=StaffBearer(),
)
errors.install(api)
intake_api.public.auth = SiteKey()
api.add_router("", intake_api.router)
api.add_router("", complaints_api.router)
api.add_decorator(idempotency.replay)
