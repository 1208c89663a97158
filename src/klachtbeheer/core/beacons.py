"""Record and read when something last happened (`core.models.Beacon`)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import DatabaseError

from klachtbeheer.core import clock
from klachtbeheer.core.models import Beacon

logger = logging.getLogger(__name__)

WORKER_PREFIX = "worker:"
MAILBOX_POLL = "mailintake.poll"
TICK = "tick"
MAIL_OAUTH2 = "mail.oauth2"  # the last OAuth2 token request for the mailboxes


def beacon_set(key: str, **data) -> None:
    """Record that `key` happened now; a failure (database down) is logged, never raised."""
    try:
        Beacon.objects.update_or_create(key=key, defaults={"at": clock.now(), "data": data})
    except DatabaseError:
        logger.warning("Could not record %s (database unavailable)", key)


def beacon_at(key: str) -> dt.datetime | None:
    return Beacon.objects.filter(key=key).values_list("at", flat=True).first()


def beacon_get(key: str) -> Beacon | None:
    return Beacon.objects.filter(key=key).first()


def latest_worker_beat() -> dt.datetime | None:
    return (
        Beacon.objects.filter(key__startswith=WORKER_PREFIX)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )


def workers_seen_since(moment: dt.datetime) -> int:
    return Beacon.objects.filter(key__startswith=WORKER_PREFIX, at__gte=moment).count()


def worker_beacons_prune(*, older_than: dt.timedelta) -> int:
    """Heartbeats of workers gone for long (each start has its own key)."""
    deleted, _ = Beacon.objects.filter(
        key__startswith=WORKER_PREFIX, at__lt=clock.now() - older_than
    ).delete()
    return deleted
