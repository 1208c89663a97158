"""ALTCHA proof of work, served and checked by this site alone (P2.2).

The widget (vendored under static/intake/altcha, MIT) fetches a challenge from
us, makes the browser find a counter whose PBKDF2 key starts with a given
prefix, and posts the solution with the form. We check the signature, the
expiry and the solution, and accept each challenge only once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time

import altcha
from django.conf import settings
from django.db import connection
from django.utils.crypto import salted_hmac

from klachtbeheer.core import clock
from klachtbeheer.intake.models import SpentChallenge

ALGORITHM = "PBKDF2/SHA-256"


def _hmac_key() -> str:
    return (
        settings.ALTCHA_HMAC_KEY
        or salted_hmac("klachtbeheer.intake.altcha", "v1", algorithm="sha256").hexdigest()
    )


def new_challenge() -> dict:
    """A signed challenge for the widget, as JSON-ready data."""
    expires = clock.now() + dt.timedelta(minutes=settings.ALTCHA_EXPIRY_MINUTES)
    challenge = altcha.create_challenge(
        ALGORITHM,
        settings.ALTCHA_COST,
        key_prefix=settings.ALTCHA_KEY_PREFIX,
        expires_at=expires,
        hmac_secret=_hmac_key(),
    )
    return challenge.to_dict()


def check(payload: str) -> str | None:
    """None when `payload` solves a challenge of ours for the first time, else a spam reason."""
    if not payload:
        return "pow_missing"
    try:
        result = altcha.verify_solution(payload, _hmac_key())
        parsed = altcha.Payload.from_base64(payload) if result.verified else None
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError):
        return "pow_invalid"
    if not result.verified or parsed is None:
        return "pow_invalid"
    params = parsed.challenge.parameters
    expires = params.expires_at or 0
    nonce = hashlib.sha256(f"{params.nonce}|{params.salt}".encode()).hexdigest()
    now = clock.now()
    _forget_expired(now)
    table = connection.ops.quote_name(SpentChallenge._meta.db_table)
    with connection.cursor() as cursor:
        # One statement, no savepoint: inside the registration's transaction (issue 15).
        cursor.execute(
            f"INSERT INTO {table} (nonce, expires_at) VALUES (%s, %s) "  # noqa: S608
            "ON CONFLICT (nonce) DO NOTHING RETURNING 1",
            [
                nonce,
                connection.ops.adapt_datetimefield_value(
                    dt.datetime.fromtimestamp(expires, tz=dt.UTC)
                ),
            ],
        )
        if cursor.fetchone() is None:
            return "pow_reused"
    return None


# Spent challenges past their expiry are deleted by the intake clean-up and, at most
# this often per process, on use.
FORGET_EVERY_SECONDS = 300.0
_last_forget = [-1e9]


def _forget_expired(now: dt.datetime) -> None:
    moment = time.monotonic()
    if moment - _last_forget[0] >= FORGET_EVERY_SECONDS:
        _last_forget[0] = moment
        SpentChallenge.objects.filter(expires_at__lt=now).delete()


def solve(challenge: dict) -> str:
    """The payload a browser would send for `challenge` (for tests and the API's own checks)."""
    parsed = altcha.Challenge.from_dict(challenge)
    solution = altcha.solve_challenge(parsed)
    if solution is None:  # pragma: no cover - only with an absurd cost
        raise RuntimeError("no solution found")
    return altcha.Payload(parsed, solution).to_base64()
