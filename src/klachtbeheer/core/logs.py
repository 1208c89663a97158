"""Log lines without personal data, with the request id (README, Configuration: LOG_FORMAT).

`ContextFilter` adds the current request id (set by the request middleware, or by
the worker per task) to every record and masks e-mail addresses in the message;
`TextFormatter` writes one readable line, `JsonFormatter` one JSON object a line.
Requests are logged by their route (`klachtbeheer.operations.middleware`), never
by their path or query string: a status link's path holds a secret token.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import traceback

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# Attributes every LogRecord has; anything else was passed as `extra` and goes into the JSON.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


def redact(text: str) -> str:
    """E-mail addresses out of a log line (an SMTP error quotes the recipient, for one)."""
    return _EMAIL.sub("[e-mail]", text)


def route_of(request) -> str:
    """A request by its URL pattern (`klacht/status/<str:token>/`), never its path."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "(unmatched)"
    return match.route or match.view_name or "(unnamed)"


def _paths(request) -> list[str]:
    """The ways a log line may spell the request's path: as it is, with its query, and as
    Django writes it (non-ASCII escaped, `log_message`), longest first."""
    spelt = {
        getattr(request, "path", ""),
        getattr(request, "path_info", ""),
        request.get_full_path() if hasattr(request, "get_full_path") else "",
    }
    spelt |= {path.encode("unicode_escape").decode("ascii") for path in spelt}
    return sorted((path for path in spelt if len(path) > 1), key=len, reverse=True)


def without_path(message: str, request) -> str:
    """`message` with the request's path, in any spelling, replaced by its route."""
    route = route_of(request)
    for path in _paths(request):
        message = message.replace(path, route)
    return message


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(record, "request_id", "") or request_id.get()
        request = getattr(record, "request", None)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the record as it is
            record.request = None
            return True
        if request is not None:
            # Django's "Service Unavailable: /klacht/status/<secret>/" (django.request, for
            # every answer from 400 up) and its security messages: the route, not the path.
            message = without_path(message, request)
            record.request = None
        record.msg, record.args = redact(message), None
        return True


def _moment(record: logging.LogRecord) -> str:
    return dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", "")
        line = f"{_moment(record)} {record.levelname} {record.name}"
        line += f" [{rid}]" if rid else ""
        line += f" {record.getMessage()}"
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": _moment(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if getattr(record, "request_id", ""):
            entry["request_id"] = record.request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            entry["exception"] = redact(
                "".join(traceback.format_exception(*record.exc_info)).rstrip()
            )
        return json.dumps(entry, ensure_ascii=False)
