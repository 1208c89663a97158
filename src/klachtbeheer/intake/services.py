"""Writes of the public intake: each one durable transaction with its audit row.

`submission_receive` is the one way in for the form and the intake API: a
clean submission is registered and routed as a complaint in the same
transaction (durable before the answer goes out, P2.3); one that looks like
spam is held for review with its reasons (P2.2). Either way the complainant
gets a status link.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from klachtbeheer.complaints import services as complaint_services
from klachtbeheer.complaints.models import Channel, Complaint, StatusLink
from klachtbeheer.complaints.status_links import status_link_hash, status_link_mint
from klachtbeheer.complaints.workflow import Step, next_state
from klachtbeheer.core import clock
from klachtbeheer.core.audit import AuditAction, audit, audit_entry
from klachtbeheer.core.errors import NotAllowed, NotFoundOrNoAccess, ProcedureError
from klachtbeheer.intake import files
from klachtbeheer.intake.models import (
    IntakeApiKey,
    Source,
    StaffToken,
    Submission,
    SubmissionState,
    Upload,
)
from klachtbeheer.letters import services as letters_services
from klachtbeheer.organisation.models import Role
from klachtbeheer.organisation.selectors import role_of


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- what a complainant tells us ---------------------------------------------


@dataclass(frozen=True)
class IntakeData:
    """The answers of the form (or the API), validated by forms.IntakeForm."""

    complainant_type: str
    name: str
    substantiation: str
    form_of_address: str = ""
    organisation: str = ""
    email: str = ""
    phone: str = ""
    street_address: str = ""
    postcode: str = ""
    city: str = ""
    is_uwv_client: bool = False
    service: str = ""
    employee_concerned: str = ""
    desired_outcome: str = ""

    def complainant(self) -> complaint_services.ComplainantData:
        return complaint_services.ComplainantData(
            complainant_type=self.complainant_type,
            name=self.name,
            form_of_address=self.form_of_address,
            organisation=self.organisation,
            email=self.email,
            phone=self.phone,
            street_address=self.street_address,
            postcode=self.postcode,
            city=self.city,
            is_uwv_client=self.is_uwv_client,
        )


@dataclass
class Received:
    submission: Submission
    status_token: str
    complaint: Complaint | None = None
    held: bool = False
    uploads: list[Upload] = field(default_factory=list)


# --- uploads: stored the moment they arrive (UX.md 8) -------------------------


def draft_hash(draft: str) -> str:
    return _hash(f"draft|{draft}")


def upload_store(*, draft: str, upload: UploadedFile) -> Upload:
    """Check what the file really is and keep it; FileRefused with a message otherwise."""
    name = upload.name or "bijlage"
    kind = files.identify(upload, name=name, size=upload.size or 0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    with transaction.atomic():
        stored = Upload(
            draft_hash=draft_hash(draft),
            filename=files.safe_filename(name, kind),
            content_type=kind.content_type,
            size=upload.size,
            sha256=digest.hexdigest(),
        )
        stored.file.save(stored.sha256, upload, save=False)
        stored.save()
    return stored


def uploads_of_draft(draft: str) -> list[Upload]:
    if not draft:
        return []
    return list(Upload.objects.filter(draft_hash=draft_hash(draft), submission__isnull=True))


def upload_remove(*, draft: str, upload_id: int) -> str:
    """Remove one file of the draft; returns its name ("" when there was no such file)."""
    upload = Upload.objects.filter(
        pk=upload_id, draft_hash=draft_hash(draft), submission__isnull=True
    ).first()
    if upload is None:
        return ""
    _delete_upload(upload)
    return upload.filename


def _delete_upload(upload: Upload) -> None:
    stored_name = upload.file.name
    storage = upload.file.storage
    upload.delete()
    # The same content may be uploaded twice; the file goes when nothing points at it.
    if not Upload.objects.filter(file=stored_name).exists():
        transaction.on_commit(lambda: storage.delete(stored_name))


def _as_attachment(upload: Upload) -> UploadedFile:
    handle = upload.file.open("rb")
    return UploadedFile(
        file=handle, name=upload.filename, content_type=upload.content_type, size=upload.size
    )


# --- status links --------------------------------------------------------------


@transaction.atomic(durable=True)
def status_link_create(*, actor, complaint: Complaint) -> str:
    """A new status link for a complaint registered by staff (e.g. to print in a letter)."""
    _link, token = status_link_mint(complaint)
    audit(actor=actor, action=AuditAction.COMPLAINT_STATUS_LINK, target=complaint)
    return token


@transaction.atomic(durable=True)
def status_link_send_again(*, email: str, reference: str = "") -> int:
    """ "Send me my link again": a fresh link by e-mail to the address on file (P2.1).

    Only to the complainant's own address, for complaints whose link would still
    work; nothing is said to the visitor about whether anything matched. Returns
    how many messages were queued (for the tests, never for the page).
    """
    email = (email or "").strip().lower()
    if not email:
        return 0
    complaints = Complaint.objects.filter(complainant_email=email).order_by("-received_on")
    if reference:
        complaints = complaints.filter(reference=reference.strip().upper())
    cutoff = clock.today() - dt.timedelta(days=90)
    queued = 0
    for complaint in complaints.exclude(settled_on__lt=cutoff)[:5]:
        _link, token = status_link_mint(complaint)
        letters_services.status_link_message_queue(complaint=complaint, token=token)
        audit(actor=None, action=AuditAction.COMPLAINT_STATUS_LINK, target=complaint, again=True)
        queued += 1
    return queued


# --- receiving -----------------------------------------------------------------


def _register(
    submission: Submission,
    data: IntakeData,
    uploads: list[Upload],
    *,
    actor,
    before_number=None,
    audit_also=None,
):
    handles = [_as_attachment(u) for u in uploads]
    try:
        complaint = complaint_services.complaint_register_within_transaction(
            actor=actor,
            channel=Channel.WEB_FORM,
            received_on=submission.received_on,
            complainant=data.complainant(),
            substantiation=data.substantiation,
            desired_outcome=data.desired_outcome,
            service=data.service,
            employee_concerned=data.employee_concerned,
            attachments=handles,
            before_number=before_number,
            audit_also=audit_also,
        )
    finally:
        for handle in handles:
            handle.close()
    for upload in uploads:
        _delete_upload(upload)
    return complaint


@transaction.atomic(durable=True)
def submission_receive(
    *,
    data: IntakeData,
    draft: str = "",
    spam_reasons: list[str],
    source: str = Source.WEB_FORM,
    api_key: IntakeApiKey | None = None,
    uploads: list[Upload] | None = None,
    record_hits: Callable[[], None] | None = None,
) -> Received:
    """Register a clean submission as a complaint, or hold one that looks like spam.

    One transaction, short and in this order (issue 15): the complaint and its
    events, the submission, its status link, the spam checks' rate-limit hits
    (`record_hits`, from `spam.SpamCheck.record`), then the reference is numbered
    and the audit rows written; a shared row (the year's counter, a site key's
    bucket) is locked only for those last statements and the commit.
    """
    if uploads is None:
        uploads = (
            list(
                Upload.objects.select_for_update().filter(
                    draft_hash=draft_hash(draft), submission__isnull=True
                )
            )
            if draft
            else []
        )
    if len(uploads) > files.MAX_FILES:
        raise ProcedureError("too_many_files", _("Send at most %(n)s files."), n=files.MAX_FILES)
    now = clock.now()
    fields = {
        "received_at": now,
        "received_on": timezone.localdate(now),
        "source": source,
        "api_key": api_key,
        "spam_reasons": list(spam_reasons),
    }
    if spam_reasons:
        link, token = status_link_mint(None)
        submission = Submission.objects.create(
            **fields, state=SubmissionState.PENDING, data=asdict(data), status_link=link
        )
        Upload.objects.filter(pk__in=[u.pk for u in uploads]).update(submission=submission)
        if record_hits is not None:
            record_hits()
        audit(
            actor=None,
            action=AuditAction.INTAKE_HELD_FOR_REVIEW,
            target=submission,
            reasons=list(spam_reasons),
            source=source,
        )
        return Received(submission=submission, status_token=token, held=True, uploads=uploads)
    submission = Submission(**fields, state=SubmissionState.REGISTERED, data={})
    tokens: list[str] = []

    def before_number(complaint: Complaint) -> None:
        # Written with the complaint, before its number: nothing here waits on the counter.
        link, token = status_link_mint(complaint)
        submission.complaint = complaint
        submission.status_link = link
        submission.save(force_insert=True)
        tokens.append(token)
        if record_hits is not None:
            record_hits()

    def audit_also(complaint: Complaint) -> list:
        # Written in one statement with the complaint's own audit row, after its number.
        return [
            audit_entry(
                actor=None,
                action=AuditAction.INTAKE_REGISTERED,
                target=submission,
                reference=complaint.reference,
                source=source,
            )
        ]

    # A complaint on a form is new work: it can never fail on a missing step.
    complaint = _register(
        submission, data, uploads, actor=None, before_number=before_number, audit_also=audit_also
    )
    return Received(submission=submission, status_token=tokens[0], complaint=complaint)


def submission_receive_within_transaction(**kwargs) -> Received:
    """`submission_receive` for a caller that owns the durable transaction.

    The intake API keeps its answer to an Idempotency-Key in the same
    transaction, so a retry finds either both or neither.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("submission_receive_within_transaction needs an open transaction")
    return submission_receive.__wrapped__(**kwargs)


# --- the quality manager's review (P2.2) ---------------------------------------


def _review_lock(actor, submission_id: int) -> Submission:
    if role_of(actor) != Role.QUALITY_MANAGER:
        raise NotAllowed("quality_manager_only", _("Only the quality manager can take this step."))
    submission = Submission.objects.select_for_update().filter(pk=submission_id).first()
    if submission is None:
        raise NotFoundOrNoAccess("not_found", _("There is no such submission."))
    if submission.state != SubmissionState.PENDING:
        raise ProcedureError("already_reviewed", _("This submission has already been reviewed."))
    return submission


@transaction.atomic(durable=True)
def submission_accept(*, actor, submission_id: int, note: str = "") -> Complaint:
    """Not spam after all: it becomes a complaint with its original date of receipt (P2.3)."""
    submission = _review_lock(actor, submission_id)
    data = IntakeData(**submission.data)
    uploads = list(submission.uploads.all())
    complaint = _register(submission, data, uploads, actor=actor)
    submission.state = SubmissionState.ACCEPTED
    submission.complaint = complaint
    submission.data = {}
    submission.decided_at = clock.now()
    submission.decided_by = actor
    submission.decision_note = note.strip()
    submission.save()
    if submission.status_link_id:
        StatusLink.objects.filter(pk=submission.status_link_id).update(complaint=complaint)
    audit(
        actor=actor,
        action=AuditAction.INTAKE_ACCEPTED,
        target=submission,
        reference=complaint.reference,
        reasons=submission.spam_reasons,
    )
    return complaint


@transaction.atomic(durable=True)
def submission_reject(*, actor, submission_id: int, note: str) -> Submission:
    """Spam indeed: recorded with the reason; the answers and files are removed."""
    submission = _review_lock(actor, submission_id)
    note = (note or "").strip()
    if not note:
        raise ProcedureError("reason_required", _("Say why this is not a complaint."))
    for upload in submission.uploads.all():
        _delete_upload(upload)
    submission.state = SubmissionState.REJECTED
    submission.data = {}
    submission.decided_at = clock.now()
    submission.decided_by = actor
    submission.decision_note = note
    submission.save()
    audit(
        actor=actor,
        action=AuditAction.INTAKE_REJECTED,
        target=submission,
        reasons=submission.spam_reasons,
    )
    return submission


# --- the complainant adds information through the status page -------------------


@transaction.atomic(durable=True)
def complaint_add_information(
    *, token: str = "", token_hash: str = "", text: str, uploads: list[Upload] = ()
) -> Complaint:
    """The complainant's own addition, from the status page: a message on the timeline with
    its files as attachments, and an audit row without actor, all in this one transaction.

    The link is the token itself, or its hash as the status page keeps it in the session.
    """
    token_hash = token_hash or (status_link_hash(token) if token else "")
    link = (
        StatusLink.objects.filter(token_hash=token_hash, expires_at__gt=clock.now()).first()
        if token_hash
        else None
    )
    complaint_id = link and link.complaint_id
    if not complaint_id:
        raise NotFoundOrNoAccess("not_found", _("This link is unknown or no longer valid."))
    complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
    next_state(complaint.state, Step.ADD_NOTE)  # the table allows it in every state
    text = (text or "").strip()
    if not text and not uploads:
        raise ProcedureError("information_required", _("Write your addition or add a file."))
    if len(uploads) > files.MAX_FILES:
        raise ProcedureError("too_many_files", _("Send at most %(n)s files."), n=files.MAX_FILES)
    handles = [_as_attachment(u) for u in uploads]
    try:
        # The same service records a complainant's e-mail reply; here the channel is the web.
        complaint = complaint_services.complaint_receive_message(
            actor=None,
            reference=complaint.reference,
            channel=Channel.WEB_FORM,
            sender="",
            subject="",
            text=text,
            received_at=clock.now(),
            attachments=handles,
        )
    finally:
        for handle in handles:
            handle.close()
    for upload in uploads:
        _delete_upload(upload)
    return complaint


# --- API keys and staff tokens (stored hashed, shown once) ---------------------


def new_api_key_secret() -> tuple[str, str, str]:
    """A new site key: the secret (shown once), its visible prefix and its hash."""
    secret = "kbi_" + secrets.token_urlsafe(32)
    return secret, secret[:10], _hash(secret)


@transaction.atomic(durable=True)
def api_key_create(*, actor, name: str) -> tuple[IntakeApiKey, str]:
    name = (name or "").strip()
    if not name:
        raise ProcedureError("name_required", _("Name the site that will use the key."))
    if IntakeApiKey.objects.filter(name=name).exists():
        raise ProcedureError("name_taken", _("There is already a key for this site."))
    secret, prefix, key_hash = new_api_key_secret()
    key = IntakeApiKey.objects.create(name=name, prefix=prefix, key_hash=key_hash)
    audit(actor=actor, action=AuditAction.INTAKE_API_KEY_CREATED, target=key, name=name)
    return key, secret


def api_key_for(secret: str) -> IntakeApiKey | None:
    key = IntakeApiKey.objects.filter(key_hash=_hash(secret or ""), is_active=True).first()
    if key is not None and _last_use_is_old(key.last_used_at):
        IntakeApiKey.objects.filter(pk=key.pk).update(last_used_at=clock.now())
    return key


def _last_use_is_old(last_used_at) -> bool:
    """A key's or token's last use is written at most once per SERVICE_TOKEN_LAST_USED_SECONDS."""
    interval = dt.timedelta(seconds=settings.SERVICE_TOKEN_LAST_USED_SECONDS)
    return last_used_at is None or last_used_at <= clock.now() - interval


@transaction.atomic(durable=True)
def staff_token_create(*, actor, name: str) -> tuple[StaffToken, str]:
    """A personal token for `actor`; the API then acts with exactly their access."""
    if role_of(actor) in (None, Role.STAFF):
        raise NotAllowed("not_a_handler", _("Only complaint handlers can have an API token."))
    name = (name or "").strip()
    if not name:
        raise ProcedureError(
            "name_required", _("Give the token a name, such as the program that uses it.")
        )
    secret = "kbs_" + secrets.token_urlsafe(32)
    token = StaffToken.objects.create(
        user=actor,
        name=name[:100],
        prefix=secret[:10],
        key_hash=_hash(secret),
        expires_at=clock.now() + dt.timedelta(days=settings.INTAKE_STAFF_TOKEN_DAYS),
    )
    audit(actor=actor, action=AuditAction.INTAKE_STAFF_TOKEN_CREATED, target=token, name=token.name)
    return token, secret


@transaction.atomic(durable=True)
def staff_token_revoke(*, actor, token_id: int) -> None:
    token = StaffToken.objects.select_for_update().filter(pk=token_id, user=actor).first()
    if token is None:
        raise NotFoundOrNoAccess("not_found", _("There is no such token."))
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        audit(actor=actor, action=AuditAction.INTAKE_STAFF_TOKEN_REVOKED, target=token)


def staff_user_for(secret: str):
    """The active user a staff token belongs to, or None."""
    now = clock.now()
    token = (
        StaffToken.objects.select_related("user", "user__staff_profile")
        .filter(key_hash=_hash(secret or ""), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if _last_use_is_old(token.last_used_at):
        StaffToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
