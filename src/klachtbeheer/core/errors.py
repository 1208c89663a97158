"""One error vocabulary for the domain.

Services raise ProcedureError with a stable code and a message for people;
the HTML views show the message and the API (later) returns both as JSON.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ProcedureError(Exception):
    """A request that the procedure or the data does not allow."""

    status = 409

    def __init__(self, code: str, message: str | Promise, **params: object) -> None:
        self.code = code
        self.message = message
        self.params = params
        super().__init__(f"{code}: {message}")

    def __str__(self) -> str:
        return str(self.message) % self.params if self.params else str(self.message)


class NotFoundOrNoAccess(ProcedureError):
    """The object does not exist or the user may not see it (never says which)."""

    status = 404


class NotAllowed(ProcedureError):
    """The user may see the object but not take this step."""

    status = 403


class StorageUnavailable(ProcedureError):
    """Files cannot be written (a full disk, storage that is not writable): nothing was kept."""

    status = 503

    def __init__(self) -> None:
        super().__init__(
            "storage_unavailable",
            _(
                "Your files could not be stored just now, so nothing was saved. Please try "
                "again later; if it keeps happening, contact us by phone or post."
            ),
        )
