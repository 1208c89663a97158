"""The one table of the API: answers kept for an Idempotency-Key (see `idempotency`)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyRecord(models.Model):
    """The first answer to a request with an Idempotency-Key, kept 24 hours for retries.

    Written in the transaction that registered the complaint; one per client and
    key (the constraint makes two simultaneous retries end in one complaint).
    Only hashes of the key and the request are stored; the body is the answer
    as it went out.
    """

    client = models.CharField(_("client"), max_length=64)  # "<app.model>:<pk>" of request.auth
    key_hash = models.CharField(_("key (SHA-256)"), max_length=64)
    request_hash = models.CharField(_("request (SHA-256)"), max_length=64)
    status = models.PositiveSmallIntegerField(_("status"))
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        verbose_name = _("kept API answer")
        verbose_name_plural = _("kept API answers")
        constraints = [
            models.UniqueConstraint(
                fields=["client", "key_hash"], name="api_idempotency_one_answer_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.key_hash[:12]}"
