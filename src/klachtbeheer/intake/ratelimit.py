"""A per-address rate limit that never stores an address.

Each address is hashed with a random salt that is replaced every 24 hours;
the salt and every bucket older than 24 hours are deleted on the next use, so
no hash outlives a day and none can be traced back once its salt is gone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest

from klachtbeheer.core import clock
from klachtbeheer.intake.models import RateBucket, RateLimitSalt

KEEP = dt.timedelta(hours=24)


def client_address(request: HttpRequest) -> str:
    """The client's address; with PROXY_COUNT proxies in front, from X-Forwarded-For."""
    proxies = int(getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _current_salt(now: dt.datetime) -> str:
    salt = RateLimitSalt.objects.filter(created_at__gt=now - KEEP).order_by("-created_at").first()
    if salt is None:
        salt = RateLimitSalt.objects.create(created_at=now, salt=secrets.token_hex(32))
    return salt.salt


def purge(now: dt.datetime | None = None) -> None:
    """Delete every salt and bucket older than 24 hours."""
    now = now or clock.now()
    RateBucket.objects.filter(window_start__lt=now - KEEP).delete()
    RateLimitSalt.objects.filter(created_at__lte=now - KEEP).delete()


def hit(scope: str, key: str, *, limit: int, window: dt.timedelta = dt.timedelta(hours=1)) -> bool:
    """Count one use of `scope` by `key` (an address or an API key id); False when over `limit`."""
    now = clock.now()
    window_seconds = int(window.total_seconds())
    start = dt.datetime.fromtimestamp(
        int(now.timestamp()) // window_seconds * window_seconds, tz=dt.UTC
    )
    with transaction.atomic():
        purge(now)
        key_hash = hashlib.sha256(f"{_current_salt(now)}|{scope}|{key}".encode()).hexdigest()
        try:
            with transaction.atomic():
                bucket, _created = RateBucket.objects.get_or_create(
                    scope=scope, key_hash=key_hash, window_start=start
                )
        except IntegrityError:  # created by a concurrent request just now
            bucket = RateBucket.objects.get(scope=scope, key_hash=key_hash, window_start=start)
        RateBucket.objects.filter(pk=bucket.pk).update(count=F("count") + 1)
        count = RateBucket.objects.values_list("count", flat=True).get(pk=bucket.pk)
    return count <= limit
