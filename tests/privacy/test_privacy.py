"""Personal data (issue 10): legal hold, erasure, rectification, subject access, the
retention job in the tick, the pages, and the access log of lists."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from klachtbeheer.complaints import services as complaint_services
from klachtbeheer.complaints.models import AccessLog, Complaint, Event, EventKind
from klachtbeheer.complaints.services import ComplainantData
from klachtbeheer.core.errors import ProcedureError
from klachtbeheer.core.models import AuditAction, AuditEntry, Beacon
from klachtbeheer.intake.models import Submission, SubmissionState, Upload
from klachtbeheer.organisation.models import Organisation
from klachtbeheer.privacy import services, subject
from klachtbeheer.reminders import services as reminders
from klachtbeheer.reminders.services import tick_run
from tests.conftest import PC_NORTH, PC_SOUTH
from tests.factories import ComplaintFactory, StaffFactory

pytestmark = [pytest.mark.django_db]
ROOT = Path(__file__).resolve().parents[2]


def _closed(**kwargs) -> Complaint:
    return ComplaintFactory(closed=True, **kwargs)


def test_legal_hold_needs_a_reason_keeps_the_complaint_and_can_be_released(
    world, clock, django_capture_on_commit_callbacks
):
    complaint = _closed()
    with pytest.raises(ProcedureError):
        services.complaint_set_legal_hold(actor=world.qm, reference=complaint.reference, reason=" ")
    services.complaint_set_legal_hold(
        actor=world.qm, reference=complaint.reference, reason="Bezwaarprocedure loopt"
    )
    later = timezone.localdate() + dt.timedelta(days=800)
    assert services.retention_run(as_of=later, dry_run=True).actions == []
    services.complaint_release_legal_hold(
        actor=world.qm, reference=complaint.reference, reason="Procedure afgerond"
    )
    report = services.retention_run(as_of=later, dry_run=True)
    assert [a.target for a in report.actions if a.kind == "complaint"] == [complaint.reference]
    kinds = list(
        complaint.events.filter(kind=EventKind.LEGAL_HOLD)
        .order_by("id")
        .values_list("data", flat=True)
    )
    assert kinds == [{"hold": True}, {"hold": False}]
    assert AuditEntry.objects.filter(action=AuditAction.PRIVACY_LEGAL_HOLD).count() == 1


def test_an_erasure_request_is_refused_with_the_ground_or_anonymises_at_once(
    world, django_capture_on_commit_callbacks
):
    open_one = ComplaintFactory(contacted=True)
    done, ground = services.complaint_erasure_request(actor=world.qm, reference=open_one.reference)
    assert not done and "art. 17(3)" in ground
    refused = AuditEntry.objects.get(action=AuditAction.PRIVACY_ERASURE_REFUSED)
    assert refused.data["ground"] == ground
    held = _closed()
    services.complaint_set_legal_hold(actor=world.qm, reference=held.reference, reason="Rechtszaak")
    done, ground = services.complaint_erasure_request(actor=world.qm, reference=held.reference)
    assert not done and "Rechtszaak" in ground
    settled = _closed(name="Erik Wissen")
    with django_capture_on_commit_callbacks(execute=True):
        done, _words = services.complaint_erasure_request(
            actor=world.qm, reference=settled.reference
        )
    settled.refresh_from_db()
    assert done and settled.anonymised_at and settled.anonymised_because == "erasure_request"
    assert settled.complainant_name == "" and settled.substantiation == ""
    assert not Event.objects.filter(complaint=settled, text__icontains="Wissen").exists()
    last = Event.objects.filter(complaint=settled).order_by("-id").first()
    assert last.kind == EventKind.ANONYMISED


def test_the_privacy_page_of_a_complaint_refuses_and_erases(client, world):
    complaint = ComplaintFactory(contacted=True)
    client.force_login(world.qm)
    url = reverse("privacy:complaint", kwargs={"reference": complaint.reference})
    assert client.get(url).status_code == 200
    response = client.post(url, {"action": "erase"}, follow=True)
    assert response.status_code == 200
    assert Complaint.objects.get(pk=complaint.pk).anonymised_at is None
    client.force_login(world.dm_north)
    assert client.get(url).status_code == 403


def test_rectification_asks_the_rerouting_question_and_records_no_old_values(world):
    complaint = ComplaintFactory(contacted=True, postcode=PC_NORTH, name="Jan Verkeerd")
    assert complaint.handler == world.dm_north
    new = ComplainantData(
        complainant_type="client", name="Jan Goed", email="jan@example.nl", postcode=PC_SOUTH
    )
    with pytest.raises(ProcedureError) as raised:
        complaint_services.complaint_rectify(
            actor=world.qm, reference=complaint.reference, complainant=new, reason="Verhuisd"
        )
    assert raised.value.code == "reroute_question"
    complaint_services.complaint_rectify(
        actor=world.qm,
        reference=complaint.reference,
        complainant=new,
        reason="Verhuisd",
        reroute=True,
    )
    complaint.refresh_from_db()
    assert (complaint.complainant_name, complaint.postcode) == ("Jan Goed", "5611 CD")
    assert complaint.handler == world.dm_south
    event = complaint.events.get(kind=EventKind.RECTIFIED)
    assert event.text == "Verhuisd"
    assert "complainant_name" in event.data["corrected"] and event.data["rerouted"] is True
    assert "Verkeerd" not in json.dumps(event.data)
    kept = ComplainantData(complainant_type="client", name="Jan Goed", postcode=PC_NORTH)
    complaint_services.complaint_rectify(
        actor=world.qm,
        reference=complaint.reference,
        complainant=kept,
        reason="Toch niet verhuisd",
        reroute=False,
    )
    complaint.refresh_from_db()
    assert complaint.handler == world.dm_south and complaint.postcode == "3741 AB"


def test_rectification_page_asks_where_the_complaint_goes(client, world):
    complaint = ComplaintFactory(contacted=True, postcode=PC_NORTH)
    client.force_login(world.qm)
    url = reverse("complaints:step", kwargs={"reference": complaint.reference, "step": "rectify"})
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "complainant_type": "client",
        "name": "Nieuwe Naam",
        "email": "nieuw@example.nl",
        "postcode": PC_SOUTH,
        "reason": "Adres was fout",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "South" in response.content.decode()
    assert Complaint.objects.get(pk=complaint.pk).handler == world.dm_north
    response = client.post(url, {**data, "reroute": "yes"})
    assert response.status_code == 302
    assert Complaint.objects.get(pk=complaint.pk).handler == world.dm_south


def test_the_tick_runs_the_retention_job_once_a_day(
    world, clock, django_capture_on_commit_callbacks
):
    complaint = _closed()
    later = timezone.localdate() + dt.timedelta(days=800)
    clock(later)
    with django_capture_on_commit_callbacks(execute=True):
        first = tick_run()
        second = tick_run()
    assert first.retention_actions >= 1 and second.retention_actions == 0
    assert Complaint.objects.get(pk=complaint.pk).anonymised_at is not None
    assert Beacon.objects.get(key="retention").data["day"] == later.isoformat()


def test_the_tick_works_off_a_backlog_a_piece_at_a_time(
    world, clock, django_capture_on_commit_callbacks, monkeypatch
):
    """Years of records due at once (a first run) never hold the worker for minutes: each
    tick anonymises at most RETENTION_PER_TICK, oldest first, and the day counts as done
    (its beacon) only when nothing is left (issue 15)."""
    monkeypatch.setattr(reminders, "RETENTION_PER_TICK", 2)
    complaints = [_closed() for _ in range(5)]
    later = timezone.localdate() + dt.timedelta(days=800)
    clock(later)
    done = []
    with django_capture_on_commit_callbacks(execute=True):
        for _tick in range(4):
            done.append(tick_run().retention_actions)
            anonymised = Complaint.objects.filter(anonymised_at__isnull=False).count()
            assert anonymised == min(5, 2 * len(done))
            assert Beacon.objects.filter(key="retention").exists() == (anonymised == 5)
    assert done == [2, 2, 1, 0]
    assert all(Complaint.objects.get(pk=c.pk).anonymised_at for c in complaints)


def test_a_limited_run_says_it_did_not_finish(world):
    for _ in range(3):
        _closed()
    later = timezone.localdate() + dt.timedelta(days=800)
    first = services.retention_run(as_of=later, limit=2)
    assert [a.kind for a in first.actions] == ["complaint", "complaint"] and not first.finished
    second = services.retention_run(as_of=later, limit=2)
    assert len(second.actions) == 1 and second.finished
    # A dry run lists everything due, whatever the limit.
    assert services.retention_run(as_of=later, dry_run=True, limit=1).actions == []


def test_the_dry_run_lists_in_words_and_changes_nothing(world, capsys):
    complaint = _closed()
    later = (timezone.localdate() + dt.timedelta(days=800)).isoformat()
    call_command("retention", "--as-of", later, "--dry-run", "--language", "en")
    out = capsys.readouterr().out
    assert f"Anonymise complaint {complaint.reference}" in out and "Would do" in out
    assert Complaint.objects.get(pk=complaint.pk).anonymised_at is None


def test_rejected_submissions_lose_answers_and_files_after_their_term(
    world, django_capture_on_commit_callbacks, settings, tmp_path
):
    submission = Submission.objects.create(
        received_on=timezone.localdate(),
        source="web_form",
        state=SubmissionState.REJECTED,
        data={"name": "Spam Sender"},
        decided_at=timezone.now(),
        decision_note="Reclame van Spam Sender",
    )
    upload = Upload(
        submission=submission,
        filename="x.pdf",
        content_type="application/pdf",
        size=4,
        sha256="ab" * 32,
    )
    upload.file.save("x.pdf", SimpleUploadedFile("x.pdf", b"%PDF"), save=True)
    stored = Path(upload.file.path)
    assert stored.exists()
    soon = timezone.localdate() + dt.timedelta(days=10)
    assert services.retention_run(as_of=soon, dry_run=True).actions == []
    with django_capture_on_commit_callbacks(execute=True):
        services.retention_run(as_of=timezone.localdate() + dt.timedelta(days=31))
    submission.refresh_from_db()
    assert submission.data == {} and submission.decision_note == ""
    assert not submission.uploads.exists() and not stored.exists()


def test_subject_export_zip_holds_a_pdf_json_and_the_originals(world, tmp_path, capsys):
    mine = ComplaintFactory(contacted=True, name="Petra Inzage")
    Complaint.objects.filter(pk=mine.pk).update(complainant_email="petra@example.nl")
    complaint_services.complaint_add_attachment(
        actor=world.qm,
        reference=mine.reference,
        upload=SimpleUploadedFile("verklaring.pdf", b"%PDF-1.4 verklaring", "application/pdf"),
        description="",
    )
    about = ComplaintFactory(contacted=True, name="Iemand Anders")
    complaint_services.complaint_set_person_concerned(
        actor=world.qm,
        reference=about.reference,
        manager_concerned_id=None,
        employee_concerned="Petra Inzage",
    )
    out = tmp_path / "inzage.zip"
    call_command(
        "subject-export", "--email", "petra@example.nl", "--name", "Petra Inzage", "--out", str(out)
    )
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        data = json.loads(archive.read("gegevens.json"))
        pdf = archive.read("overzicht.pdf")
    assert any(n.endswith("verklaring.pdf") for n in names)
    roles = {c["reference"]: c["role"] for c in data["complaints"]}
    assert roles == {mine.reference: "complainant", about.reference: "person_concerned"}
    assert "Iemand Anders" not in json.dumps(data)
    (tmp_path / "o.pdf").write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "o.pdf"), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "Petra Inzage" in text and "Uw klacht" in text and "Iemand Anders" not in text
    assert AuditEntry.objects.filter(action=AuditAction.PRIVACY_SUBJECT_EXPORT).count() == 1


def test_subject_access_page_for_the_quality_manager_only(client, world):
    ComplaintFactory(contacted=True, name="Kees Pagina")
    client.force_login(world.qm)
    url = reverse("privacy:subject")
    page = client.get(url, {"name": "Kees Pagina"})
    assert page.status_code == 200 and "KL-" in page.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.PRIVACY_SUBJECT_ACCESS).exists()
    download = client.post(url, {"name": "Kees Pagina", "email": "", "phone": ""})
    assert download["Content-Type"] == "application/zip"
    assert "overzicht.pdf" in zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    client.force_login(world.dm_north)
    assert client.get(url).status_code == 403


def test_audit_export_for_the_quality_manager_and_an_auditor(client, world):
    ComplaintFactory(contacted=True)
    today = timezone.localdate().isoformat()
    url = reverse("privacy:audit_export")
    auditor = StaffFactory()
    client.force_login(auditor)
    assert client.get(url).status_code == 403
    auditor.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    client.force_login(auditor)
    response = client.post(url, {"start": today, "end": today, "format": "json"})
    assert response.status_code == 200
    entries = json.loads(response.content)["entries"]
    assert entries and all("chain_hash" in e for e in entries)
    client.force_login(world.qm)
    response = client.post(url, {"start": today, "end": today, "format": "csv"})
    assert response.content.decode("utf-8").lstrip("\ufeff").startswith("seq;at;actor")
    assert AuditEntry.objects.filter(action=AuditAction.AUDIT_EXPORT).count() == 2


def test_list_pages_that_show_names_are_on_the_access_log(client, world):
    complaint = ComplaintFactory(contacted=True, name="Lijst Zichtbaar")
    client.force_login(world.qm)
    response = client.get(reverse("complaints:work_list"), {"q": "Lijst"})
    assert response.status_code == 200
    row = AccessLog.objects.get(via="list")
    assert row.user == world.qm and row.complaint is None
    assert row.data["shown"] == [complaint.reference] and row.data["searched"] is True
    assert "Lijst" not in json.dumps(row.data)


def test_the_privacy_page_and_register_tell_the_configured_terms(client, world):
    organisation = Organisation.current()
    organisation.complaint_retention_months = 36
    organisation.save()
    page = client.get(reverse("intake:privacy")).content.decode()
    assert "3 jaar" in page
    client.force_login(world.qm)
    register = client.get(reverse("privacy:processing_register")).content.decode()
    assert "3 jaar" in register and "30 dagen" in register
    home = client.post(
        reverse("privacy:home"),
        {
            "complaint_retention_months": 24,
            "submission_retention_days": 30,
            "raw_message_retention_days": 90,
            "access_log_retention_months": 24,
        },
    )
    assert home.status_code == 302
    assert Organisation.current().complaint_retention_months == 24
    assert AuditEntry.objects.filter(action=AuditAction.PRIVACY_RETENTION_SETTINGS).exists()


def test_the_admin_cannot_change_retention_terms(client, world):
    admin_user = StaffFactory(quality_manager=True, is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    Organisation.current()
    url = reverse("admin:organisation_organisation_change", args=[1])
    page = client.get(url).content.decode()
    assert 'name="complaint_retention_months"' not in page


def test_no_query_strings_in_the_production_access_logs():
    from klachtbeheer.operations.gunicorn import logging_config, options

    assert options()["accesslog"] is None
    assert logging_config()["loggers"]["gunicorn.access"]["handlers"] == []
    nginx = (ROOT / "deploy" / "nginx" / "klachtbeheer.conf").read_text()
    log_format = re.search(r"log_format klachtbeheer(.*?);", nginx, re.S).group(1)
    for variable in ("$request ", "$request_uri", "$args", "$query_string", "$uri"):
        assert variable not in log_format + " "


def test_subject_lookup_finds_by_phone(world):
    complaint = ComplaintFactory(contacted=True)
    from klachtbeheer.organisation.selectors import normalise_phone

    Complaint.objects.filter(pk=complaint.pk).update(
        complainant_phone=normalise_phone("035 548 1234")
    )
    found = subject.find(subject.Query(phone="0355481234"))
    assert [c.pk for c in found.as_complainant] == [complaint.pk]
