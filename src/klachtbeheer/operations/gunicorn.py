"""gunicorn, configured from the settings, as `klachtbeheer serve` runs it."""

from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from gunicorn.app.base import BaseApplication
from gunicorn.util import import_app
from prometheus_client import multiprocess

from klachtbeheer.letters.pdf import warm_up


def multiprocess_directory() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(value) if value else None


def fresh_multiprocess_directory() -> None:
    """Counters of a previous run would be added to this one's: start empty."""
    directory = multiprocess_directory()
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True, exist_ok=True)


def _post_fork(server, worker) -> None:
    # Never share the master's database connections with a worker.
    connections.close_all()
    # The first letter PDF of a worker as fast as the rest (issue 15): WeasyPrint,
    # fontconfig and the fonts are loaded now, before the worker takes a request.
    seconds = warm_up()
    server.log.debug("worker %s: PDF renderer warmed up in %.0f ms", worker.pid, seconds * 1000)


def _child_exit(server, worker) -> None:
    if multiprocess_directory() is not None:
        multiprocess.mark_process_dead(worker.pid)


def logging_config() -> dict[str, Any]:
    """gunicorn's own lines (start, stop, worker timeouts) in the project's format.

    The filter, formatters and handler are those of `settings.LOGGING`, so both
    write the same lines; only gunicorn's own loggers are added here.
    """
    project = copy.deepcopy(settings.LOGGING)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": project["filters"],
        "formatters": project["formatters"],
        "handlers": project["handlers"],
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            # Requests are logged by the project, by route: gunicorn's access log would
            # write every path and query string (personal data), so it stays off.
            "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
    }


def options(**overrides: Any) -> dict[str, Any]:
    threads = overrides.get("threads") or settings.WEB_THREADS
    chosen = {
        "bind": [overrides.get("bind") or settings.WEB_BIND],
        "workers": overrides.get("workers") or settings.WEB_WORKERS,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": overrides.get("timeout") or settings.WEB_TIMEOUT,
        "graceful_timeout": settings.WEB_GRACEFUL_TIMEOUT,
        "keepalive": settings.WEB_KEEPALIVE,
        "max_requests": settings.WEB_MAX_REQUESTS,
        "max_requests_jitter": max(1, settings.WEB_MAX_REQUESTS // 10),
        "accesslog": None,
        "errorlog": "-",
        "logconfig_dict": logging_config(),
        "proc_name": "klachtbeheer-web",
        "post_fork": _post_fork,
        "child_exit": _child_exit,
    }
    return chosen


class WebServer(BaseApplication):
    def __init__(self, chosen: dict[str, Any]):
        self.chosen = chosen
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.chosen.items():
            self.cfg.set(key, value)
        # Newer gunicorn opens a control socket in $HOME; several servers on one machine
        # (and systemd's service users) do without it.
        if "control_socket_disable" in self.cfg.settings:
            self.cfg.set("control_socket_disable", True)

    def load(self):
        # By name, in each worker: the WSGI module refuses a half-configured production.
        return import_app("klachtbeheer.wsgi:application")
