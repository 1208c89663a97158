"""Fixtures for the public intake: cheap proof of work, a form that passes every spam rule."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from klachtbeheer.intake import altcha, spam
from tests.test_access import case  # noqa: F401 - every role against every kind of complaint

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 64
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120
SVG_BYTES = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def docx_bytes(extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document>Brief</w:document>")
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def odt_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def zip_bomb_docx() -> bytes:
    """A DOCX whose one member unpacks from a few kB to 50 MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\x00" * (50 * 1024 * 1024))
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type)


@pytest.fixture(autouse=True)
def _cheap_proof_of_work(settings):
    """A proof of work a test (or headless Chromium) solves in milliseconds."""
    settings.ALTCHA_COST = 10
    settings.ALTCHA_KEY_PREFIX = "0"


@pytest.fixture(autouse=True)
def _dutch():
    with translation.override("nl"):
        yield


def started_long_ago(seconds: float = 120) -> str:
    return signing.dumps(time.time() - seconds, salt="klachtbeheer.intake.started")


def solved() -> str:
    return altcha.solve(altcha.new_challenge())


def form_data(**overrides) -> dict:
    """A POST of the public form that passes every spam rule."""
    data = {
        "complainant_type": "client",
        "name": "Anna de Vries",
        "email": "anna@example.nl",
        "phone": "",
        "street_address": "",
        "postcode": "3741 AB",
        "city": "",
        "substantiation": "Mijn coach kwam drie keer niet opdagen zonder iets te laten weten.",
        "desired_outcome": "Een nieuwe coach.",
        "draft": "d" * 32,
        spam.STARTED_FIELD: started_long_ago(),
        "altcha": solved(),
        "action": "submit",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, on the first free port of 8031-8039 (this app's range)."""
    from pytest_django.live_server_helper import LiveServer

    error: Exception | None = None
    for port in range(8031, 8040):
        try:
            server = LiveServer(f"localhost:{port}")
        except OSError as exc:
            error = exc
            continue
        yield server
        server.stop()
        return
    raise RuntimeError(f"no free port in 8031-8039: {error}")
