"""Subject access (AVG art. 15, issue 10.4): everything about one person in one ZIP.

A person is looked up by e-mail address, phone number or name. They are found as the
complainant (the whole file: details, texts, timeline entries meant for them, letters,
attachments, their e-mails), and as the person a complaint is about (the employee or
district manager concerned): for those, what is said about them, without the
complainant's identity or files (art. 15(4): the rights of others).

The ZIP holds `overzicht.pdf` (a readable summary in Dutch), `gegevens.json` (the same
data) and `bestanden/` (the original letters, attachments and e-mails). The lookup and
the download are on the audit log (by references, never the search itself).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation

from klachtbeheer.complaints.models import Complaint
from klachtbeheer.core import clock
from klachtbeheer.core.audit import AuditAction, audit
from klachtbeheer.letters.models import Letter
from klachtbeheer.letters.pdf import html_to_pdf
from klachtbeheer.mailintake.models import InboundMessage
from klachtbeheer.organisation.models import Organisation
from klachtbeheer.organisation.selectors import normalise_phone


@dataclass(frozen=True)
class Query:
    email: str = ""
    phone: str = ""
    name: str = ""

    @property
    def empty(self) -> bool:
        return not (self.email.strip() or self.phone.strip() or self.name.strip())

    def by(self) -> list[str]:
        return [k for k in ("email", "phone", "name") if getattr(self, k).strip()]


@dataclass
class Found:
    as_complainant: list[Complaint] = field(default_factory=list)
    as_concerned: list[Complaint] = field(default_factory=list)

    @property
    def references(self) -> list[str]:
        return sorted({c.reference for c in self.as_complainant + self.as_concerned})


def _as_complainant(query: Query) -> QuerySet[Complaint]:
    condition = Q(pk__in=[])
    if query.email.strip():
        condition |= Q(complainant_email__iexact=query.email.strip())
    if query.phone.strip():
        phone = normalise_phone(query.phone.strip()) or query.phone.strip()
        condition |= Q(complainant_phone=phone)
    if query.name.strip():
        condition |= Q(complainant_name__iexact=query.name.strip())
    return Complaint.objects.filter(condition, anonymised_at__isnull=True)


def _as_concerned(query: Query) -> QuerySet[Complaint]:
    condition = Q(pk__in=[])
    if query.name.strip():
        name = query.name.strip()
        condition |= Q(employee_concerned__iexact=name)
        parts = name.split(maxsplit=1)
        if len(parts) == 2:
            condition |= Q(
                manager_concerned__first_name__iexact=parts[0],
                manager_concerned__last_name__iexact=parts[1],
            )
    if query.email.strip():
        condition |= Q(manager_concerned__email__iexact=query.email.strip())
    return Complaint.objects.filter(condition, anonymised_at__isnull=True)


def find(query: Query) -> Found:
    """Every complaint the person is the complainant of, or concerned by."""
    if query.empty:
        return Found()
    mine = list(_as_complainant(query).select_related("district").order_by("received_on", "id"))
    ids = {c.pk for c in mine}
    concerned = [
        c
        for c in _as_concerned(query).select_related("district").order_by("received_on", "id")
        if c.pk not in ids
    ]
    return Found(mine, concerned)


def record_lookup(*, actor, query: Query, found: Found) -> None:
    audit(
        actor=actor,
        action=AuditAction.PRIVACY_SUBJECT_ACCESS,
        target=Organisation.current(),
        by=query.by(),
        references=found.references,
    )


def _complainant_part(complaint: Complaint) -> dict[str, Any]:
    events = [
        {"at": e.at.isoformat(), "what": e.get_kind_display(), "text": e.text}
        for e in complaint.events.filter(internal=False).order_by("at", "id")
    ]
    letters = [
        {
            "kind": letter.get_kind_display(),
            "date": letter.letter_date.isoformat(),
            "sent_on": letter.sent_on.isoformat() if letter.sent_on else None,
            "subject": letter.subject,
            "text": letter.text,
        }
        for letter in Letter.objects.filter(complaint=complaint, sent_on__isnull=False).order_by(
            "created_at", "id"
        )
    ]
    return {
        "reference": complaint.reference,
        "role": "complainant",
        "received_on": complaint.received_on.isoformat(),
        "channel": complaint.get_channel_display(),
        "state": complaint.get_state_display(),
        "you": {
            "type": complaint.get_complainant_type_display(),
            "name": complaint.complainant_name,
            "organisation": complaint.complainant_organisation,
            "email": complaint.complainant_email,
            "phone": complaint.complainant_phone,
            "address": complaint.street_address,
            "postcode": complaint.postcode,
            "town": complaint.city,
        },
        "complaint": {
            "what_happened": complaint.substantiation,
            "desired_outcome": complaint.desired_outcome,
            "service": complaint.service,
        },
        "handling": {
            "district": complaint.district.name if complaint.district else "",
            "contacted_on": complaint.contacted_on.isoformat() if complaint.contacted_on else None,
            "verdict": complaint.get_verdict_display() if complaint.verdict else "",
            "reasons": complaint.verdict_reasons,
            "settled_on": complaint.settled_on.isoformat() if complaint.settled_on else None,
        },
        "timeline": events,
        "letters": letters,
        "attachments": [a.filename for a in complaint.attachments.all()],
    }


def _concerned_part(complaint: Complaint) -> dict[str, Any]:
    # Art. 15(4): what the complaint says about this person, not who complained.
    return {
        "reference": complaint.reference,
        "role": "person_concerned",
        "received_on": complaint.received_on.isoformat(),
        "state": complaint.get_state_display(),
        "complaint": {"what_happened": complaint.substantiation},
        "handling": {
            "verdict": complaint.get_verdict_display() if complaint.verdict else "",
            "reasons": complaint.verdict_reasons,
        },
        "left_out": "the complainant's identity and files (AVG art. 15(4))",
    }


def _files(complaint: Complaint) -> list[tuple[str, str]]:
    """(name in the ZIP, stored name) of the complainant's originals."""
    out = []
    ref = complaint.reference
    for a in complaint.attachments.all():
        out.append((f"bestanden/{ref}/bijlagen/{a.pk}-{a.filename}", a.file.name))
    for letter in Letter.objects.filter(complaint=complaint).exclude(pdf=""):
        out.append((f"bestanden/{ref}/brieven/{letter.filename}", letter.pdf.name))
    for message in InboundMessage.objects.filter(complaint=complaint).exclude(raw=""):
        out.append((f"bestanden/{ref}/e-mail/{message.pk}.eml", message.raw.name))
    return out


def export_zip(*, actor, query: Query) -> tuple[bytes, Found]:
    """The ZIP for one person; the download is on the audit log."""
    found = find(query)
    data = {
        "made_on": clock.now().isoformat(),
        "organisation": Organisation.current().name,
        "looked_up_by": query.by(),
        "complaints": [_complainant_part(c) for c in found.as_complainant]
        + [_concerned_part(c) for c in found.as_concerned],
    }
    with translation.override("nl"):
        html = render_to_string(
            "privacy/subject_summary.html",
            {"data": data, "today": timezone.localdate(clock.now())},
        )
        pdf = html_to_pdf(html)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("overzicht.pdf", pdf)
        archive.writestr("gegevens.json", json.dumps(data, ensure_ascii=False, indent=2))
        for complaint in found.as_complainant:
            for zip_name, stored in _files(complaint):
                if default_storage.exists(stored):
                    with default_storage.open(stored, "rb") as handle:
                        archive.writestr(zip_name, handle.read())
    audit(
        actor=actor,
        action=AuditAction.PRIVACY_SUBJECT_EXPORT,
        target=Organisation.current(),
        by=query.by(),
        references=found.references,
    )
    return buffer.getvalue(), found
