"""What can become of an inbound message, and why: codes with texts for people."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _


class InboundStatus(models.TextChoices):
    COMPLAINT = "complaint", _("New complaint")
    REPLY = "reply", _("Added to a complaint")
    IGNORED_AUTO = "ignored_auto", _("Automatic message, ignored")
    NEEDS_REVIEW = "needs_review", _("Needs review")
    IGNORED = "ignored", _("Ignored after review")


class InboundSource(models.TextChoices):
    IMAP = "imap", _("Mailbox (IMAP)")
    PIPE = "pipe", _("Mail server pipe")


# Problem codes: automatic messages are ignored (never a complaint, never an
# acknowledgement, so no mail loops); the others wait for a person.
AUTOMATIC = {
    "auto_submitted": _("Sent automatically (Auto-Submitted: %(value)s)."),
    "precedence": _("Bulk or list mail (Precedence: %(value)s)."),
    "autoreply_header": _("An automatic reply (%(header)s)."),
    "delivery_report": _("A delivery or read report (%(value)s)."),
    "failed_recipients": _("A bounce: delivery failed for %(value)s."),
    "mailer_daemon": _("Sent by a mail server (%(sender)s)."),
    "null_sender": _("Sent with an empty return address, as bounces and automatic replies are."),
    "mailing_list": _("Mailing-list mail (%(header)s)."),
    "own_address": _("Sent from our own intake address; answering it would make a mail loop."),
}
FOR_REVIEW = {
    "too_large": _(
        "The message is %(size_bytes)s; over %(limit_bytes)s a person looks at it first."
    ),
    "body_too_long": _(
        "The text is %(chars)s characters long; over %(limit)s a person looks at it first."
    ),
    "attachment_too_large": _(
        "Attachment “%(name)s” is %(size_bytes)s; a complaint can hold attachments up to "
        "%(limit_bytes)s."
    ),
    "too_many_parts": _(
        "The message has %(count)s parts; over %(limit)s it is not read, and a person looks "
        "at it first."
    ),
    "too_many_attachments": _(
        "The message has %(count)s attachments; over %(limit)s a person looks at it first."
    ),
    "attachments_too_large": _(
        "The attachments are %(size_bytes)s together; over %(limit_bytes)s a person looks at "
        "it first."
    ),
    "message_id_reused": _(
        "A different message with the same Message-ID came in before; a person checks "
        "whether this one belongs to it."
    ),
    "several_senders": _(
        "The message names %(count)s senders; a person decides who the complainant is."
    ),
    "unknown_charset": _("The text declares a character set that does not exist (%(charset)s)."),
    "bad_charset": _(
        "Part of the text is not valid %(charset)s; unreadable characters were replaced."
    ),
    "broken_mime": _("The structure of the message is damaged (%(defects)s)."),
    "no_sender": _("The message has no usable sender address."),
    "empty": _("The message has no text and no attachments."),
    "looks_automatic": _(
        "The subject looks like an automatic reply (“%(subject)s”), but the message does not "
        "say it is one."
    ),
    "unknown_reference": _("It mentions %(reference)s, but there is no such complaint."),
    "several_references": _("It mentions more than one complaint (%(references)s)."),
    "sender_not_complainant": _(
        "It mentions %(reference)s, but the sender (%(sender)s) is not the e-mail address of "
        "that complainant."
    ),
    "rejected": _("The complaint could not be registered: %(error)s"),
    "failed": _(
        "It could not be processed: %(cause)s The message is kept as it arrived; decide here "
        "what becomes of it."
    ),
    "timeout": _(
        "Processing took longer than %(seconds)s seconds and was stopped; the message is kept "
        "as it arrived."
    ),
}
PROBLEM_TEXTS = {**AUTOMATIC, **FOR_REVIEW}

# Why processing failed, for the person who reviews the message: never the software's own
# name for the error (issue 14); that name goes to the log and stays in the stored detail.
FAILURE_CAUSES = {
    "too_deep": _("its parts are nested too deeply to read."),
    "database_rule": _("a value in it breaks a rule of the database, such as a maximum length."),
    "unreadable": _("part of it is in a form the software cannot read."),
    "unexpected": _("the software ran into an unexpected error, which is in the log."),
}
_CAUSE_OF_ERROR = {
    "RecursionError": "too_deep",
    "IntegrityError": "database_rule",
    "DataError": "database_rule",
    "UnicodeDecodeError": "unreadable",
    "UnicodeEncodeError": "unreadable",
    "LookupError": "unreadable",
    "HeaderParseError": "unreadable",
}


def failure_cause(error: BaseException | str) -> str:
    """The FAILURE_CAUSES code for an exception (or the class name stored before causes)."""
    name = error if isinstance(error, str) else type(error).__name__
    return _CAUSE_OF_ERROR.get(name.split(":", 1)[0].strip(), "unexpected")


def problem(code: str, **params: Any) -> dict[str, Any]:
    if code not in PROBLEM_TEXTS:
        raise ValueError(f"unknown problem code {code!r}")
    return {"code": code, "params": params}


def describe(entry: dict[str, Any]) -> str:
    """A stored problem in the page's language; sizes in bytes as KB or MB."""
    template = PROBLEM_TEXTS.get(entry.get("code", ""))
    params = {
        key: filesizeformat(value) if key.endswith("_bytes") else value
        for key, value in (entry.get("params") or {}).items()
    }
    if entry.get("code") == "failed":
        cause = params.get("cause") or failure_cause(str(params.get("error", "")))
        params["cause"] = FAILURE_CAUSES.get(cause, FAILURE_CAUSES["unexpected"])
    if template is None:
        return str(entry.get("code", ""))
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(entry.get("code", ""))
