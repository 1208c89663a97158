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


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(record, "request_id", "") or request_id.get()
        request = getattr(record, "request", None)
        if request is not None and isinstance(record.args, tuple):
            # Django's "Internal Server Error: /path": the route instead of the path.
            path = getattr(request, "path", None)
            record.args = tuple(route_of(request) if arg == path else arg for arg in record.args)
            record.request = None
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the record as it is
            return True
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
