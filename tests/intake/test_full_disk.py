"""A full disk while a complaint with files comes in (issue 12), on a real small tmpfs.

On main the form answered HTML 500 and left partial files with no row pointing to them.
Now: a clear Dutch and English page (503), JSON 503 from the API, nothing half-stored:
no row, no file, no temporary file. The disk is really full (ENOSPC from the kernel):
a 256 KB tmpfs is mounted for each test (root only; skipped otherwise, failing in CI).
"""

from __future__ import annotations

import base64
import os
import subprocess

import pytest
from django.urls import reverse

from klachtbeheer.complaints.models import Attachment, Complaint
from klachtbeheer.intake import services
from klachtbeheer.intake.models import Submission, Upload
from tests.intake.conftest import PDF_BYTES, form_data, upload

pytestmark = pytest.mark.django_db

BIG_PDF = PDF_BYTES + b"%" + b"0" * (200 * 1024)


@pytest.fixture
def full_disk(tmp_path, settings):
    """Storage on a 256 KB tmpfs with about 64 KB left."""
    mount = tmp_path / "small"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"cannot mount a tmpfs: {result.stderr.strip()}")
        pytest.skip(f"cannot mount a tmpfs (needs root): {result.stderr.strip()}")
    try:
        (mount / "filler").write_bytes(b"\0" * (192 * 1024))
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "klachtbeheer.core.storage.SafeFileSystemStorage",
                "OPTIONS": {"location": mount / "files", "base_url": None},
            },
        }
        (mount / "files").mkdir()
        yield mount / "files"
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def stored_files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_the_disk_is_really_full(full_disk):
    with pytest.raises(OSError) as error:
        (full_disk / "probe").write_bytes(BIG_PDF)
    assert error.value.errno == 28  # ENOSPC
    (full_disk / "probe").unlink()


def test_the_form_says_nothing_was_saved_and_nothing_is_half_stored(client, world, full_disk):
    data = form_data(attachments=upload("brief.pdf", BIG_PDF, "application/pdf"))
    response = client.post(reverse("intake:form"), data)
    assert response.status_code == 503
    page = response.content.decode()
    assert "Niet opgeslagen" in page and "Not saved" in page
    assert response["Retry-After"]
    assert Upload.objects.count() == 0 and Submission.objects.count() == 0
    assert Complaint.objects.count() == 0
    assert stored_files(full_disk) == []


def test_the_api_answers_json_503_and_nothing_is_half_stored(client, world, full_disk):
    _key, secret = services.api_key_create(actor=world.qm, name="gemeente-site")
    payload = {
        "complainant_type": "client",
        "name": "Anna de Vries",
        "email": "anna@example.nl",
        "postcode": "3741 AB",
        "substantiation": "Mijn coach kwam niet opdagen.",
        "attachments": [
            {"filename": "brief.pdf", "content_base64": base64.b64encode(BIG_PDF).decode()}
        ],
    }
    response = client.post("/api/v1/complaints", payload, "application/json", HTTP_X_API_KEY=secret)
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "storage_unavailable"
    assert Complaint.objects.count() == 0 and Attachment.objects.count() == 0
    assert Upload.objects.count() == 0 and Submission.objects.count() == 0
    assert stored_files(full_disk) == []


def test_a_small_file_still_fits_and_is_stored_whole(client, world, full_disk):
    data = form_data(attachments=upload("brief.pdf", PDF_BYTES, "application/pdf"))
    response = client.post(reverse("intake:form"), data)
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    with attachment.file.open("rb") as handle:
        assert handle.read() == PDF_BYTES
