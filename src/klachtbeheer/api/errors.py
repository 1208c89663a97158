"""Every error of the API as JSON `{code, message, errors}`, in the request's language.

Domain errors (`core.errors.ProcedureError`) keep their status and code. A
database that cannot be reached is 503 with Retry-After; anything unexpected
is 500 `server_error`, logged with its incident number, the operation's route
and the stack of code locations, never the request, the exception's text or
anything else that could hold personal data.
"""

from __future__ import annotations

import json
import logging
import secrets
import traceback
from collections.abc import Iterable

from django.core.exceptions import SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from klachtbeheer.core.api import FormInvalid
from klachtbeheer.core.errors import ProcedureError
from klachtbeheer.core.form_schema import generic_message

logger = logging.getLogger("klachtbeheer.api")

JSON = "application/json; charset=utf-8"
RETRY_AFTER_SECONDS = 30
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def json_error(
    status: int,
    code: str,
    message: str,
    errors: Iterable[dict[str, str]] = (),
    *,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body = {"code": code, "message": str(message), "errors": list(errors)}
    response = HttpResponse(json.dumps(body), status=status, content_type=JSON)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return f"{request.method} {match.route if match else '?'}"


def database_unavailable(request: HttpRequest, exc: BaseException) -> HttpResponse:
    logger.warning("API %s: database unavailable (%s)", _route(request), type(exc).__name__)
    return json_error(
        503,
        "database_unavailable",
        _("The database cannot be reached just now; try again in a moment."),
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def server_error(request: HttpRequest, exc: BaseException | None) -> HttpResponse:
    incident = secrets.token_hex(4)
    frames = traceback.format_list(traceback.extract_tb(exc.__traceback__)) if exc else []
    logger.error(
        "API %s: unexpected %s, incident %s\n%s",
        _route(request),
        type(exc).__name__ if exc else "error",
        incident,
        "".join(frames).rstrip(),
    )
    return json_error(
        500,
        "server_error",
        _("Something went wrong on our side; it has been logged as incident %(incident)s.")
        % {"incident": incident},
    )


def _validation_errors(exc: ValidationError) -> list[dict[str, str]]:
    errors = []
    for item in exc.errors:
        location = [str(part) for part in item.get("loc", ()) if part not in ("body", "payload")]
        message = generic_message(item) if "type" in item else str(item.get("msg", ""))
        errors.append({"field": ".".join(location) or "body", "message": message})
    return errors


def install(api: NinjaAPI) -> None:
    """Register the handlers on `api`: the only place an API error gets its form."""

    @api.exception_handler(ProcedureError)
    def _procedure_error(request, exc: ProcedureError):
        return json_error(exc.status, exc.code, str(exc))

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        return json_error(401, "unauthorized", _("Send a valid API key or personal token."))

    @api.exception_handler(HttpError)
    def _http_error(request, exc: HttpError):
        if exc.status_code == 400:
            return json_error(400, "bad_request", _("The request could not be read."))
        return json_error(exc.status_code, "error", str(exc))

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return json_error(404, "not_found", _("Not found."))

    @api.exception_handler(SuspiciousOperation)
    def _bad_request(request, exc):
        return json_error(400, "bad_request", _("The request could not be read."))

    @api.exception_handler(ValidationError)
    def _invalid(request, exc: ValidationError):
        return json_error(422, "invalid", _("The request is not valid."), _validation_errors(exc))

    @api.exception_handler(FormInvalid)
    def _form_invalid(request, exc: FormInvalid):
        errors = exc.field_errors()
        first = errors[0]["message"] if errors else _("The request is not valid.")
        return json_error(422, "invalid", first, errors)

    @api.exception_handler(OperationalError)
    def _operational(request, exc):
        return database_unavailable(request, exc)

    @api.exception_handler(InterfaceError)
    def _interface(request, exc):
        return database_unavailable(request, exc)

    @api.exception_handler(Exception)
    def _unexpected(request, exc):
        return server_error(request, exc)
