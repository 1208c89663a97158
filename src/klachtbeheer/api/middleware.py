"""Under /api/: messages in the language of Accept-Language, and every answer JSON.

The pages take their language from the URL (Dutch at the root, English under
/en/); the API's URLs carry none, so this middleware, after LocaleMiddleware,
picks it from `Accept-Language` (English or Dutch, Dutch by default) for the
request. Whatever answers outside the API's own handlers (Django's 404 for an
unknown path, ninja's 405, a 500 from below) is turned into the same JSON
`{code, message, errors}` with its status and headers.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _

from klachtbeheer.api.errors import (
    DATABASE_UNAVAILABLE,
    database_unavailable,
    json_error,
    server_error,
)

PREFIX = "/api/"


def accept_language(header: str) -> str:
    """The first language of the header that we speak; the default language otherwise."""
    supported = {code for code, _name in settings.LANGUAGES}
    ranked = []
    for position, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower()))
    for negative_quality, _position, tag in sorted(ranked):
        language = tag.split("-")[0]
        if negative_quality < 0 and language in supported:
            return language
    return settings.LANGUAGE_CODE


def _not_json(response: HttpResponse) -> bool:
    return response.status_code >= 400 and not response.get("Content-Type", "").startswith(
        "application/json"
    )


def _as_json(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    status = response.status_code
    if status == 404:
        answer = json_error(404, "not_found", _("Not found."))
    elif status == 405:
        answer = json_error(405, "method_not_allowed", _("This method is not allowed here."))
    elif status >= 500:
        answer = server_error(request, None)
        answer.status_code = status
    else:
        answer = json_error(status, "bad_request", _("The request could not be read."))
    for name in ("Allow", "Retry-After", "WWW-Authenticate"):
        if name in response:
            answer[name] = response[name]
    return answer


class ApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(PREFIX):
            return self.get_response(request)
        language = accept_language(request.headers.get("Accept-Language", ""))
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = self.get_response(request)
            if _not_json(response):
                response = _as_json(request, response)
        response["Content-Language"] = language
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not request.path_info.startswith(PREFIX):
            return None
        if isinstance(exception, DATABASE_UNAVAILABLE):
            return database_unavailable(request, exception)
        return server_error(request, exception)
