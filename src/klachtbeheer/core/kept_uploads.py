"""Postal intake (P2.1, issue point 4): the scan of a letter, and keeping it across form errors.

A browser never refills a file input. When the register form comes back with
an error (a postcode typo), the scan that was chosen is kept in storage under
a random name and the form carries a signed token for it, bound to the user
and valid for a day, so the quality manager does not have to find the file
again. Kept files that were never used are removed after a day.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile

from klachtbeheer.core import clock

KEPT_DIR = "kept-uploads"
SALT = "klachtbeheer.mailintake.kept-upload"
MAX_AGE = dt.timedelta(days=1)
PDF_MAGIC = b"%PDF-"


def is_pdf(upload: UploadedFile) -> bool:
    """By content, not by name or browser-given type: a PDF starts with %PDF-."""
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    return PDF_MAGIC in head  # the header may follow a few bytes of junk (ISO 32000-1, 7.5.2)


@dataclass(frozen=True)
class KeptUpload:
    token: str
    name: str
    size: int


def _remove_stale() -> None:
    try:
        _dirs, files = default_storage.listdir(KEPT_DIR)
    except (FileNotFoundError, NotImplementedError):
        return
    cutoff = clock.now() - MAX_AGE
    for name in files:
        path = f"{KEPT_DIR}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
        except (FileNotFoundError, NotImplementedError):
            continue


def keep_upload(upload: UploadedFile, *, user) -> KeptUpload:
    _remove_stale()
    upload.seek(0)
    path = default_storage.save(f"{KEPT_DIR}/{secrets.token_hex(16)}", ContentFile(upload.read()))
    upload.seek(0)
    token = signing.dumps(
        {
            "path": path,
            "name": upload.name,
            "type": upload.content_type or "application/octet-stream",
            "user": user.pk,
        },
        salt=SALT,
    )
    return KeptUpload(token=token, name=upload.name or "", size=upload.size or 0)


def _payload(token: str, *, user) -> dict | None:
    try:
        payload = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    path = str(payload.get("path", ""))
    if payload.get("user") != user.pk or not path.startswith(f"{KEPT_DIR}/") or ".." in path:
        return None
    if not default_storage.exists(path):
        return None
    return payload


def kept_upload(token: str, *, user) -> UploadedFile | None:
    """The kept file as an upload again, or None when the token is bad, foreign or expired."""
    payload = _payload(token, user=user)
    if payload is None:
        return None
    with default_storage.open(payload["path"], "rb") as handle:
        content = handle.read()
    return SimpleUploadedFile(payload["name"], content, content_type=payload["type"])


def discard_kept(token: str, *, user) -> None:
    payload = _payload(token, user=user)
    if payload is not None:
        default_storage.delete(payload["path"])
