"""What a letter says: its context, its text from the template, its HTML, its refusals.

Pure of side effects: nothing here writes. `letter_draft` is what the preview
shows and exactly what `services.letter_issue` stores.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.template import Context, Engine, TemplateSyntaxError
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from klachtbeheer.complaints.models import (
    Complaint,
    EventKind,
    LetterKind,
    Verdict,
)
from klachtbeheer.complaints.terms import settlement_counted
from klachtbeheer.core import clock
from klachtbeheer.core.errors import ProcedureError
from klachtbeheer.core.text import one_line
from klachtbeheer.letters import defaults
from klachtbeheer.letters.constants import UWV_CLIENT, DeliveryChannel
from klachtbeheer.letters.models import LetterDue, LetterSettings, LetterTemplate, NextBody
from klachtbeheer.organisation.models import Organisation, Role
from klachtbeheer.organisation.selectors import people

# Letters are Dutch whatever the language of the page that made them.
LETTER_LANGUAGE = "nl"

VERDICT_WORDS = {
    Verdict.FOUNDED: "gegrond",
    Verdict.PARTLY_FOUNDED: "gedeeltelijk gegrond",
    Verdict.UNFOUNDED: "ongegrond",
}


# --- templates and configuration ---------------------------------------------


@lru_cache(maxsize=1)
def _engine() -> Engine:
    # Plain text out: no autoescaping, no loaders (no {% include %}), built-in tags only.
    return Engine(autoescape=False, libraries={}, loaders=[])


def check_template_text(text: str) -> None:
    """Raise TemplateSyntaxError when the quality manager's text does not compile."""
    _engine().from_string(text)


def render_text(text: str, context: dict[str, Any]) -> str:
    # A Context escapes by default, whatever the engine says: the text is plain, and is
    # escaped once, where it becomes HTML (text_to_html, the letter's template; issue 12).
    rendered = _engine().from_string(text).render(Context(context, autoescape=False))
    # Tidy what conditional blocks leave behind: spaces at line ends, runs of blank lines.
    rendered = re.sub(r"[ \t]+\n", "\n", rendered)
    rendered = re.sub(r"\n{3,}", "\n\n", rendered)
    return rendered.strip()


def template_for(kind: str) -> LetterTemplate:
    """The current version for `kind`; version 1 from the defaults when there is none."""
    template = LetterTemplate.objects.current(kind)
    if template is None:
        subject, body = defaults.TEMPLATES[kind]
        template, _created = LetterTemplate.objects.get_or_create(
            kind=kind, version=1, defaults={"subject": subject, "body": body}
        )
    return template


def next_body_for(complaint: Complaint) -> NextBody:
    """Where this complainant goes next (P4): UWV clients to UWV, others by their type."""
    key = UWV_CLIENT if complaint.is_uwv_client else complaint.complainant_type
    body = NextBody.objects.filter(applies_to=key).first()
    if body is None and key in defaults.NEXT_BODIES:
        name, how = defaults.NEXT_BODIES[key]
        body, _created = NextBody.objects.get_or_create(
            applies_to=key, defaults={"name": name, "how_to_reach": how}
        )
    if body is None:
        raise ProcedureError(
            "no_next_body",
            _("No body for the next step is configured for this complainant (P4)."),
        )
    return body


# --- formatting ----------------------------------------------------------------


def dutch_date(value: dt.date, pattern: str = "j F Y") -> str:
    with translation.override(LETTER_LANGUAGE):
        return formats.date_format(value, pattern)


def dutch_time(value: dt.datetime) -> str:
    return f"{timezone.localtime(value):%H.%M} uur"


def _full_name(user) -> str:
    return (user.get_full_name() or user.get_username()).strip()


def _function_of(user) -> str:
    profile = getattr(user, "staff_profile", None)
    if profile is None:
        return ""
    if profile.job_title:
        return profile.job_title
    with translation.override(LETTER_LANGUAGE):
        return str(Role(profile.role).label)


def signer_for(complaint: Complaint) -> tuple[str, str]:
    """Name and function under the letter: the handler, else the quality manager."""
    user = complaint.handler
    if user is None:
        user = (
            people()
            .filter(staff_profile__role=Role.QUALITY_MANAGER)
            .select_related("staff_profile")
            .order_by("pk")
            .first()
        )
    if user is None:
        return "", ""
    return _full_name(user), _function_of(user)


def address_lines(complaint: Complaint) -> list[str]:
    """The address block as PostNL wants it: postcode, two spaces, town in capitals.

    Each value is one line whatever was stored (a CR/LF or a control character in a street
    address never adds a line, core.text.one_line).
    """
    organisation, name = (
        one_line(complaint.complainant_organisation),
        one_line(complaint.complainant_name),
    )
    street, postcode = one_line(complaint.street_address), one_line(complaint.postcode)
    city = one_line(complaint.city)
    lines = []
    if organisation:
        lines += [organisation, f"t.a.v. {name}"]
    else:
        lines.append(name)
    if street:
        lines.append(street)
    if postcode or city:
        lines.append(f"{postcode}  {city.upper()}".strip())
    if len(lines) <= 2 and complaint.complainant_email:
        lines.append(one_line(complaint.complainant_email))
    return lines


def salutation_name(name: str) -> str:
    """ "Mevrouw A. de Vries" → "mevrouw A. de Vries", "De heer B. Jansen" → "heer B. Jansen"."""
    name = name.strip()
    lowered = name.lower()
    for prefix, replacement in (("de heer ", "heer "), ("mevrouw ", "mevrouw "), ("dhr. ", "heer "),
                                ("mw. ", "mevrouw "), ("heer ", "heer ")):  # fmt: skip
        if lowered.startswith(prefix):
            return replacement + name[len(prefix) :]
    return name


# Words between first name and surname that belong to the surname ("van Dijk", "de Vries").
SURNAME_PREFIXES = frozenset(
    {"van", "de", "der", "den", "het", "ter", "ten", "te", "op", "in", "'t", "’t"}
    | {"von", "vom", "zu", "le", "la", "du", "da", "di", "del", "della", "dos"}
)


def surname_of(name: str) -> str:
    """ "Marieke van Dijk" → "Van Dijk", "M. de Vries" → "De Vries", "Jan Jansen" → "Jansen".

    After "mevrouw" or "heer" the prefix takes a capital (Dutch spelling rule);
    an apostrophe prefix ("'t Hart") keeps its lower case.
    """
    words = salutation_name(name).split()
    if words and words[0].lower() in ("mevrouw", "heer"):
        words = words[1:]
    if not words:
        return ""
    surname = words[-1:]
    for index in range(1, len(words)):
        if words[index].lower() in SURNAME_PREFIXES:
            surname = words[index:]
            break
    text = " ".join(surname)
    return text[:1].upper() + text[1:] if text[:1].isalpha() else text


def salutation_for(complaint: Complaint) -> str:
    """What follows "Geachte": "mevrouw Van Dijk", "heer Jansen", or the full name (neutral)."""
    form = getattr(complaint, "form_of_address", "")
    if form in ("mevrouw", "heer"):
        surname = surname_of(complaint.complainant_name)
        if surname:
            return f"{form} {surname}"
    return salutation_name(complaint.complainant_name)


def has_postal_address(complaint: Complaint) -> bool:
    return bool(complaint.street_address and (complaint.postcode or complaint.city))


def delivery_channel(complaint: Complaint) -> str:
    """By e-mail when there is an address, else on paper (P3.7)."""
    if complaint.complainant_email:
        return DeliveryChannel.EMAIL
    if has_postal_address(complaint):
        return DeliveryChannel.POST
    raise ProcedureError(
        "no_address",
        _(
            "There is no e-mail or postal address for the complainant. Record one, or tell "
            "the complainant by phone and add a note."
        ),
    )


def _paragraph_html(lines: list[str]) -> list[str]:
    parts: list[str] = []
    items: list[str] = []
    buffer: list[str] = []
    for line in [*lines, None]:
        is_item = line is not None and line.startswith("- ")
        if buffer and (line is None or is_item):
            # Room for the handwritten signature under "Met vriendelijke groet,".
            closing = ' class="closing"' if buffer[-1].rstrip().endswith("groet,") else ""
            parts.append(f"<p{closing}>" + "<br>".join(escape(text) for text in buffer) + "</p>")
            buffer = []
        if items and (line is None or not is_item):
            parts.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>")
            items = []
        if line is None:
            break
        if is_item:
            items.append(line[2:].strip())
        else:
            buffer.append(line)
    return parts


def text_to_html(text: str) -> SafeString:
    """Paragraphs at blank lines, lists from lines starting with "- ", escaped.

    The last paragraph before "Met vriendelijke groet," goes with it and the
    signature into one block the PDF never splits, so the closing never stands
    alone at the top of a page.
    """
    parts: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        parts += _paragraph_html(block.split("\n"))
    closing = next(
        (i for i, part in enumerate(parts) if part.startswith('<p class="closing">')), None
    )
    if closing is not None:
        start = max(closing - 1, 0)
        parts = [*parts[:start], '<div class="sign-off">', *parts[start:], "</div>"]
    return mark_safe("\n".join(parts))  # noqa: S308 - every piece is escaped above


CLOSING_RE = re.compile(r"^Met vriendelijke groet,?\s*$", re.MULTILINE | re.IGNORECASE)


def with_paragraph(body: str, paragraph: str) -> str:
    """`paragraph` inserted before "Met vriendelijke groet," (or at the end when there is none)."""
    if not paragraph:
        return body
    match = CLOSING_RE.search(body)
    if match is None:
        return f"{body.rstrip()}\n\n{paragraph}"
    return f"{body[: match.start()].rstrip()}\n\n{paragraph}\n\n{body[match.start() :]}"


# Where the status link goes in the preview: the real one is minted when the letter is made.
STATUS_LINK_PLACEHOLDER = "[uw persoonlijke link, aangemaakt bij het versturen]"


def status_paragraph(status_url: str) -> str:
    """The acknowledgement's paragraph with the complainant's own status link."""
    return (
        "Op uw persoonlijke pagina ziet u hoe het met uw klacht staat, welke brieven wij u "
        "stuurden en kunt u informatie aanvullen. Ga daarvoor naar:\n"
        f"{status_url}\n"
        "Deze link is alleen voor u; deel hem niet. Kwijt? Vraag op onze website een nieuwe "
        "link aan met uw e-mailadres."
    )


def questions_line(complaint: Complaint) -> str:
    """Every letter ends with whom to ask: the organisation's phone and e-mail (settings)."""
    letter_settings = LetterSettings.current()
    ways = []
    if letter_settings.phone:
        ways.append(f"bel {letter_settings.phone}")
    if letter_settings.email:
        ways.append(f"mail naar {letter_settings.email}")
    if not ways:
        return ""
    how = " of ".join(ways)
    return (
        f"Vragen over deze brief? {how[:1].upper()}{how[1:]} en noem kenmerk {complaint.reference}."
    )


# --- the letter ------------------------------------------------------------------


@dataclass(frozen=True)
class LetterDraft:
    kind: str
    template: LetterTemplate
    subject: str
    body: str  # salutation to signature, as the template renders it
    text: str  # the whole letter as text: letterhead, address, reference, date, body
    html: str  # the whole letter as the HTML the PDF is made from
    our_reference: str
    letter_date: dt.date
    channel: str
    recipient_email: str
    meeting_at: dt.datetime | None = None
    meeting_location: str = ""
    questions: str = ""


def _extension_from(complaint: Complaint, until: str) -> dt.date:
    """The term an extension replaced: the date the complainant has in writing (P3.8).

    Its notice must go out by then (`Complaint.extension_notice_due_on` for the
    current extension; the timeline entry for an earlier one).
    """
    current = complaint.extended_until
    if current is not None and until == current.isoformat() and complaint.extension_notice_due_on:
        return complaint.extension_notice_due_on
    for event in complaint.events.filter(kind=EventKind.EXTENDED).order_by("-at", "-id"):
        data = event.data or {}
        if data.get("until") == until and (data.get("notice_by") or data.get("from")):
            return dt.date.fromisoformat(data.get("notice_by") or data["from"])
    return complaint.settle_due_on


def _explicitly_no_measures(complaint: Complaint) -> bool:
    """The last verdict said "no measures" (the service refuses a verdict without either)."""
    last = complaint.events.filter(kind=EventKind.VERDICT).order_by("-at", "-id").first()
    return last is not None and (last.data or {}).get("measures") == []


def _kind_context(complaint: Complaint, due: LetterDue, *, today: dt.date) -> dict[str, Any]:
    """What only this kind of letter says; raises ProcedureError when it cannot be written."""
    data = due.data or {}
    kind = due.kind
    if kind == LetterKind.DECISION:
        if complaint.verdict not in Verdict.values:
            raise ProcedureError(
                "decision_without_verdict", _("The decision letter needs a verdict.")
            )
        if not complaint.verdict_reasons.strip():
            raise ProcedureError(
                "decision_without_reasons",
                _("The decision letter needs the reasons for the verdict."),
            )
        measures = [m.description for m in complaint.measures.all()]
        if not measures and not _explicitly_no_measures(complaint):
            raise ProcedureError(
                "decision_without_measures",
                _("The decision letter needs the measures taken, or “no measures”."),
            )
        body = next_body_for(complaint)
        return {
            "oordeel": VERDICT_WORDS[Verdict(complaint.verdict)],
            "motivering": complaint.verdict_reasons.strip(),
            "maatregelen": measures,
            "vervolg_naam": body.name,
            "vervolg_tekst": body.how_to_reach.strip(),
        }
    if kind == LetterKind.EXTENSION:
        until = data.get("until", "")
        previous = _extension_from(complaint, until)
        if today > previous:
            raise ProcedureError(
                "extension_notice_late",
                _(
                    "The term ended on %(due)s: the notice of an extension must go out before "
                    "the term runs out."
                ),
                due=f"{previous:%d-%m-%Y}",
            )
        return {
            "oude_datum": dutch_date(previous),
            "nieuwe_datum": dutch_date(dt.date.fromisoformat(until)),
            "reden": (data.get("reason") or "").strip(),
        }
    if kind == LetterKind.MEETING_INVITATION:
        at = dt.datetime.fromisoformat(data["at"])
        if complaint.meeting_at is None or complaint.meeting_at != at:
            raise ProcedureError(
                "meeting_replanned",
                _("The meeting was planned again; the newer invitation is the one to send."),
            )
        if at < clock.now():
            raise ProcedureError(
                "meeting_passed", _("The meeting has already taken place; plan a new one.")
            )
        return {
            "gesprek_datum": dutch_date(timezone.localtime(at).date(), "l j F Y"),
            "gesprek_tijd": dutch_time(at),
            "gesprek_plaats": data.get("location", ""),
        }
    if kind == LetterKind.WITHDRAWAL:
        return {"contact_datum": dutch_date(complaint.contacted_on or today)}
    if kind == LetterKind.NOT_A_COMPLAINT:
        return {"reden": (data.get("reason") or "").strip()}
    return {}


def letter_context(
    complaint: Complaint, due: LetterDue, *, today: dt.date, channel: str
) -> dict[str, Any]:
    organisation = Organisation.current()
    signer, function = signer_for(complaint)
    handler = _full_name(complaint.handler) if complaint.handler else signer
    context = {
        "naam": complaint.complainant_name,
        "aanhef": salutation_for(complaint),
        "kenmerk": complaint.reference,
        "ontvangen_op": dutch_date(complaint.received_on),
        "organisatie": organisation.name,
        "adres_klachten": organisation.complaints_address.strip(),
        "ondertekenaar": signer,
        "functie": function,
        "behandelaar": handler,
        "contact_uiterlijk": dutch_date(complaint.contact_due_on),
        # The settlement date that counts on the letter's date (P3.8).
        "afgehandeld_uiterlijk": dutch_date(
            settlement_counted(complaint.term_facts, today=today).due
        ),
        "per_email": channel == DeliveryChannel.EMAIL,
    }
    context.update(_kind_context(complaint, due, today=today))
    return context


def letter_draft(
    complaint: Complaint, due: LetterDue, *, today: dt.date, status_url: str = ""
) -> LetterDraft:
    """The letter `due` asks for, exactly as it would go out today; ProcedureError if it cannot.

    The acknowledgement carries the complainant's status link: `status_url` when
    the letter is made (`services.letter_issue` mints it), a placeholder in the preview.
    """
    if due.cancelled_on:
        raise ProcedureError(
            "letter_cancelled", _("This letter is no longer owed: the complaint was reopened.")
        )
    if due.sent_on or due.letters.exists():
        raise ProcedureError("letter_already_made", _("This letter has already been sent."))
    channel = delivery_channel(complaint)
    context = letter_context(complaint, due, today=today, channel=channel)
    template = template_for(due.kind)
    try:
        subject = one_line(render_text(template.subject, context))  # a header: one line
        body = render_text(template.body, context)
    except TemplateSyntaxError as error:
        raise ProcedureError(
            "letter_template_broken",
            _("The letter template cannot be used: %(error)s"),
            error=str(error),
        ) from error
    if due.kind == LetterKind.ACKNOWLEDGEMENT:
        body = with_paragraph(body, status_paragraph(status_url or STATUS_LINK_PLACEHOLDER))
    if due.kind == LetterKind.DECISION and context["vervolg_naam"] not in body:
        raise ProcedureError(
            "decision_without_next_body",
            _("The decision letter template must say where the complainant can go next (P4)."),
        )
    organisation = Organisation.current()
    letter_settings = LetterSettings.current()
    letterhead = [line.strip() for line in organisation.complaints_address.splitlines()]
    # The letterhead is the postal address; "t.a.v. Kwaliteitsmanager" is for incoming post.
    letterhead = [
        line
        for line in letterhead
        if line and line != organisation.name and not line.lower().startswith("t.a.v.")
    ]
    contact = [
        value
        for value in (letter_settings.phone, letter_settings.email, letter_settings.website)
        if value
    ]
    date_line = dutch_date(today)
    if letter_settings.sender_city:
        date_line = f"{letter_settings.sender_city}, {date_line}"
    layout = {
        "organisation": organisation.name,
        "letterhead": letterhead,
        "contact": contact,
        "address": address_lines(complaint),
        "our_reference": complaint.reference,
        "date_line": date_line,
        "subject": subject,
        "body_html": text_to_html(body),
        "kind": due.kind,
        "questions": questions_line(complaint),
    }
    with translation.override(LETTER_LANGUAGE):
        html = render_to_string("letters/letter.html", layout)
    text = "\n".join(
        [
            organisation.name,
            *letterhead,
            *contact,
            "",
            *layout["address"],
            "",
            f"Ons kenmerk: {complaint.reference}",
            f"Datum: {date_line}",
            f"Onderwerp: {subject}",
            "",
            body,
            *(["", layout["questions"]] if layout["questions"] else []),
        ]
    )
    meeting_at = None
    if due.kind == LetterKind.MEETING_INVITATION:
        meeting_at = dt.datetime.fromisoformat(due.data["at"])
    return LetterDraft(
        kind=due.kind,
        template=template,
        subject=subject,
        body=body,
        text=text,
        html=html,
        our_reference=complaint.reference,
        letter_date=today,
        channel=channel,
        recipient_email=complaint.complainant_email if channel == DeliveryChannel.EMAIL else "",
        meeting_at=meeting_at,
        meeting_location=(due.data or {}).get("location", ""),
        questions=layout["questions"],
    )


def message_domain() -> str:
    configured = getattr(settings, "LETTERS_MESSAGE_ID_DOMAIN", "")
    if configured:
        return configured
    sender = settings.DEFAULT_FROM_EMAIL
    return sender.rsplit("@", 1)[-1].strip(">").strip() or "klachtbeheer.invalid"
