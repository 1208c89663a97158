"""The request's id, log line and metrics; the probes; a database outage as 503.

`RequestMiddleware` comes first: it gives each request an id (`X-Request-ID`
from the proxy when it looks like one, else a new one; sent back in the answer
and on every log line of the request), answers `/healthz`, `/readyz` and
`/metrics` itself (no host check, session or redirect, so monitoring can ask the
server directly), and logs one line per request by its URL route, method, status
and duration, never its path or query string (no personal data).

`DatabaseUnavailableMiddleware` turns an `OperationalError`/`InterfaceError`
from a view into 503 with `Retry-After` and a short Dutch and English page;
`klachtbeheer.urls.handler500` does the same for one raised outside a view
(sessions, authentication). Under `/api/` it does nothing: the API answers in
its own way.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from klachtbeheer.core.logs import request_id, route_of
from klachtbeheer.operations import metrics, views

logger = logging.getLogger("klachtbeheer.request")

_GIVEN_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
PROBES = {"/healthz": views.healthz, "/readyz": views.readyz, "/metrics": views.metrics_view}
DATABASE_GONE = (OperationalError, InterfaceError)


class RequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        rid = given if _GIVEN_ID.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        try:
            probe = PROBES.get(request.path_info)
            if probe is not None:
                response = probe(request)
                response._has_been_logged = True  # a 503 of /readyz is an answer, not an error
                route = request.path_info.lstrip("/")
            else:
                response = self.get_response(request)
                route = route_of(request)
            seconds = time.perf_counter() - started
            response["X-Request-ID"] = rid
            metrics.observe_request(request.method, route, response.status_code, seconds)
            logger.log(
                logging.DEBUG if probe is not None else logging.INFO,
                "%s %s %s %.0f ms",
                request.method,
                route,
                response.status_code,
                seconds * 1000,
                extra={
                    "method": request.method,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                },
            )
            return response
        finally:
            request_id.reset(token)


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, DATABASE_GONE) and not is_api(request):
            logger.warning("Database unavailable (%s): 503", type(exception).__name__)
            return views.database_unavailable_response(request)
        return None
