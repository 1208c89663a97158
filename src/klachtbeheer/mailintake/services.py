"""Writes: one message in, and what a person decides about a message that waited for review.

`inbound_message_ingest` is the one pipeline for every message, from the IMAP
mailbox or an MTA pipe. It stores the .eml, then in one durable transaction
makes the complaint (or adds the reply to its case, or records why it was
ignored or waits for a person) together with the `InboundMessage` row whose
unique key is the message's identity. So a message processed twice, or again
after a crash between that commit and flagging it in the mailbox, finds its
row and changes nothing; and a crash before the commit leaves the message
unflagged, to be processed on the next poll.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import signal
import threading
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import getaddresses
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from klachtbeheer.complaints import services as complaint_services
from klachtbeheer.complaints.models import Channel, ComplainantType, Complaint
from klachtbeheer.core import clock
from klachtbeheer.core.audit import AuditAction, audit
from klachtbeheer.core.errors import NotAllowed, ProcedureError, StorageUnavailable
from klachtbeheer.core.storage import discard_uncommitted
from klachtbeheer.mailintake.constants import (
    InboundSource,
    InboundStatus,
    failure_cause,
    problem,
)
from klachtbeheer.mailintake.models import InboundMessage, raw_message_path
from klachtbeheer.mailintake.parsing import Limits, ParsedAttachment, ParsedMessage, parse_message
from klachtbeheer.mailintake.quoting import trim_quoted
from klachtbeheer.organisation.selectors import user_is_quality_manager

logger = logging.getLogger(__name__)

DATABASE_GONE = (OperationalError, InterfaceError)


MAX_NAMES_KEPT = 50


@dataclass(frozen=True)
class IngestResult:
    message: InboundMessage
    created: bool  # False: this message was processed before; nothing changed


# --- configuration ----------------------------------------------------------------------------


def intake_limits() -> Limits:
    return Limits(
        max_message_bytes=settings.MAILINTAKE_MAX_MESSAGE_MB * 1024 * 1024,
        max_body_chars=settings.MAILINTAKE_MAX_BODY_CHARS,
        max_attachment_bytes=complaint_services.MAX_ATTACHMENT_BYTES,
        max_attachments=settings.MAILINTAKE_MAX_ATTACHMENTS,
        max_attachments_bytes=settings.MAILINTAKE_MAX_ATTACHMENTS_MB * 1024 * 1024,
        max_parts=settings.MAILINTAKE_MAX_PARTS,
    )


class ProcessingTimeout(Exception):
    """Processing one message took longer than MAILINTAKE_PROCESS_SECONDS."""


@contextmanager
def _time_limit(seconds: float):
    """Stop the work inside after `seconds` with ProcessingTimeout (SIGALRM, so only in the
    main thread: the pipe command and the worker; elsewhere there is no limit)."""
    if (
        not seconds
        or seconds <= 0
        or not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def expired(signum, frame):
        raise ProcessingTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def own_addresses() -> tuple[str, ...]:
    """Our intake address and the address letters go out from: mail from them is a loop."""
    candidates = [settings.MAILINTAKE_ADDRESS, settings.DEFAULT_FROM_EMAIL]
    return tuple(address for _name, address in getaddresses(candidates) if "@" in address)


def reply_address_for(reference: str) -> str:
    """The case's own reply address (klachten+KL-2026-00042@…): replies to it find the case.

    Empty when no intake address is configured. For the letters that go out by e-mail
    (as Reply-To), so that the complainant's answer lands on the right timeline.
    """
    address = settings.MAILINTAKE_ADDRESS
    if "@" not in address:
        return ""
    local, domain = address.rsplit("@", 1)
    return f"{local}{settings.MAILINTAKE_PLUS_SEPARATOR}{reference}@{domain}"


# --- helpers ----------------------------------------------------------------------------------


def _store_raw(raw: bytes, sha256: str) -> str:
    """The .eml under a name made of its hash; written once, reused by a retry."""
    name = raw_message_path(InboundMessage(sha256=sha256), "")
    if default_storage.exists(name) and default_storage.size(name) == len(raw):
        return name
    if default_storage.exists(name):  # a partial file from a crash mid-write
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(raw))


def _uploads(attachments: Sequence[ParsedAttachment]) -> list[SimpleUploadedFile]:
    return [
        SimpleUploadedFile(a.filename, a.content, content_type=a.content_type) for a in attachments
    ]


def _substantiation(parsed: ParsedMessage) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        parts = []
        if parsed.subject:
            parts.append(gettext("Subject: %(subject)s") % {"subject": parsed.subject})
        if parsed.body.strip():
            parts.append(parsed.body.strip())
        else:
            names = ", ".join(a.filename for a in parsed.attachments)
            parts.append(
                gettext("The e-mail has no text; see the attachments: %(names)s.")
                % {"names": names}
            )
        return "\n\n".join(parts)


def _complainant(parsed: ParsedMessage) -> complaint_services.ComplainantData:
    kind = settings.MAILINTAKE_COMPLAINANT_TYPE
    if kind not in ComplainantType.values:
        kind = ComplainantType.CLIENT
    return complaint_services.ComplainantData(
        complainant_type=kind,
        name=parsed.sender_name or parsed.sender_email.split("@")[0],
        email=parsed.sender_email,
    )


def _receipt_date(received_at: dt.datetime) -> dt.date:
    # The day it reached our mailbox starts the terms (P2.3); never a day in the future.
    return min(timezone.localdate(received_at), clock.today())


def _message_key_of(message_id: str) -> str:
    return "mid:" + hashlib.sha256(message_id.encode("utf-8")).hexdigest()


def _new_row(
    parsed: ParsedMessage,
    *,
    raw_name: str,
    source: str,
    received_at: dt.datetime,
    folder: str,
    imap_uid: str,
    status: str,
    problems: list[dict[str, Any]] = (),
) -> InboundMessage:
    return InboundMessage(
        message_key=parsed.key,
        message_id=parsed.message_id,
        sha256=parsed.sha256,
        raw=raw_name,
        size=parsed.size,
        source=source,
        folder=folder[:200],
        imap_uid=str(imap_uid)[:20],
        received_at=received_at,
        sender_email=parsed.sender_email[:254],
        sender_name=parsed.sender_name[:200],
        subject=parsed.subject[:500],
        sent_at=parsed.sent_at,
        body_text=parsed.body[: settings.MAILINTAKE_MAX_BODY_CHARS],
        # The names shown for review; a message with thousands waits for review anyway.
        attachment_names=[
            {"name": a.filename, "type": a.content_type, "size": a.size}
            for a in parsed.attachments[:MAX_NAMES_KEPT]
        ],
        status=status,
        problems=list(problems),
    )


def find_case(parsed: ParsedMessage) -> tuple[Complaint | None, list[dict[str, Any]]]:
    """The complaint a reply belongs to, from its plus-address, subject or In-Reply-To.

    Only a message from the complainant's own address is added to the case on its
    own; one from anyone else mentioning the reference waits for a person.
    """
    references = (
        parsed.address_references(settings.MAILINTAKE_ADDRESS, settings.MAILINTAKE_PLUS_SEPARATOR)
        or parsed.subject_references()
    )
    if not references and parsed.in_reply_to:
        earlier = (
            InboundMessage.objects.filter(
                message_key__in=[_message_key_of(i) for i in parsed.in_reply_to],
                complaint__isnull=False,
            )
            .select_related("complaint")
            .first()
        )
        if earlier is not None:
            references = [earlier.complaint.reference]
    if not references:
        return None, []
    if len(references) > 1:
        return None, [problem("several_references", references=", ".join(references))]
    complaint = Complaint.objects.filter(reference=references[0]).first()
    if complaint is None:
        return None, [problem("unknown_reference", reference=references[0])]
    if not parsed.sender_email or complaint.complainant_email.lower() != parsed.sender_email:
        return None, [
            problem(
                "sender_not_complainant",
                reference=complaint.reference,
                sender=parsed.sender_email or "?",
            )
        ]
    return complaint, []


# --- the pipeline -----------------------------------------------------------------------------


def inbound_message_ingest(
    *,
    raw: bytes,
    source: str,
    received_at: dt.datetime | None = None,
    folder: str = "",
    imap_uid: str = "",
) -> IngestResult:
    """One message in: a complaint, a reply on its case, ignored as automatic, or for review.

    Idempotent by Message-ID (by content hash when it has none). Never drops a
    message: when processing fails, it is stored for a person with the reason.
    Raises only when not even that can be stored (the database is down): then
    the caller must leave the message in the mailbox for the next poll.
    """
    try:
        return _ingest(
            raw=raw, source=source, received_at=received_at, folder=folder, imap_uid=imap_uid
        )
    finally:
        discard_uncommitted()  # the files of a transaction that rolled back


def _ingest(
    *, raw: bytes, source: str, received_at: dt.datetime | None, folder: str, imap_uid: str
) -> IngestResult:
    if source not in InboundSource.values:
        raise ValueError(f"unknown source {source!r}")
    received_at = received_at or clock.now()
    seconds = settings.MAILINTAKE_PROCESS_SECONDS
    parsed: ParsedMessage | None = None
    failure: dict[str, Any] | None = None
    row: dict[str, Any] = {}
    try:
        with _time_limit(seconds):
            parsed = parse_message(raw, limits=intake_limits(), own_addresses=own_addresses())
            existing = InboundMessage.objects.filter(message_key=parsed.key).first()
            if existing is not None and existing.sha256 != parsed.sha256:
                # The same Message-ID on other bytes: never dropped as a copy (a sender can
                # put any Message-ID on a message); it waits for a person.
                parsed = dataclasses.replace(
                    parsed,
                    message_id_taken=True,
                    problems=[*parsed.problems, problem("message_id_reused")],
                )
                existing = InboundMessage.objects.filter(message_key=parsed.key).first()
            if existing is not None:
                return IngestResult(existing, created=False)
            row = {
                "raw_name": _store_raw(raw, parsed.sha256),
                "source": source,
                "received_at": received_at,
                "folder": folder,
                "imap_uid": imap_uid,
            }
            message = _process(parsed, **row)
    except IntegrityError as error:
        # Another poller committed the same message first; any other constraint: review.
        existing = InboundMessage.objects.filter(message_key=parsed.key).first() if parsed else None
        if existing is not None:
            return IngestResult(existing, created=False)
        logger.exception("E-mail broke a database constraint; kept for review")
        failure = problem("failed", cause=failure_cause(error), detail=type(error).__name__)
    except DATABASE_GONE:
        raise  # nothing can be stored now: the caller leaves the message for the next try
    except StorageUnavailable:
        raise
    except ProcedureError as error:
        failure = problem("rejected", error=str(error))
    except ProcessingTimeout:
        logger.warning("E-mail processing stopped after %s s; kept for review", seconds)
        failure = problem("timeout", seconds=seconds)
    except Exception as error:  # RecursionError, a library's error: a person looks at it
        logger.exception("E-mail could not be processed; kept for review")
        failure = problem(
            "failed", cause=failure_cause(error), detail=f"{type(error).__name__}: {error}"[:300]
        )
    else:
        return IngestResult(message, created=True)
    return _store_failed(raw, parsed, failure, source=source, received_at=received_at,
                         folder=folder, imap_uid=imap_uid)  # fmt: skip


def _unparsed(raw: bytes) -> ParsedMessage:
    """What we know of a message the parser could not read: its bytes and nothing more."""
    return ParsedMessage(
        sha256=hashlib.sha256(raw).hexdigest(),
        size=len(raw),
        message_id="",
        sender_email="",
        sender_name="",
        subject="",
        sent_at=None,
        recipients=[],
        in_reply_to=[],
        body="",
        attachments=[],
    )


def _store_failed(
    raw: bytes, parsed: ParsedMessage | None, failure: dict[str, Any], **row: Any
) -> IngestResult:
    """Keep the message as it arrived, waiting for review with the reason."""
    if parsed is None:
        parsed = _unparsed(raw)
    existing = InboundMessage.objects.filter(message_key=parsed.key).first()
    if existing is not None:
        return IngestResult(existing, created=False)
    raw_name = _store_raw(raw, parsed.sha256)
    try:
        message = _store(parsed, **row, raw_name=raw_name, status=InboundStatus.NEEDS_REVIEW,
                         problems=[failure, *parsed.problems])  # fmt: skip
    except IntegrityError:
        existing = InboundMessage.objects.filter(message_key=parsed.key).first()
        if existing is None:
            raise
        return IngestResult(existing, created=False)
    except (DATABASE_GONE, StorageUnavailable):
        raise
    except Exception:
        # The parsed facts themselves cannot be stored: keep only the bytes.
        logger.exception("E-mail facts could not be stored; keeping the bytes alone")
        bare = _unparsed(raw)
        message = _store(bare, **row, raw_name=raw_name, status=InboundStatus.NEEDS_REVIEW,
                         problems=[failure])  # fmt: skip
    return IngestResult(message, created=True)


def _process(parsed: ParsedMessage, **row: Any) -> InboundMessage:
    if parsed.automatic:
        return _store(parsed, **row, status=InboundStatus.IGNORED_AUTO, problems=parsed.automatic)
    if parsed.problems:
        return _store(parsed, **row, status=InboundStatus.NEEDS_REVIEW, problems=parsed.problems)
    complaint, problems = find_case(parsed)
    if problems:
        return _store(parsed, **row, status=InboundStatus.NEEDS_REVIEW, problems=problems)
    if complaint is not None:
        return _add_reply(parsed, complaint, **row)
    return _make_complaint(parsed, **row)


@transaction.atomic(durable=True)
def _store(parsed: ParsedMessage, *, status: str, problems, **row: Any) -> InboundMessage:
    message = _new_row(parsed, **row, status=status, problems=problems)
    message.save()
    audit(
        actor=None,
        action=AuditAction(f"mailintake.{status}"),
        target=message,
        key=message.message_key,
    )
    return message


@transaction.atomic(durable=True)
def _make_complaint(parsed: ParsedMessage, **row: Any) -> InboundMessage:
    complaint = complaint_services.complaint_register_within_transaction(
        actor=None,
        channel=Channel.EMAIL,
        received_on=_receipt_date(row["received_at"]),
        complainant=_complainant(parsed),
        substantiation=_substantiation(parsed),
        attachments=_uploads(parsed.attachments),
    )
    message = _new_row(parsed, **row, status=InboundStatus.COMPLAINT)
    message.complaint = complaint
    message.save()
    audit(
        actor=None,
        action=AuditAction.MAILINTAKE_COMPLAINT,
        target=message,
        reference=complaint.reference,
    )
    return message


@transaction.atomic(durable=True)
def _add_reply(parsed: ParsedMessage, complaint: Complaint, **row: Any) -> InboundMessage:
    complaint = complaint_services.complaint_receive_message(
        actor=None,
        reference=complaint.reference,
        channel=Channel.EMAIL,
        sender=parsed.sender_email,
        subject=parsed.subject,
        text=trim_quoted(parsed.body),
        received_at=row["received_at"],
        attachments=_uploads(parsed.attachments),
    )
    message = _new_row(parsed, **row, status=InboundStatus.REPLY)
    message.complaint = complaint
    message.save()
    audit(
        actor=None,
        action=AuditAction.MAILINTAKE_REPLY,
        target=message,
        reference=complaint.reference,
    )
    return message


# --- review by the quality manager ------------------------------------------------------------


def _lock_for_review(actor, pk: int) -> InboundMessage:
    if not user_is_quality_manager(actor):
        raise NotAllowed("quality_manager_only", _("Only the quality manager reviews e-mail."))
    message = InboundMessage.objects.select_for_update().filter(pk=pk).first()
    if message is None:
        raise ProcedureError("not_found", _("There is no such message."))
    if not message.open_for_review:
        raise ProcedureError(
            "already_reviewed", _("This message has already been dealt with: %(status)s."),
            status=message.get_status_display(),
        )  # fmt: skip
    return message


def stored_attachments(message: InboundMessage) -> tuple[list[ParsedAttachment], list[str]]:
    """The attachments of the stored .eml that fit in a complaint (at most the limit's number),
    and the names of the others (they stay in the .eml, which the complaint links to)."""
    limits = intake_limits()
    with message.raw.open("rb") as handle:
        raw = handle.read()
    try:
        attachments = parse_message(raw, limits=limits).attachments
    except Exception:  # the message that failed to parse: everything stays in the .eml
        return [], []
    limit = complaint_services.MAX_ATTACHMENT_BYTES
    fitting = [a for a in attachments if a.size <= limit][: limits.max_attachments]
    kept = {id(a) for a in fitting}
    left = [a.filename for a in attachments if id(a) not in kept]
    return fitting, left


def _reviewed(message: InboundMessage, *, actor, status: str, note: str, complaint=None) -> None:
    message.status = status
    message.reviewed_by = actor
    message.reviewed_at = clock.now()
    message.review_note = note
    if complaint is not None:
        message.complaint = complaint
    message.save()
    audit(
        actor=actor,
        action=AuditAction(f"mailintake.review.{status}"),
        target=message,
        reference=complaint.reference if complaint is not None else None,
    )


@transaction.atomic(durable=True)
def inbound_message_make_complaint(
    *,
    actor,
    pk: int,
    complainant: complaint_services.ComplainantData,
    substantiation: str,
    received_on: dt.date,
    acknowledge: bool = True,
) -> tuple[InboundMessage, list[str]]:
    """The quality manager makes a complaint of a message that waited (P1.2, P2.1).

    Returns the message and the names of attachments too large for a complaint.
    """
    message = _lock_for_review(actor, pk)
    fitting, too_large = stored_attachments(message)
    complaint = complaint_services.complaint_register_within_transaction(
        actor=actor,
        channel=Channel.EMAIL,
        received_on=received_on,
        complainant=complainant,
        substantiation=substantiation,
        attachments=_uploads(fitting),
        acknowledge=acknowledge,
    )
    _reviewed(message, actor=actor, status=InboundStatus.COMPLAINT, note="", complaint=complaint)
    return message, too_large


@transaction.atomic(durable=True)
def inbound_message_attach_to_case(
    *, actor, pk: int, reference: str
) -> tuple[InboundMessage, list[str]]:
    """The quality manager adds a message that waited to a complaint's timeline."""
    message = _lock_for_review(actor, pk)
    fitting, too_large = stored_attachments(message)
    complaint = complaint_services.complaint_receive_message(
        actor=actor,
        reference=reference.strip().upper(),
        channel=Channel.EMAIL,
        sender=message.sender_email,
        subject=message.subject,
        text=trim_quoted(message.body_text),
        received_at=message.received_at,
        attachments=_uploads(fitting),
    )
    _reviewed(message, actor=actor, status=InboundStatus.REPLY, note="", complaint=complaint)
    return message, too_large


@transaction.atomic(durable=True)
def inbound_message_ignore(*, actor, pk: int, reason: str) -> InboundMessage:
    """The quality manager decides a message needs nothing (spam, a newsletter), with a reason."""
    message = _lock_for_review(actor, pk)
    reason = (reason or "").strip()
    if not reason:
        raise ProcedureError("reason_required", _("Say why this message is ignored."))
    _reviewed(message, actor=actor, status=InboundStatus.IGNORED, note=reason)
    return message
