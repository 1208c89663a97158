"""What a file really is, read from its content, never from its name.

Accepted: PDF, JPEG, PNG, DOCX and ODT, at most 10 MB each. DOCX and ODT are
ZIP archives; they are opened with limits (number of members, total unpacked
size, packing ratio) and read in chunks, so a zip bomb is refused without
being unpacked. SVG (it can carry scripts) and programs are refused by name.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO

from django.utils.translation import gettext_lazy as _

from klachtbeheer.core.errors import ProcedureError
from klachtbeheer.core.text import clean_filename

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
# Limits for the ZIP containers of DOCX and ODT.
MAX_ZIP_MEMBERS = 1000
MAX_ZIP_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ZIP_RATIO = 100

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


@dataclass(frozen=True)
class FileKind:
    label: str
    content_type: str
    extension: str


PDF = FileKind("PDF", "application/pdf", ".pdf")
JPEG = FileKind("JPEG", "image/jpeg", ".jpg")
PNG = FileKind("PNG", "image/png", ".png")
DOCX = FileKind(
    "DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"
)
ODT = FileKind("ODT", "application/vnd.oasis.opendocument.text", ".odt")
EXTENSIONS = {
    PDF: {".pdf"},
    JPEG: {".jpg", ".jpeg"},
    PNG: {".png"},
    DOCX: {".docx"},
    ODT: {".odt"},
}

_EXECUTABLE_MAGIC = (
    b"MZ",  # Windows programs and libraries
    b"\x7fELF",  # Linux
    b"\xfe\xed\xfa\xce",  # macOS (Mach-O)
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",  # scripts
)


class FileRefused(ProcedureError):
    status = 400


def _refuse(code: str, message, name: str, **params) -> FileRefused:
    return FileRefused(code, message, name=name, **params)


def _looks_like_svg(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<svg"):
        return True
    return (text.startswith(b"<?xml") or text.startswith(b"<!doctype")) and b"<svg" in text


def _check_zip(stream: IO[bytes], name: str) -> FileKind:
    """DOCX or ODT, after checking the archive cannot blow up when unpacked."""
    not_a_document = _refuse(
        "file_type",
        _("“%(name)s” is not a PDF, JPEG, PNG, DOCX or ODT file."),
        name,
    )
    bomb = _refuse(
        "file_archive_too_large",
        _("“%(name)s” unpacks to far more than its size; we cannot accept it."),
        name,
    )
    try:
        archive = zipfile.ZipFile(stream)
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise not_a_document from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise bomb
    # The sizes in the directory can lie; they are checked, then the real bytes are counted.
    if sum(m.file_size for m in members) > MAX_ZIP_UNPACKED_BYTES:
        raise bomb
    unpacked_total = 0
    try:
        for member in members:
            unpacked = 0
            with archive.open(member) as handle:
                while chunk := handle.read(64 * 1024):
                    unpacked += len(chunk)
                    unpacked_total += len(chunk)
                    if (
                        unpacked_total > MAX_ZIP_UNPACKED_BYTES
                        or unpacked > max(member.compress_size, 1024) * MAX_ZIP_RATIO
                    ):
                        raise bomb
        names = {m.filename for m in members}
        if (
            members
            and members[0].filename == "mimetype"
            and archive.read("mimetype").strip() == ODT_MIMETYPE
        ):
            return ODT
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise _refuse(
                    "file_macros",
                    _("“%(name)s” contains macros; save it as a plain document or a PDF."),
                    name,
                )
            return DOCX
    except FileRefused:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, KeyError):
        raise not_a_document from None
    raise not_a_document


def identify(stream: IO[bytes], *, name: str, size: int) -> FileKind:
    """The kind of file in `stream`, or FileRefused with a message for the complainant."""
    if size == 0:
        raise _refuse("file_empty", _("“%(name)s” is empty."), name)
    if size > MAX_FILE_BYTES:
        raise _refuse("file_too_large", _("“%(name)s” is larger than 10 MB."), name)
    stream.seek(0)
    head = stream.read(2048)
    stream.seek(0)
    if head.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"PK\x03\x04"):
        try:
            return _check_zip(stream, name)
        finally:
            stream.seek(0)
    if _looks_like_svg(head):
        raise _refuse(
            "file_svg",
            _("“%(name)s” is an SVG image; we do not accept those. Send it as a PDF, JPEG or PNG."),
            name,
        )
    if head.startswith(_EXECUTABLE_MAGIC):
        raise _refuse(
            "file_program",
            _(
                "“%(name)s” is a program; we do not accept programs. Send a PDF, JPEG, PNG, "
                "DOCX or ODT file."
            ),
            name,
        )
    raise _refuse("file_type", _("“%(name)s” is not a PDF, JPEG, PNG, DOCX or ODT file."), name)


def safe_filename(name: str, kind: FileKind) -> str:
    """The name without any path, ending in the extension of what the file really is."""
    base = clean_filename(name or "", limit=150)
    # Not printable (a zero-width space, say) goes too, and then no dot may lead (found by
    # make fuzz: "\u200b.0" became the hidden ".0.pdf").
    base = "".join(ch for ch in base if ch.isprintable()).strip().lstrip(".").strip() or "bijlage"
    if PurePath(base).suffix.lower() not in EXTENSIONS[kind]:
        base = f"{base}{kind.extension}"
    return base
