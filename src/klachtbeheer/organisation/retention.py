"""The retention terms in words (issue 10.7): one list that the public privacy page, the
processing register and the README's table are written from, so they tell what the
retention job (`privacy.services.retention_run`) does with the configured numbers."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from klachtbeheer.organisation.models import Organisation


@dataclass(frozen=True)
class RetentionTerm:
    record: str  # what is kept
    term: str  # how long, in words
    then: str  # what happens at the end


def _months(n: int) -> str:
    if n % 12 == 0:
        years = n // 12
        return ngettext("%(n)d year", "%(n)d years", years) % {"n": years}
    return ngettext("%(n)d month", "%(n)d months", n) % {"n": n}


def _days(n: int) -> str:
    return ngettext("%(n)d day", "%(n)d days", n) % {"n": n}


def retention_terms(organisation: Organisation | None = None) -> list[RetentionTerm]:
    o = organisation or Organisation.current()
    return [
        RetentionTerm(
            _("Complaint files: your details, the complaint, letters, messages, files"),
            _("%(term)s after the complaint was settled (decided, withdrawn or not a complaint)")
            % {"term": _months(o.complaint_retention_months)},
            _(
                "Anonymised: names, contact details, every text and every file are removed; "
                "only figures without personal data remain (reference, dates, district, verdict)."
            ),
        ),
        RetentionTerm(
            _("Form submissions that were held and rejected, and e-mail that became no complaint"),
            _("%(term)s after they were dealt with") % {"term": _days(o.submission_retention_days)},
            _("Removed, with their files."),
        ),
        RetentionTerm(
            _("The original e-mail messages (.eml) of complaints"),
            _("%(term)s after they were processed") % {"term": _days(o.raw_message_retention_days)},
            _("The original message is deleted; its text stays with the complaint file."),
        ),
        RetentionTerm(
            _("The access log: which member of staff opened which complaint or list"),
            _("%(term)s") % {"term": _months(o.access_log_retention_months)},
            _(
                "The details of list views are erased; what remains names no complainant. "
                "The log itself is tamper-evident and is never changed."
            ),
        ),
    ]
