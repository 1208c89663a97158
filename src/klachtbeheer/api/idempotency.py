"""Idempotency-Key: a retried registration gets the first answer, not a second complaint.

An operation takes part by declaring the header (`core.api.IdempotencyKey`, so
it is in the OpenAPI document) and by making its answer with `core.api.answer`
inside the transaction that registers the complaint.
`replay`, a decorator the project API puts on every operation, does the rest:

- a known key from the same client with the same body: the kept answer again,
  with `Idempotent-Replayed: true`, and nothing runs;
- a known key with another body: 422 `idempotency_key_reused`;
- a new key: the operation runs, and its answer is kept in its transaction, so
  a crash leaves both the complaint and its record, or neither;
- two requests with one new key at once: the unique constraint lets one
  commit; the other rolls back (no second complaint) and replays the first.

Keys are per client (site key or token owner), stored hashed, and kept for
24 hours: each new answer kept removes the client's answers older than that,
and the worker's tick removes everyone's (`purge`, registered with
`reminders.housekeeping`), so a client that stops sending keys leaves no
complaint details behind.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel

from klachtbeheer.api.models import IdempotencyRecord
from klachtbeheer.core import clock
from klachtbeheer.core.api import JSON
from klachtbeheer.core.errors import ProcedureError

KEY_PARAMETER = "idempotency_key"  # the view's argument for the Idempotency-Key header
REPLAYED_HEADER = "Idempotent-Replayed"
KEEP_FOR = dt.timedelta(hours=24)


class IdempotencyKeyReused(ProcedureError):
    status = 422


class _KeyTaken(Exception):
    """A request with the same key committed first."""


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _client(auth) -> str:
    return f"{auth._meta.label_lower}:{auth.pk}"


def _fingerprint(arguments: dict[str, Any]) -> str:
    values = {
        name: value.model_dump(mode="json") if isinstance(value, BaseModel) else value
        for name, value in arguments.items()
        if name != KEY_PARAMETER
    }
    return _sha256(json.dumps(values, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder))


def _kept(client: str, key_hash: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(
        client=client, key_hash=key_hash, created_at__gte=clock.now() - KEEP_FOR
    ).first()


def _answer(kept: IdempotencyRecord | None, fingerprint: str) -> HttpResponse:
    if kept is None:  # the winner's record vanished: it cannot have been committed
        raise ProcedureError(
            "idempotency_conflict", _("A request with this Idempotency-Key is still running.")
        )
    if kept.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            "idempotency_key_reused",
            _("This Idempotency-Key was used for another request; send a new key with it."),
        )
    response = HttpResponse(kept.body, status=kept.status, content_type=JSON)
    response[REPLAYED_HEADER] = "true"
    return response


class _Keeper:
    """`request.idempotency`: keeps the answer, inside the operation's transaction."""

    def __init__(self, client: str, key_hash: str, fingerprint: str) -> None:
        self.client, self.key_hash, self.fingerprint = client, key_hash, fingerprint

    def __call__(self, status: int, content: str) -> None:
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("keep the answer inside the transaction that made it")
        now = clock.now()
        # Older answers of this client go (their keys may then be used afresh).
        IdempotencyRecord.objects.filter(client=self.client, created_at__lt=now - KEEP_FOR).delete()
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(
                    client=self.client,
                    key_hash=self.key_hash,
                    request_hash=self.fingerprint,
                    status=status,
                    body=content,
                    created_at=now,
                )
        except IntegrityError:
            raise _KeyTaken from None


def replay(view):
    """Operation decorator: kept answers for operations that take an Idempotency-Key."""

    @functools.wraps(view)
    def operation(request, *args, **kwargs):
        key = kwargs.get(KEY_PARAMETER)
        if key is None or not getattr(request, "auth", None):
            return view(request, *args, **kwargs)
        client, key_hash = _client(request.auth), _sha256(key)
        fingerprint = _fingerprint(kwargs)
        kept = _kept(client, key_hash)
        if kept is not None:
            return _answer(kept, fingerprint)
        request.idempotency = _Keeper(client, key_hash, fingerprint)
        try:
            return view(request, *args, **kwargs)
        except _KeyTaken:
            return _answer(_kept(client, key_hash), fingerprint)
        finally:
            del request.idempotency

    return operation


def purge(now: dt.datetime | None = None) -> int:
    """Remove answers older than 24 hours; how many."""
    cutoff = (now or clock.now()) - KEEP_FOR
    removed, _details = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return removed
