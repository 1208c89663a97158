"""A per-address rate limit that never stores an address.

Each address is hashed with a random salt that is replaced every 24 hours;
the salt and every bucket older than 24 hours are deleted by the intake clean-up
and on use (at most every five minutes per process), so no hash outlives a day
by more than minutes, and none can be traced back once its salt is gone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
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


# The salt as this process last read it: (salt, its creation, when read). Read again at
# least every SALT_READ_SECONDS, so that processes which each made a salt at the same
# rollover agree on the newest within a minute; never used past its 24 hours (issue 15:
# one statement less per intake).
SALT_READ_SECONDS = 60.0
_salt_read: list = [None]


def _current_salt(now: dt.datetime) -> str:
    read = _salt_read[0]
    moment = time.monotonic()
    if read is not None:
        salt, created_at, read_at = read
        if moment - read_at < SALT_READ_SECONDS and created_at > now - KEEP:
            return salt
    salt = RateLimitSalt.objects.filter(created_at__gt=now - KEEP).order_by("-created_at").first()
    if salt is None:
        salt = RateLimitSalt.objects.create(created_at=now, salt=secrets.token_hex(32))
        # Made in the caller's transaction, which may roll back: kept once it commits.
        _salt_read[0] = None
        made = (salt.salt, salt.created_at, moment)
        transaction.on_commit(lambda: _salt_read.__setitem__(0, made))
        return salt.salt
    _salt_read[0] = (salt.salt, salt.created_at, moment)
    return salt.salt


def forget_salt() -> None:
    """Read the salt again on next use (after a purge, and for tests that replace it)."""
    _salt_read[0] = None


# Old buckets and salts are purged by the intake's clean-up and, at most this often, on use.
PURGE_EVERY_SECONDS = 300.0
_last_purge = [-1e9]


def purge(now: dt.datetime | None = None) -> None:
    """Delete every salt and bucket older than 24 hours."""
    now = now or clock.now()
    RateBucket.objects.filter(window_start__lt=now - KEEP).delete()
    RateLimitSalt.objects.filter(created_at__lte=now - KEEP).delete()
    forget_salt()


def _purge_now_and_then(now: dt.datetime) -> None:
    moment = time.monotonic()
    if moment - _last_purge[0] >= PURGE_EVERY_SECONDS:
        _last_purge[0] = moment
        purge(now)


@dataclass
class Count:
    """The rate limits of one request, read; the hits are written by `record` (one statement).

    Read early, written last: a busy bucket (an API key's) is then locked only
    from the end of the request's transaction to its commit, so requests overlap
    (issue 15). Concurrent requests may pass a limit by a few; a limit against
    spam needs no more.
    """

    rows: list[tuple[str, str, dt.datetime]]
    over: list[bool]
    # For `count_at_the_end`: the limits the hits are checked against when written.
    limits: list[int] | None = None

    def record(self) -> None:
        if not self.rows:
            return
        counts = _upsert(self.rows)
        if self.limits is not None and any(
            counts[(scope, key_hash)] > limit
            for (scope, key_hash, _start), limit in zip(self.rows, self.limits, strict=True)
        ):
            raise OverLimit
        self.rows = []


class OverLimit(Exception):
    """A limit of `count_at_the_end` was passed: roll back and count before registering."""


def _upsert(rows: list[tuple[str, str, dt.datetime]]) -> dict[tuple[str, str], int]:
    """Add one hit to each bucket of `rows` in one statement; their counts after it."""
    table = connection.ops.quote_name(RateBucket._meta.db_table)
    values = ", ".join(["(%s, %s, %s, 1)"] * len(rows))
    params: list = []
    for scope, key_hash, start in rows:
        params += [scope, key_hash, connection.ops.adapt_datetimefield_value(start)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (scope, key_hash, window_start, count) "  # noqa: S608
            f"VALUES {values} ON CONFLICT (scope, key_hash, window_start) "
            f"DO UPDATE SET count = {table}.count + 1 RETURNING scope, key_hash, count",
            params,
        )
        return {(scope, key_hash): n for scope, key_hash, n in cursor.fetchall()}


def _rows(checks: list[tuple[str, str, int]], window: dt.timedelta):
    now = clock.now()
    _purge_now_and_then(now)
    window_seconds = int(window.total_seconds())
    start = dt.datetime.fromtimestamp(
        int(now.timestamp()) // window_seconds * window_seconds, tz=dt.UTC
    )
    salt = _current_salt(now)
    return [
        (scope, hashlib.sha256(f"{salt}|{scope}|{key}".encode()).hexdigest(), start)
        for scope, key, _limit in checks
    ]


def count_now(
    checks: list[tuple[str, str, int]], *, window: dt.timedelta = dt.timedelta(hours=1)
) -> Count:
    """Count the hits of `checks` at once, in one statement: for buckets of one visitor's
    address, which no other request waits on (the form). A bucket many requests share (an
    API key's) is read with `count` and written at the end instead."""
    rows = _rows(checks, window)
    counts = _upsert(rows)
    over = [
        counts[(scope, key_hash)] > limit
        for (scope, key_hash, _start), (_s, _k, limit) in zip(rows, checks, strict=True)
    ]
    return Count(rows=[], over=over)


def count_at_the_end(
    checks: list[tuple[str, str, int]], *, window: dt.timedelta = dt.timedelta(hours=1)
) -> Count:
    """Nothing read now: the hits are written and checked by `record()`, at the end of the
    request's transaction, which raises OverLimit when a limit is passed. For buckets many
    requests share (an API key's): they are locked only from there to the commit, and the
    normal case (under every limit) costs one statement, not a read and a write."""
    rows = _rows(checks, window)
    return Count(rows=rows, over=[False] * len(rows), limits=[limit for _s, _k, limit in checks])


def count(
    checks: list[tuple[str, str, int]], *, window: dt.timedelta = dt.timedelta(hours=1)
) -> Count:
    """Read the buckets of `checks` ((scope, key, limit) each): over which limit one more hit is.

    Call inside the request's transaction and call `record()` at its end.
    """
    rows = _rows(checks, window)
    if not rows:
        return Count(rows=[], over=[])
    start = rows[0][2]
    which = Q(pk__in=[])
    for scope, key_hash, _start in rows:
        which |= Q(scope=scope, key_hash=key_hash)
    counts = {
        (scope, key_hash): n
        for scope, key_hash, n in RateBucket.objects.filter(which, window_start=start).values_list(
            "scope", "key_hash", "count"
        )
    }
    over = [
        counts.get((scope, key_hash), 0) + 1 > limit
        for (scope, key_hash, _start), (_s, _k, limit) in zip(rows, checks, strict=True)
    ]
    return Count(rows=rows, over=over)


def hit(scope: str, key: str, *, limit: int, window: dt.timedelta = dt.timedelta(hours=1)) -> bool:
    """Count one use of `scope` by `key` (an address or an API key id); False when over `limit`."""
    with transaction.atomic():
        counted = count([(scope, key, limit)], window=window)
        counted.record()
    return not counted.over[0]
