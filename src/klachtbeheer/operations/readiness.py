"""What /readyz reports: is everything there that Klachtbeheer needs to do its work?

Each check has `ok` and its figures; any failing check makes the answer 503. The
thresholds are settings (README, Configuration); 0 switches a check off. Counts,
ages and sizes only: no personal data.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Min

from klachtbeheer.core import clock
from klachtbeheer.core.beacons import (
    MAIL_OAUTH2,
    MAILBOX_POLL,
    beacon_at,
    beacon_get,
    latest_worker_beat,
)
from klachtbeheer.core.mailauth import OAUTH2
from klachtbeheer.letters.constants import MessageStatus
from klachtbeheer.letters.models import OutgoingMessage

# Once all migrations were applied, this process asks again only after a while.
_MIGRATIONS_CACHE_SECONDS = 60.0
_migrations_ok_until = 0.0


@dataclass
class Readiness:
    ok: bool
    checks: dict[str, dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"status": "ok" if self.ok else "unavailable", "checks": self.checks}


def _age(moment) -> float | None:
    return None if moment is None else round((clock.now() - moment).total_seconds(), 1)


def _within(age: float | None, limit: float) -> bool:
    return limit <= 0 or (age is not None and age <= limit)


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        connection.close()
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True, "vendor": connection.vendor}


def check_migrations() -> dict[str, Any]:
    global _migrations_ok_until
    if time.monotonic() < _migrations_ok_until:
        return {"ok": True, "unapplied": 0}
    executor = MigrationExecutor(connection)
    unapplied = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    if unapplied == 0:
        _migrations_ok_until = time.monotonic() + _MIGRATIONS_CACHE_SECONDS
    return {"ok": unapplied == 0, "unapplied": unapplied}


def check_worker() -> dict[str, Any]:
    age = _age(latest_worker_beat())
    return {
        "ok": _within(age, settings.READY_WORKER_MAX_AGE_SECONDS),
        "last_heartbeat_seconds_ago": age,
    }


def outbox_figures() -> dict[str, Any]:
    unsent = OutgoingMessage.objects.filter(
        status__in=[MessageStatus.QUEUED, MessageStatus.SENDING]
    ).aggregate(oldest=Min("created_at"))
    counts = {
        status: OutgoingMessage.objects.filter(status=status).count()
        for status in (MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.FAILED)
    }
    return {"oldest_unsent_seconds": _age(unsent["oldest"]) or 0.0, **counts}


def check_outbox() -> dict[str, Any]:
    figures = outbox_figures()
    limit = settings.READY_OUTBOX_MAX_AGE_SECONDS
    return {"ok": limit <= 0 or figures["oldest_unsent_seconds"] <= limit, **figures}


def check_mailbox() -> dict[str, Any]:
    if not settings.MAILINTAKE_IMAP_HOST:
        return {"ok": True, "configured": False}
    age = _age(beacon_at(MAILBOX_POLL))
    return {
        "ok": _within(age, settings.READY_MAILBOX_MAX_AGE_SECONDS),
        "configured": True,
        "last_poll_seconds_ago": age,
    }


def check_mail_oauth2() -> dict[str, Any]:
    """The last OAuth2 token request for the mailboxes (core.oauth2): refused is not ready."""
    uses = [
        name
        for name, auth in (
            ("imap", settings.MAILINTAKE_IMAP_AUTH if settings.MAILINTAKE_IMAP_HOST else ""),
            ("smtp", settings.EMAIL_AUTH),
        )
        if auth == OAUTH2
    ]
    if not uses:
        return {"ok": True, "configured": False}
    beacon = beacon_get(MAIL_OAUTH2)
    if beacon is None:  # no token asked for yet
        return {"ok": True, "configured": True, "uses": uses, "last_request_seconds_ago": None}
    data = beacon.data or {}
    answer = {
        "ok": bool(data.get("ok")),
        "configured": True,
        "uses": uses,
        "last_request_seconds_ago": _age(beacon.at),
        "endpoint": data.get("endpoint"),
    }
    if not answer["ok"]:
        answer.update(error=data.get("error"), description=data.get("description"))
    return answer


def check_disk() -> dict[str, Any]:
    usage = shutil.disk_usage(settings.DATA_DIR)
    free_mb = usage.free / 1024 / 1024
    return {
        "ok": free_mb >= settings.READY_MIN_FREE_DISK_MB,
        "free_mb": round(free_mb),
        "free_ratio": round(usage.free / usage.total, 3) if usage.total else None,
    }


def readiness() -> Readiness:
    checks: dict[str, dict[str, Any]] = {"database": check_database()}
    needs_database = {
        "migrations": check_migrations,
        "worker": check_worker,
        "outbox": check_outbox,
        "mailbox": check_mailbox,
        "mail_oauth2": check_mail_oauth2,
    }
    for name, check in needs_database.items():
        if not checks["database"]["ok"]:
            checks[name] = {"ok": False, "error": "database unavailable"}
            continue
        try:
            checks[name] = check()
        except DatabaseError as error:
            connection.close()
            checks[name] = {"ok": False, "error": type(error).__name__}
    checks["disk"] = check_disk()
    return Readiness(ok=all(check["ok"] for check in checks.values()), checks=checks)
