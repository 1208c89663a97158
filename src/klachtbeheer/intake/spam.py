"""Does a submission look like spam? Four checks, none of which asks a third party (P2.2).

1. Proof of work (ALTCHA), solved by the browser; the API has per-site keys instead.
2. A honeypot field that people never see and robots fill in.
3. A minimum fill-in time, from a signed timestamp placed in the form.
4. A per-address rate limit (ratelimit.py; only a salted hash, kept at most 24 hours).

A submission that fails any of them is held for the quality manager's review,
never dropped: `reasons` are stored with it and shown on the review page.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _

from klachtbeheer.intake import altcha, ratelimit

HONEYPOT_FIELD = "website"
STARTED_FIELD = "started"
_SIGNER_SALT = "klachtbeheer.intake.started"

REASONS = {
    "honeypot": _("The hidden field that only robots fill in was filled in."),
    "too_fast": _("Sent sooner after opening the form than a person can type."),
    "no_start": _("The form’s start time was missing or altered."),
    "pow_missing": _(
        "No proof of work: the browser did not run the check (for example without JavaScript)."
    ),
    "pow_invalid": _("The proof of work was wrong or expired."),
    "pow_reused": _("The proof of work had been used before."),
    "rate_limited": _("Too many submissions from the same address within an hour."),
}


def started_token() -> str:
    """The signed moment the form was shown."""
    return signing.dumps(time.time(), salt=_SIGNER_SALT)


def seconds_since_start(token: str) -> float | None:
    try:
        started = signing.loads(token or "", salt=_SIGNER_SALT, max_age=7 * 24 * 3600)
    except signing.BadSignature:
        return None
    if not isinstance(started, int | float):
        return None
    return time.time() - float(started)


def check_honeypot(value: str) -> str | None:
    return "honeypot" if (value or "").strip() else None


def check_fill_time(token: str) -> str | None:
    elapsed = seconds_since_start(token)
    if elapsed is None:
        return "no_start"
    if elapsed < settings.INTAKE_MIN_FILL_SECONDS:
        return "too_fast"
    return None


def check_rate(scope: str, key: str, limit: int) -> str | None:
    return None if ratelimit.hit(scope, key, limit=limit) else "rate_limited"


@dataclass
class SpamCheck:
    """The reasons a submission looks like spam, and its rate-limit hits still to write.

    Made inside the registration's transaction; `record()` writes the hits as its
    last statement but the reference and the audit rows (`services.submission_receive`).
    """

    reasons: list[str]
    counted: ratelimit.Count

    def record(self) -> None:
        self.counted.record()


def form_check(*, honeypot: str, started: str, pow_payload: str, address: str) -> SpamCheck:
    """Every reason the web form's submission looks like spam (empty: it does not)."""
    # One visitor's own bucket: counted at once, in one statement (no shared row held).
    counted = ratelimit.count_now([("form", address, settings.INTAKE_SUBMISSIONS_PER_HOUR)])
    reasons = [
        check_honeypot(honeypot),
        check_fill_time(started),
        altcha.check(pow_payload),
        "rate_limited" if counted.over[0] else None,
    ]
    return SpamCheck([r for r in reasons if r], counted)


def api_check(
    *, honeypot: str, api_key_id: int, address: str, limits_at_the_end: bool = False
) -> SpamCheck:
    """The same rules for the intake API, with the site's key instead of the widget.

    `limits_at_the_end`: the rate limits are checked when the hits are written, at the
    end of the registration (`record()` raises ratelimit.OverLimit); the caller then
    rolls back and checks again without it, and the submission is held (issue 15).
    """
    limit = settings.INTAKE_API_SUBMISSIONS_PER_HOUR
    checks = [("api", f"key:{api_key_id}", limit), ("api-address", address, limit)]
    counted = (ratelimit.count_at_the_end if limits_at_the_end else ratelimit.count)(checks)
    reasons = [check_honeypot(honeypot), "rate_limited" if any(counted.over) else None]
    return SpamCheck([r for r in reasons if r], counted)


def form_reasons(**kwargs) -> list[str]:
    """`form_check` with its hits written at once (for a caller outside a registration)."""
    check = form_check(**kwargs)
    check.record()
    return check.reasons


def api_reasons(**kwargs) -> list[str]:
    check = api_check(**kwargs)
    check.record()
    return check.reasons


def reason_labels(codes: list[str]) -> list[str]:
    return [str(REASONS.get(code, code)) for code in codes]
