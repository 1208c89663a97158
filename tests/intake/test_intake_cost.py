"""What one intake costs the database (issue 15): statements and durable commits, counted.

A registration is one transaction: the spam checks' writes (rate limit, spent
proof of work), the complaint, its events, the owed acknowledgement, the
submission, the status link and the audit rows commit together, and nothing else
commits in the request (what the "received" page shows is in a signed cookie).
The reference is numbered last but the audit rows, so the year's counter is
locked only from that statement to the commit; the acknowledgement is drafted by
the worker afterwards (`letters_draft_owed`).
"""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from klachtbeheer.complaints.models import Complaint, EventKind, LetterKind
from klachtbeheer.core.models import AuditEntry
from klachtbeheer.intake import services
from klachtbeheer.intake.models import RateBucket, Submission, SubmissionState
from klachtbeheer.letters import services as letter_services
from klachtbeheer.letters.models import Letter, LetterDue, OutgoingMessage
from klachtbeheer.letters.services import letters_draft_owed
from tests.intake.conftest import form_data

pytestmark = pytest.mark.django_db(transaction=True)

# The statements of one clean intake without files (from 44-50 and 5 commits on the old
# main, 15 after the first round of issue 15). PostgreSQL numbers the reference in one
# statement; SQLite needs two. What they are, for the form: the visitor's rate-limit hit
# (counted at once: nobody else's row), the spent proof of work, the postcode's district,
# complaint, owed letter, events (one insert), status link, submission, number, the two
# audit rows (one insert). The rate-limit salt and the organisation are read by a process
# now and then, not per intake; the page says it showed no stored files. The API reads its
# key instead of the proof of work, and writes and checks its rate limits at the end.
MAX_STATEMENTS = 10 if connection.vendor == "postgresql" else 11
# Transaction control is counted apart (commits by `commits`, savepoints must be none).
BOOKKEEPING = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN", "COMMIT")


@pytest.fixture(autouse=True)
def woken_a_moment_ago(monkeypatch):
    """The worker was woken to draft a moment ago, so these intakes do not wake it again.

    The wake-up (`letters.services._wake_for_drafting`) runs after the commit at most once
    a second per process; whether an intake falls in a new second is the clock's choice,
    so the statements counted here leave it out. It is counted on its own below.
    """
    monkeypatch.setattr(letter_services, "_last_drafting_wake", [time.monotonic()])
    monkeypatch.setattr(letter_services, "DRAFTING_WAKE_SECONDS", 3600.0)


@pytest.fixture
def commits(monkeypatch):
    """How often the connection commits (a durable commit is connection.commit())."""
    counted = []
    real = connection.commit

    def commit():
        counted.append(1)
        return real()

    monkeypatch.setattr(connection, "commit", commit)
    return counted


def statements(queries) -> list[str]:
    """The request's statements, without transaction control and, on SQLite, without the
    hash chain's link per history row (`core.chain._seal_here`: SQLite has one writer, so
    rows are linked as written). PostgreSQL links them at COMMIT, in the database."""
    sql = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(BOOKKEEPING)]
    if connection.vendor == "postgresql":
        assert not [s for s in sql if "core_chainhead" in s], "PostgreSQL seals at COMMIT"
        return sql
    return [s for s in sql if "core_chainhead" not in s]


def savepoints(queries) -> int:
    return sum(1 for q in queries.captured_queries if q["sql"].startswith("SAVEPOINT"))


def _post_form(client, n: int):
    # As the page sends it: the form showed no stored files (`draft_files`).
    data = form_data(email=f"bezoeker{n}@example.nl", draft=f"{n:032d}", draft_files="0")
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("intake:form"), data)
    assert response.status_code == 302, response.content.decode()[:500]
    return queries


def test_a_form_intake_is_one_commit_with_few_statements(client, world, commits):
    _post_form(client, 1)  # warm up: the salt, content types
    commits.clear()
    queries = _post_form(client, 2)
    sql = statements(queries)
    assert len(sql) <= MAX_STATEMENTS, "\n".join(s[:120] for s in sql)
    assert savepoints(queries) == 0
    assert len(commits) == 1
    assert Complaint.objects.count() == 2


def test_the_worker_is_woken_after_the_commit_once_a_second(client, world, monkeypatch):
    """The first intake in a second wakes the worker after its commit (two statements on
    the task table, outside the registration's transaction); the next ones in that
    second leave the task table alone: one wake-up serves them all."""
    monkeypatch.setattr(letter_services, "_last_drafting_wake", [-1e9])
    first, second = (statements(_post_form(client, n)) for n in (1, 2))
    tasks = [s for s in first if "dbtaskresult" in s.lower()]
    assert len(tasks) == 2 and tasks[-1].startswith("INSERT"), tasks
    assert first.index(tasks[0]) > max(i for i, s in enumerate(first) if "core_auditentry" in s)
    assert not [s for s in second if "dbtaskresult" in s.lower()]


def test_the_received_page_reads_the_signed_cookie(client, world):
    response = client.post(reverse("intake:form"), form_data())
    page = client.get(response["Location"])
    complaint = Complaint.objects.get()
    assert complaint.reference in page.content.decode()
    client.cookies["kb_received"] = "forged"
    assert client.get(reverse("intake:received"))["Location"] == reverse("intake:form")


def test_an_api_intake_is_one_commit_with_few_statements(client, world, commits):
    from tests.api.test_api import intake_payload

    _key, secret = services.api_key_create(actor=world.qm, name="gemeente-site")
    url = "/api/v1/complaints"
    client.post(
        url, intake_payload(email="a1@example.nl"), "application/json", HTTP_X_API_KEY=secret
    )
    commits.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            url, intake_payload(email="a2@example.nl"), "application/json", HTTP_X_API_KEY=secret
        )
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "registered"
    assert len(commits) == 1
    assert savepoints(queries) == 0
    # The API looks up its key instead; no draft files to read.
    assert len(statements(queries)) <= MAX_STATEMENTS, "\n".join(
        s[:120] for s in statements(queries)
    )


def test_the_reference_is_numbered_last_but_the_audit_rows(client, world):
    _post_form(client, 1)
    sql = statements(_post_form(client, 2))
    counter = next(i for i, s in enumerate(sql) if "complaints_referencecounter" in s)
    after = [s for s in sql[counter + 1 :] if not s.startswith("UPDATE")]
    assert after and all('INSERT INTO "core_auditentry"' in s for s in after), after
    complaint = Complaint.objects.order_by("id").last()
    assert complaint.reference.startswith(f"KL-{complaint.received_on.year}-")
    audit = AuditEntry.objects.get(
        action="intake.registered", target_id=str(complaint.submission.pk)
    )
    assert audit.data["reference"] == complaint.reference


def test_the_worker_drafts_the_acknowledgement_after_the_commit(client, world):
    client.post(reverse("intake:form"), form_data())
    complaint = Complaint.objects.get()
    due = LetterDue.objects.get(complaint=complaint, kind=LetterKind.ACKNOWLEDGEMENT)
    assert complaint.events.filter(kind=EventKind.LETTER_OWED).exists()
    assert not Letter.objects.exists()  # not drafted in the request
    assert letters_draft_owed() == 1
    letter = Letter.objects.get(due=due)
    assert letter.our_reference == complaint.reference  # the final number, not the stand-in
    assert complaint.reference in letter.text
    assert OutgoingMessage.objects.filter(letter=letter).exists()
    assert letters_draft_owed() == 0  # once


def test_an_api_intake_over_its_limit_is_held_all_the_same(client, world, settings, commits):
    """The API's limits are checked when its hits are written, at the end; over one, the
    registration is rolled back and the submission held, in the request's one commit."""
    from tests.api.test_api import intake_payload

    settings.INTAKE_API_SUBMISSIONS_PER_HOUR = 1
    _key, secret = services.api_key_create(actor=world.qm, name="gemeente-site")

    def post(email):
        return client.post(
            "/api/v1/complaints",
            intake_payload(email=email),
            "application/json",
            HTTP_X_API_KEY=secret,
        )

    assert post("a1@example.nl").json()["status"] == "registered"
    commits.clear()
    answer = post("a2@example.nl")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["status"] == "held_for_review"
    assert answer.json()["reference"] is None
    assert len(commits) == 1
    assert Complaint.objects.count() == 1  # the first attempt left nothing behind
    held = Submission.objects.get(state=SubmissionState.PENDING)
    assert held.spam_reasons == ["rate_limited"]
    assert held.complaint_id is None
    # Both submissions counted, the held one once.
    assert sorted(RateBucket.objects.values_list("count", flat=True)) == [2, 2]
