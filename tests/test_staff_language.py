"""Staff pages in Dutch say dates and counts in Dutch (issue 14).

On main the held-submissions list, the API tokens and service accounts wrote
"8 Oct 2026" (a format spelled out in the template, with the English-looking
abbreviation), the dashboard said "1 antwoorden" and the review list
"signaal/signalen". Dates now come from the language's own formats
(klachtbeheer.formats) and counts go through ngettext / blocktranslate count.
The pages are found by following links from the work list, as a person would.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.utils import timezone, translation

from klachtbeheer.accounts import services as account_services
from klachtbeheer.accounts.models import ServiceAccount
from klachtbeheer.complaints.workflow import State
from klachtbeheer.intake import services as intake_services
from klachtbeheer.intake.models import StaffToken, Submission
from klachtbeheer.reporting import analysis
from klachtbeheer.reporting.models import SatisfactionResponse
from klachtbeheer.reporting.selectors import SatisfactionFigures
from tests.factories import ComplaintFactory, today

pytestmark = pytest.mark.django_db

# A day number and an English-style capitalised month ("1 Dec 2026"), or a month or weekday
# name Dutch never uses ("Oct", "May", "Mon"...). Dutch abbreviations are lower case here.
ENGLISH_DATE = re.compile(
    r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b"
    r"|\b(Mar|May|Oct|Mon|Tue|Wed|Thu|Fri|Sat|Sun|January|February|March|June|July|August"
    r"|October|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
)
WRONG_PLURAL = re.compile(
    r"\b1 (antwoorden|signalen|klachten|maatregelen|berichten|brieven|pogingen|dagen)\b"
    r"|signaal/signalen|\(s\)|\(en\)"
)
SKIP = re.compile(
    r"(\.pdf|\.csv|\.xlsx|\.ics|\.eml|/uitloggen/|/beheer/|/api/|/i18n/|/origineel/|"
    r"/bijlagen/|/export|/jaarverslag/|/csv/|^/en/|^/klacht/)"
)


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def last_october_6() -> dt.date:
    """A day whose month is written differently in Dutch and English (okt/Oct)."""
    day = dt.date(today().year, 10, 6)
    return day if day < today() else dt.date(today().year - 1, 10, 6)


@pytest.fixture
def october(world):
    """A complaint received in October with one survey answer, a held submission with one
    spam signal received then, and a service account whose token expires then."""
    day = last_october_6()
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(10, 30)))
    closed = ComplaintFactory(state=State.CLOSED, received_on=day)
    answer = SatisfactionResponse.objects.create(complaint=closed, score=4)
    SatisfactionResponse.objects.filter(pk=answer.pk).update(answered_at=moment)
    ComplaintFactory(state=State.ACCEPTED, received_on=day)
    Submission.objects.create(
        received_at=moment,
        received_on=day,
        source="web_form",
        spam_reasons=["too_fast"],
        data={"name": "Iemand Anders"},
    )
    account, _secret = account_services.service_account_create(
        actor=world.qm, name="crm", scope="read", days=30
    )
    ServiceAccount.objects.filter(pk=account.pk).update(expires_at=moment, last_used_at=moment)
    token, _secret = intake_services.staff_token_create(actor=world.qm, name="Zaaksysteem")
    StaffToken.objects.filter(pk=token.pk).update(expires_at=moment, last_used_at=moment)
    return day


def crawl(client, start: list[str], limit: int = 60) -> dict[str, str]:
    """Visible text of the staff pages reachable from `start`, one page per kind of address."""
    pages: dict[str, str] = {}
    queue, seen = list(start), set()
    while queue and len(pages) < limit:
        path = queue.pop(0)
        shape = re.sub(r"/\d+/", "/N/", re.sub(r"KL-\d{4}-\d+", "REF", path))
        if shape in seen:
            continue
        seen.add(shape)
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        html = response.content.decode()
        pages[path] = visible_text(html)
        for href in re.findall(r'href="([^"]+)"', html):
            parts = urlsplit(href.replace("&amp;", "&"))
            if parts.netloc or not parts.path.startswith("/") or SKIP.search(parts.path):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return pages


def test_dutch_staff_pages_write_dates_and_counts_in_dutch(client, world, october):
    client.force_login(world.qm)
    with translation.override("nl"):
        pages = crawl(
            client,
            [
                "/klachten/",
                f"/dashboard/?year={october.year}",
                "/inzendingen/",
                "/api-tokens/",
                "/gebruikers/koppelingen/",
            ],
        )
    assert len(pages) >= 15, sorted(pages)  # the crawl reached the pages
    english = {
        path: match.group(0) for path, text in pages.items() if (match := ENGLISH_DATE.search(text))
    }
    plurals = {
        path: match.group(0) for path, text in pages.items() if (match := WRONG_PLURAL.search(text))
    }
    assert not english
    assert not plurals
    # The October dates are there, in Dutch (and the pages that showed "Oct" do show them).
    assert f"6 oktober {october.year}" in pages["/inzendingen/"]
    assert f"6 oktober {october.year}" in pages["/api-tokens/"]
    assert f"6 oktober {october.year}" in pages["/gebruikers/koppelingen/"]
    assert "1 signaal" in pages["/inzendingen/"]
    assert "okt" in pages[f"/dashboard/?year={october.year}"]  # the month axis, lower case


def test_the_same_pages_in_english_write_english_dates(client, world, october):
    client.force_login(world.qm)
    with translation.override("en"):
        page = visible_text(client.get("/en/inzendingen/").content.decode())
    assert f"6 October {october.year}" in page
    assert "1 signal " in page or page.rstrip().endswith("1 signal")


@pytest.mark.parametrize(
    ("answers", "words"),
    [(1, "1 antwoord, gemiddeld"), (2, "2 antwoorden, gemiddeld")],
)
def test_the_survey_caption_counts_answers_in_dutch(answers, words):
    figures = SatisfactionFigures(
        per_score=[(1, 0), (2, 0), (3, 0), (4, answers), (5, 0)],
        answers=answers,
        average=4.0,
        very_unhappy=0,
    )
    with translation.override("nl"):
        assert analysis._satisfaction_caption(figures).startswith(words)
