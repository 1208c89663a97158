"""Files written safely (issue 12, core/storage.py): a temporary name until the commit, gone
after a rollback, and a sweep for what a killed process left behind."""

from __future__ import annotations

import os
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction

from klachtbeheer.complaints import services as complaint_services
from klachtbeheer.complaints.models import Channel, Complaint
from klachtbeheer.core import clock
from klachtbeheer.core.errors import ProcedureError
from klachtbeheer.core.storage import discard_uncommitted, sweep_orphans, sweep_orphans_daily
from klachtbeheer.reminders.services import tick_run
from tests.factories import ComplainantDataFactory


def files(root) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


@pytest.mark.django_db(transaction=True)
def test_a_file_is_in_place_only_after_the_commit(settings):
    root = settings.MEDIA_ROOT
    with transaction.atomic():
        name = default_storage.save("a/b/brief.pdf", ContentFile(b"%PDF-1 whole"))
        assert name == "a/b/brief.pdf"
        assert not (root / name).exists()  # not under its name before the commit
        with default_storage.open(name) as handle:  # but this transaction sees it
            assert handle.read() == b"%PDF-1 whole"
        assert default_storage.exists(name)
        second = default_storage.save("a/b/brief.pdf", ContentFile(b"other"))
        assert second != name  # the name is taken while it waits
    assert (root / name).read_bytes() == b"%PDF-1 whole"
    assert files(root) == sorted([name, second])


@pytest.mark.django_db(transaction=True)
def test_a_rollback_leaves_no_file(settings):
    root = settings.MEDIA_ROOT
    with pytest.raises(RuntimeError), transaction.atomic():
        default_storage.save("x/brief.pdf", ContentFile(b"data"))
        assert len(files(root)) == 1  # the temporary file
        raise RuntimeError("the step failed")
    assert discard_uncommitted() == 1
    assert files(root) == []


@pytest.mark.django_db(transaction=True)
def test_a_savepoint_rolled_back_takes_its_file_along(settings):
    root = settings.MEDIA_ROOT
    with transaction.atomic():
        default_storage.save("kept.pdf", ContentFile(b"kept"))
        with pytest.raises(RuntimeError), transaction.atomic():
            default_storage.save("lost.pdf", ContentFile(b"lost"))
            raise RuntimeError
        discard_uncommitted()
    assert files(root) == ["kept.pdf"]


@pytest.mark.django_db(transaction=True)
def test_a_registration_that_fails_after_its_first_file_leaves_no_file(world, settings):
    root = settings.MEDIA_ROOT
    good = SimpleUploadedFile("a.pdf", b"%PDF-1.4 a", content_type="application/pdf")
    huge = SimpleUploadedFile("b.pdf", b"0" * (10 * 1024 * 1024 + 1))
    with pytest.raises(ProcedureError):
        complaint_services.complaint_register(
            actor=None,
            channel=Channel.EMAIL,
            received_on=clock.today(),
            complainant=ComplainantDataFactory(),
            substantiation="Twee bijlagen.",
            attachments=[good, huge],
        )
    assert Complaint.objects.count() == 0
    discard_uncommitted()
    assert files(root) == []


@pytest.mark.django_db(transaction=True)
def test_the_sweep_removes_orphans_and_old_temporary_files_only(world, settings):
    root = settings.MEDIA_ROOT
    complaint = complaint_services.complaint_register(
        actor=None,
        channel=Channel.EMAIL,
        received_on=clock.today(),
        complainant=ComplainantDataFactory(),
        substantiation="Met bijlage.",
        attachments=[SimpleUploadedFile("a.pdf", b"%PDF-1.4 a")],
    )
    referenced = [a.file.name for a in complaint.attachments.all()]
    assert referenced
    root.mkdir(parents=True, exist_ok=True)
    old = time.time() - 2 * 86400
    for name, age in (
        ("complaints/9/ab/orphan", old),
        ("complaints/9/ab/young-orphan", time.time()),
        ("complaints/9/ab/.x.0123.part", old),
        ("complaints/9/ab/.y.0123.part", time.time()),
        ("kept-uploads/0a1b", old),
    ):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        os.utime(path, (age, age))
    for name in referenced:
        os.utime(root / name, (old, old))
    report = sweep_orphans(dry_run=True)
    assert (report.temporary, report.orphans) == (1, 1)
    call_command("sweep-files")
    left = files(root)
    assert "complaints/9/ab/orphan" not in left and "complaints/9/ab/.x.0123.part" not in left
    for name in (
        "complaints/9/ab/young-orphan",
        "complaints/9/ab/.y.0123.part",
        "kept-uploads/0a1b",
    ):
        assert name in left
    for name in referenced:
        assert name in left


@pytest.mark.django_db
def test_the_tick_sweeps_once_a_day(world, settings, clock):
    root = settings.MEDIA_ROOT
    orphan = root / "complaints" / "7" / "orphan"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"x")
    old = time.time() - 2 * 86400
    os.utime(orphan, (old, old))
    tick_run()
    assert not orphan.exists()
    assert sweep_orphans_daily() is None  # not again the same day
