"""Access (P3.2, P5.3): every role against every kind of complaint, through the one selector
and every way in: the list, opening one, search, and the Django admin."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps as django_apps
from django.contrib import admin as django_admin
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from klachtbeheer.complaints import selectors
from klachtbeheer.complaints.models import AccessLog, Complaint, Measure
from klachtbeheer.complaints.selectors import (
    WorkListFilters,
    complaint_for,
    complaints_visible_to,
    work_calendar,
    work_list,
)
from klachtbeheer.complaints.workflow import Step
from klachtbeheer.core.audit import AuditAction, audit
from klachtbeheer.core.errors import NotFoundOrNoAccess
from klachtbeheer.core.models import AuditEntry
from klachtbeheer.intake.models import Source, Submission, SubmissionState
from klachtbeheer.letters.constants import MessageKind, MessageStatus
from klachtbeheer.letters.models import Letter, OutgoingMessage
from klachtbeheer.letters.services import outbox_queue
from klachtbeheer.organisation.models import Organisation, Role
from klachtbeheer.reminders.services import tick_run
from klachtbeheer.reporting.models import SatisfactionResponse
from tests.conftest import PC_NORTH, PC_SOUTH
from tests.factories import (
    ComplaintFactory,
    StaffFactory,
    UserFactory,
    grant_admin_view,
    take_step,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"

KINDS = ["own", "other", "assigned", "triage", "about", "about_other", "about_qm", "about_board"]
ROLES = [
    "quality_manager",
    "board",
    "dm_north",
    "dm_south",
    "staff",
    "no_profile",
    "anonymous",
    "inactive",
]
# What each role may see, written out by hand from P3.1, P3.2 and the access rules:
#   own          complainant in North, handled by dm_north
#   other        complainant in South, handled by dm_south
#   assigned     complainant in South, reassigned to dm_north by the quality manager
#   triage       no postcode: no district, no handler
#   about        about dm_north, complainant in North (dm_north's own district), board handles
#   about_other  about dm_south, complainant in North, board handles
#   about_qm     about the quality manager, complainant in North, board handles
#   about_board  about the board member who handles such complaints, in North: triage
VISIBLE = {
    "quality_manager": set(KINDS) - {"about_qm"},
    "board": set(KINDS) - {"about_board"},
    # District North and assigned; never "about".
    "dm_north": {"own", "assigned", "about_other", "about_qm", "about_board"},
    "dm_south": {"other", "assigned"},  # district South (also when assigned elsewhere)
    "staff": set(),
    "no_profile": set(),
    "anonymous": set(),
    "inactive": set(),  # an inactive quality manager
}
NAMES = {
    "own": "Anna Eigendistrict",
    "other": "Bram Anderdistrict",
    "assigned": "Cees Toegewezen",
    "triage": "Dirk Triagewachtrij",
    "about": "Eva Overnoord",
    "about_other": "Fien Overzuid",
    "about_qm": "Gert Overkwaliteit",
    "about_board": "Hans Overdirectie",
}


@dataclass
class Case:
    users: dict
    complaints: dict[str, Complaint]


@pytest.fixture
def case(world) -> Case:
    complaints = {
        "own": ComplaintFactory(postcode=PC_NORTH, name=NAMES["own"]),
        "other": ComplaintFactory(postcode=PC_SOUTH, name=NAMES["other"]),
        "assigned": take_step(
            Step.REASSIGN,
            ComplaintFactory(postcode=PC_SOUTH, name=NAMES["assigned"]),
            actor=world.qm,
            handler_id=world.dm_north.pk,
        ),
        "triage": ComplaintFactory(postcode="", name=NAMES["triage"]),
        "about": ComplaintFactory(
            postcode=PC_NORTH, name=NAMES["about"], manager_concerned=world.dm_north
        ),
        "about_other": ComplaintFactory(
            postcode=PC_NORTH, name=NAMES["about_other"], manager_concerned=world.dm_south
        ),
        "about_qm": ComplaintFactory(
            postcode=PC_NORTH, name=NAMES["about_qm"], manager_concerned=world.qm
        ),
        "about_board": ComplaintFactory(
            postcode=PC_NORTH, name=NAMES["about_board"], manager_concerned=world.board
        ),
    }
    assert complaints["own"].handler == world.dm_north
    assert complaints["assigned"].district == world.south
    assert complaints["assigned"].handler == world.dm_north
    assert complaints["triage"].district is None
    assert complaints["about"].district == world.north
    assert complaints["about"].handler == world.board
    assert complaints["about_qm"].handler == world.board
    assert complaints["about_board"].handler is None
    users = {
        "quality_manager": world.qm,
        "board": world.board,
        "dm_north": world.dm_north,
        "dm_south": world.dm_south,
        "staff": world.staff,
        "no_profile": UserFactory(username="zonderprofiel"),
        "anonymous": AnonymousUser(),
        "inactive": StaffFactory(quality_manager=True, username="oud", is_active=False),
    }
    return Case(users=users, complaints=complaints)


ROLE_KIND = [(role, kind) for role in ROLES for kind in KINDS]


@pytest.mark.parametrize(("role", "kind"), ROLE_KIND, ids=[f"{r}-{k}" for r, k in ROLE_KIND])
def test_selector_open_and_search(case, role, kind):
    user = case.users[role]
    complaint = case.complaints[kind]
    may_see = kind in VISIBLE[role]

    # The list.
    assert complaints_visible_to(user).filter(pk=complaint.pk).exists() is may_see

    # Opening it: logged when allowed, "not found" (never "forbidden") when not.
    logs_before = AccessLog.objects.count()
    if may_see:
        opened = complaint_for(user, reference=complaint.reference, via="web")
        assert opened.pk == complaint.pk
        log = AccessLog.objects.latest("id")
        assert (log.complaint_id, log.user_id, log.via) == (complaint.pk, user.pk, "web")
        assert AccessLog.objects.count() == logs_before + 1
    else:
        with pytest.raises(NotFoundOrNoAccess) as refused:
            complaint_for(user, reference=complaint.reference, via="web")
        assert refused.value.status == 404
        assert complaint.reference in str(refused.value)
        assert AccessLog.objects.count() == logs_before

    # Search and the work list, by reference and by name.
    for text in (complaint.reference, NAMES[kind], NAMES[kind].split()[1].lower()):
        found = work_list(
            user,
            filters=WorkListFilters(q=text),
            calendar=work_calendar(),
            organisation=Organisation.current(),
        )
        assert (complaint.pk in {c.pk for c in found}) is may_see, text
        searched = selectors.search(complaints_visible_to(user), text)
        assert searched.filter(pk=complaint.pk).exists() is may_see, text


SHAPES = ["counted", "capped, walked in order", "capped, sparse, sorted"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("role", ROLES)
def test_every_shape_of_a_search_page_shows_only_what_the_user_may_see(
    case, role, shape, monkeypatch
):
    """The work list's page of a search, however it is read (issue 15): counted under the
    cap and sorted, over the cap walking the list's order, or over the cap with sparse
    matches found by their indexes and sorted (`selectors.sparse`). The access rule is in
    each query (P3.2)."""
    if shape != "counted":
        monkeypatch.setattr(selectors.CappedPaginator, "cap", 0)
    if shape == "capped, sparse, sorted":
        monkeypatch.setattr(selectors, "sparse", lambda queryset: True)
    user = case.users[role]
    for kind, complaint in case.complaints.items():
        for text in (NAMES[kind], NAMES[kind].split()[1].lower()):
            queryset = work_list(
                user,
                filters=WorkListFilters(q=text),
                calendar=work_calendar(),
                organisation=Organisation.current(),
            )
            paginator = selectors.CappedPaginator(
                queryset, 50, order_when_few=selectors.WORK_LIST_ORDER_FEW
            )
            shown = {c.pk for c in paginator.get_page(1).object_list}
            assert (complaint.pk in shown) is (kind in VISIBLE[role]), (kind, text)


@pytest.mark.parametrize(("role", "kind"), ROLE_KIND, ids=[f"{r}-{k}" for r, k in ROLE_KIND])
def test_admin(client, case, role, kind):
    user = case.users[role]
    complaint = case.complaints[kind]
    may_see = kind in VISIBLE[role]
    changelist = reverse("admin:complaints_complaint_changelist")
    change = reverse("admin:complaints_complaint_change", args=[complaint.pk])

    if role != "anonymous":
        grant_admin_view(user)
        client.force_login(user, backend=MODEL_BACKEND)

    can_use_admin = role not in ("anonymous", "inactive")
    logs_before = AccessLog.objects.count()
    for query in ("", complaint.reference, NAMES[kind], complaint.complainant_email):
        response = client.get(changelist, {"q": query} if query else {})
        if not can_use_admin:
            assert response.status_code == 302
            assert "/login/" in response["Location"]
            continue
        assert response.status_code == 200
        shown = {c.pk for c in response.context["cl"].result_list}
        assert (complaint.pk in shown) is may_see, query
        if query != complaint.reference:  # the search box repeats what was searched for
            assert (complaint.reference in response.content.decode()) is may_see, query

    response = client.get(change)
    if not can_use_admin:
        assert response.status_code == 302
        assert "/login/" in response["Location"]
    elif may_see:
        assert response.status_code == 200
        assert complaint.reference in response.content.decode()
        log = AccessLog.objects.latest("id")
        assert (log.complaint_id, log.user_id, log.via) == (complaint.pk, user.pk, "admin")
    else:
        # The admin answers as for an object that does not exist.
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:index")
    assert AccessLog.objects.count() == logs_before + (1 if (may_see and can_use_admin) else 0)

    # Its history page goes through the same queryset.
    history = client.get(reverse("admin:complaints_complaint_history", args=[complaint.pk]))
    assert (history.status_code == 200) is (may_see and can_use_admin)


def test_every_opening_is_logged(case):
    user = case.users["dm_north"]
    complaint = case.complaints["own"]
    for _ in range(3):
        complaint_for(user, reference=complaint.reference, via="web")
    complaint_for(user, reference=complaint.reference, via="export")
    assert list(
        AccessLog.objects.filter(complaint=complaint, user=user)
        .order_by("id")
        .values_list("via", flat=True)
    ) == ["web", "web", "web", "export"]
    # Services open complaints to change them, not to show them: no access row.
    complaint_for(user, reference=complaint.reference, via="")
    assert AccessLog.objects.filter(complaint=complaint).count() == 4


def test_complaint_for_unknown_reference_is_the_same_answer(case):
    with pytest.raises(NotFoundOrNoAccess) as unknown:
        complaint_for(case.users["quality_manager"], reference="KL-1999-00001", via="web")
    with pytest.raises(NotFoundOrNoAccess) as hidden:
        complaint_for(
            case.users["dm_north"], reference=case.complaints["about"].reference, via="web"
        )
    assert unknown.value.code == hidden.value.code == "not_found"
    assert type(unknown.value) is type(hidden.value)


def test_the_manager_concerned_never_sees_it_through_any_work_list_filter(case, world):
    dm = case.users["dm_north"]
    about = case.complaints["about"]
    filters = [
        WorkListFilters(),
        WorkListFilters(district=world.north.pk),
        WorkListFilters(handler=world.board.pk),
        WorkListFilters(state=about.state),
        WorkListFilters(term="open"),
        WorkListFilters(term="at_risk"),
        WorkListFilters(term="missed"),
        WorkListFilters(q=about.reference),
        WorkListFilters(q=about.complainant_email),
        WorkListFilters(q="jobcoach"),  # the substantiation (full text on PostgreSQL)
        WorkListFilters(q="Re-integratietraject"),  # the service
    ]
    for f in filters:
        found = work_list(
            dm, filters=f, calendar=work_calendar(), organisation=Organisation.current()
        )
        assert about.pk not in {c.pk for c in found}, f
    # ... while the quality manager finds it by its text.
    found = work_list(
        case.users["quality_manager"],
        filters=WorkListFilters(q="jobcoach"),
        calendar=work_calendar(),
        organisation=Organisation.current(),
    )
    assert about.pk in {c.pk for c in found}


def test_the_manager_concerned_cannot_take_steps_on_it(case):
    about = case.complaints["about"]
    for step in (Step.ADD_NOTE, Step.ACCEPT, Step.SET_PERSON_CONCERNED):
        with pytest.raises(NotFoundOrNoAccess):
            take_step(step, about, actor=case.users["dm_north"])


def test_a_superuser_district_manager_concerned_sees_nothing_of_it_in_the_admin(client, case):
    """Even as a superuser, the manager concerned finds no trace of the complaint (P3.2)."""
    dm = case.users["dm_north"]
    about = case.complaints["about"]
    # Activity on the complaint that leaves access and audit rows.
    complaint_for(case.users["board"], reference=about.reference, via="web")
    take_step(Step.ADD_NOTE, about, actor=case.users["board"])
    dm.is_staff = dm.is_superuser = True
    dm.save()
    client.force_login(dm, backend=MODEL_BACKEND)

    pages = [
        reverse("admin:complaints_complaint_changelist"),
        reverse("admin:complaints_complaint_changelist") + f"?q={about.reference}",
        reverse("admin:complaints_accesslog_changelist"),
        reverse("admin:core_auditentry_changelist"),
        reverse("admin:core_auditentry_changelist") + f"?q={about.pk}",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        for row in response.context["cl"].result_list:
            if isinstance(row, Complaint):
                assert row.pk != about.pk, page
            elif isinstance(row, AccessLog):
                assert row.complaint_id != about.pk, page
            else:
                assert (row.target_type, row.target_id) != (
                    "complaints.complaint",
                    str(about.pk),
                ), page
        body = response.content.decode()
        if "?q=" not in page:  # the search box repeats what was searched for
            assert about.reference not in body, page
        assert f"complaints.complaint#{about.pk}<" not in body, page
        assert f"complaints.complaint#{about.pk} " not in body, page

    for entry in AuditEntry.objects.filter(
        target_type="complaints.complaint", target_id=str(about.pk)
    ):
        response = client.get(reverse("admin:core_auditentry_change", args=[entry.pk]))
        assert response.status_code == 302, entry
    assert (
        client.get(reverse("admin:complaints_complaint_change", args=[about.pk])).status_code == 302
    )


def test_the_quality_manager_sees_the_audit_trail_in_the_admin(client, case):
    qm = case.users["quality_manager"]
    grant_admin_view(qm)
    client.force_login(qm, backend=MODEL_BACKEND)
    about = case.complaints["about"]
    response = client.get(reverse("admin:core_auditentry_changelist"))
    assert response.status_code == 200
    shown = {entry.target_id for entry in response.context["cl"].result_list}
    assert str(about.pk) in shown


# --- staff e-mail (P3.2, P5.3): every message built from what its recipient may see ------

# The kinds of complaint above, each twice (one late, one with a term soon); every role
# that has an address. What each may see is VISIBLE.
MAIL_KINDS = KINDS
REFERENCE = re.compile(r"\bKL-\d{4}-\d{5,}\b")  # as the services write them
MAIL_ROLES = [role for role in ROLES if role != "anonymous"]
# Received Monday 2 February: contact done, verdict with a measure due 16 February; on
# Thursday 5 March the settlement term (2 March) has run out and the measure is overdue.
# Without a handler (triage) it stays received: both terms have run out.
LATE = dt.date(2026, 2, 2)
MEASURE_DUE = dt.date(2026, 2, 16)
# Received Monday 2 March: on Thursday 5 March the contact term (9 March) is two working
# days away, so its reminder is due.
SOON = dt.date(2026, 3, 2)
TICK = dt.datetime(2026, 3, 5, 10, tzinfo=ZoneInfo("Europe/Amsterdam"))
NO_HANDLER = {"triage", "about_board"}
# Who gets which kind of staff e-mail about which complaint ("soon"/"late", kind), by hand:
#   term     reminder before a term: the handler; without one the quality manager
#   digest   overdue terms: the quality manager, what they may see; the rest the board
#   measures overdue measures: the owner; the one owned by dm_north on the complaint about
#            dm_north (as the old verdict page allowed) goes to the quality manager
EXPECTED_MAIL = {
    "quality_manager": {
        "term": {("soon", "triage"), ("soon", "about_board")},
        "digest": {("late", k) for k in MAIL_KINDS if k != "about_qm"},
        "measures": {("late", "about")},
    },
    "board": {
        "term": {("soon", "about"), ("soon", "about_other"), ("soon", "about_qm")},
        "digest": {("late", "about_qm")},
        "measures": {("late", "about"), ("late", "about_other"), ("late", "about_qm")},
    },
    "dm_north": {
        "term": {("soon", "own"), ("soon", "assigned")},
        "measures": {("late", "own"), ("late", "assigned")},
    },
    "dm_south": {"term": {("soon", "other")}, "measures": {("late", "other")}},
}


@dataclass
class MailCase:
    users: dict
    complaints: dict[tuple[str, str], Complaint]  # (variant, kind) → complaint


def _register_kind(world, kind: str, received_on: dt.date) -> Complaint:
    postcode = {"other": PC_SOUTH, "assigned": PC_SOUTH, "triage": ""}.get(kind, PC_NORTH)
    about = {
        "about": world.dm_north,
        "about_other": world.dm_south,
        "about_qm": world.qm,
        "about_board": world.board,
    }.get(kind)
    complaint = ComplaintFactory(
        received_on=received_on,
        postcode=postcode,
        name=f"{NAMES[kind]} {received_on:%m}",
        manager_concerned=about,
    )
    if kind == "assigned":
        complaint = take_step(
            Step.REASSIGN, complaint, actor=world.qm, handler_id=world.dm_north.pk
        )
    return complaint


def _to_verdict(world, complaint: Complaint) -> Complaint:
    """Contact, no meeting and a verdict on the day of receipt, its measure due two weeks on."""
    day = complaint.received_on
    for step, kwargs in (
        (Step.ACCEPT, {}),
        (Step.RECORD_CONTACT, {"on": day}),
        (Step.WAIVE_MEETING, {}),
        (
            Step.RECORD_VERDICT,
            {
                "measures": [f"Maatregel {complaint.complainant_name}"],
                "decided_on": day,
                "measures_due_on": MEASURE_DUE,
            },
        ),
    ):
        complaint = take_step(step, complaint, actor=world.board, **kwargs)
    return complaint


@pytest.fixture
def mail_case(world, clock) -> MailCase:
    complaints: dict[tuple[str, str], Complaint] = {}
    clock(LATE)
    for kind in MAIL_KINDS:
        complaint = _register_kind(world, kind, LATE)
        if kind not in NO_HANDLER:
            complaint = _to_verdict(world, complaint)
        complaints["late", kind] = complaint
    # A measure of the complaint about dm_north, owned by dm_north: what the old verdict
    # page allowed (it offered the manager concerned). It must never reach dm_north.
    Measure.objects.create(
        complaint=complaints["late", "about"],
        description="Gesprek van de directie met de districtsmanager",
        owner=world.dm_north,
        due_on=MEASURE_DUE,
    )
    clock(SOON)
    for kind in MAIL_KINDS:
        complaints["soon", kind] = _register_kind(world, kind, SOON)
    assert complaints["soon", "about_qm"].handler == world.board
    assert complaints["soon", "about_board"].handler is None
    assert complaints["late", "own"].measures.get().owner == world.dm_north
    users = {
        "quality_manager": world.qm,
        "board": world.board,
        "dm_north": world.dm_north,
        "dm_south": world.dm_south,
        "staff": world.staff,
        "no_profile": UserFactory(username="zonderprofiel"),
        "inactive": StaffFactory(quality_manager=True, username="oud", is_active=False),
    }
    return MailCase(users=users, complaints=complaints)


def _mail_kind(message: OutgoingMessage) -> str:
    if message.kind == MessageKind.DIGEST:
        return "digest"
    return "measures" if message.dedupe_key.startswith("measures") else "term"


def _staff_mail(case: MailCase) -> dict[str, dict[str, set[tuple[str, str]]]]:
    """Per recipient's address: per kind of mail, the complaints its subjects and texts name."""
    by_reference = {c.reference: key for key, c in case.complaints.items()}
    mail: dict[str, dict[str, set]] = {}
    for message in OutgoingMessage.objects.exclude(kind=MessageKind.LETTER):
        named = REFERENCE.findall(f"{message.subject}\n{message.body}")
        mail.setdefault(message.to, {}).setdefault(_mail_kind(message), set()).update(
            by_reference[reference] for reference in named
        )
        # The message records the complaints it names: the outbox hides it from others.
        assert {by_reference[c.reference] for c in message.mentions.all()} == {
            by_reference[reference] for reference in named
        }, message.subject
    return mail


@pytest.mark.parametrize("role", MAIL_ROLES)
def test_staff_mail_names_only_what_the_recipient_may_see(mail_case, role):
    """The tick at a moment when every kind of staff e-mail is due: per recipient, which
    complaints each names (every role, every kind of complaint, one about the recipient)."""
    tick_run(now=TICK)
    mail = _staff_mail(mail_case).get(mail_case.users[role].email, {})
    named = set().union(*mail.values()) if mail else set()
    assert {kind for _variant, kind in named} <= VISIBLE[role]
    expected = EXPECTED_MAIL.get(role, {})
    assert {k: v for k, v in mail.items() if v} == {k: v for k, v in expected.items() if v}
    # Nothing to tell is dropped: every complaint reaches someone.
    if role == "quality_manager":
        everyone = set().union(*(set().union(*m.values()) for m in _staff_mail(mail_case).values()))
        assert everyone == set(mail_case.complaints)


def test_staff_mail_is_built_in_the_query_and_sent_once(mail_case):
    """Twice the same tick queues nothing new; the board's digest says why it gets it."""
    first = tick_run(now=TICK)
    # Eight term reminders; measures one message per recipient: dm_north, dm_south, the
    # board, and the quality manager for the one dm_north may not be reminded of.
    assert (first.reminders, first.digests, first.nobody_to_tell) == (8 + 4, 2, 0)
    again = tick_run(now=TICK)
    assert (again.reminders, again.digests) == (0, 0)
    board_digest = OutgoingMessage.objects.get(
        kind=MessageKind.DIGEST, to=mail_case.users["board"].email
    )
    assert "kwaliteitsmanager" in board_digest.body


def test_the_digest_counts_only_failed_e_mail_the_recipient_may_see(mail_case):
    failing = [mail_case.complaints["late", "own"], mail_case.complaints["late", "about_qm"]]
    OutgoingMessage.objects.filter(kind=MessageKind.LETTER, complaint__in=failing).update(
        status=MessageStatus.FAILED
    )
    tick_run(now=TICK)
    qm_digest = OutgoingMessage.objects.get(
        kind=MessageKind.DIGEST, to=mail_case.users["quality_manager"].email
    )
    board_digest = OutgoingMessage.objects.get(
        kind=MessageKind.DIGEST, to=mail_case.users["board"].email
    )
    failed = OutgoingMessage.objects.filter(status=MessageStatus.FAILED, complaint__in=failing)
    assert failed.count() == 2
    assert "mislukt): 1." in qm_digest.body  # own's, not the one about the quality manager
    assert "mislukt): 1." in board_digest.body  # the one about the quality manager
    assert failing[1].reference in board_digest.body


def test_without_a_quality_manager_with_an_address_the_board_is_told(mail_case):
    qm = mail_case.users["quality_manager"]
    qm.email = ""
    qm.save()
    tick_run(now=TICK)
    board = _staff_mail(mail_case)[mail_case.users["board"].email]
    # The board sees everything except the complaint about the board member: that one goes
    # to nobody with an address (logged and counted), the rest to the board.
    assert board["digest"] == {("late", k) for k in MAIL_KINDS if k != "about_board"}
    assert ("soon", "triage") in board["term"]
    assert ("soon", "about_board") not in board["term"]
    assert ("late", "about") in board["measures"]


def test_a_handler_who_lost_their_role_is_not_reminded_the_quality_manager_is(mail_case):
    dm = mail_case.users["dm_south"]
    dm.staff_profile.role = Role.STAFF
    dm.staff_profile.save()
    tick_run(now=TICK)
    mail = _staff_mail(mail_case)
    assert dm.email not in mail
    qm = mail[mail_case.users["quality_manager"].email]
    assert ("soon", "other") in qm["term"]
    assert ("late", "other") in qm["measures"]


# --- the admin: every changelist of a model tied to a complaint (P3.2) ----------------------

ADMIN_ROLES = ["quality_manager", "board", "dm_north", "dm_south", "staff", "no_profile"]


def _tied_to_complaints(model) -> bool:
    if model in (Complaint, AuditEntry):
        return True
    return any(
        field.is_relation and field.related_model is Complaint
        for field in model._meta.get_fields()
        if field.concrete
    )


def _complaints_of(row) -> set[int]:
    """The complaints an admin row belongs to or names."""
    if isinstance(row, Complaint):
        return {row.pk}
    if isinstance(row, AuditEntry):
        model = django_apps.get_model(row.target_type)
        target = model._default_manager.filter(pk=row.target_id).first()
        return _complaints_of(target) if target is not None else set()
    found: set[int] = set()
    for field in row._meta.get_fields():
        if not (field.concrete and field.is_relation and field.related_model is Complaint):
            continue
        if field.many_to_many:
            found |= set(getattr(row, field.name).values_list("pk", flat=True))
        elif getattr(row, field.attname) is not None:
            found.add(getattr(row, field.attname))
    return found


def test_every_admin_of_a_model_tied_to_a_complaint_is_in_the_matrix():
    tied = {
        model._meta.label_lower
        for model in django_admin.site._registry
        if _tied_to_complaints(model)
    }
    assert tied == {
        "complaints.complaint",
        "complaints.accesslog",
        "core.auditentry",
        "complaints.measure",
        "reporting.satisfactionresponse",
        "letters.letter",
        "letters.outgoingmessage",
        "intake.submission",
    }


@pytest.fixture
def admin_case(case, world) -> Case:
    """Each complaint with a row in every admin list: opened, a measure, an answer, a
    submission, its acknowledgement (letter and e-mail), and a staff e-mail naming it."""
    for complaint in case.complaints.values():
        viewer = world.board if complaint.manager_concerned != world.board else world.qm
        complaint_for(viewer, reference=complaint.reference, via="web")
        measure = Measure.objects.create(complaint=complaint, description="Excuses")
        audit(
            actor=None,
            action=AuditAction.MEASURE_UPDATE,
            target=measure,
            reference=complaint.reference,
        )
        SatisfactionResponse.objects.create(complaint=complaint, score=4)
        Submission.objects.create(
            received_on=complaint.received_on,
            source=Source.WEB_FORM,
            state=SubmissionState.REGISTERED,
            complaint=complaint,
        )
        outbox_queue(
            kind=MessageKind.DIGEST,
            to="overzicht@imk.example",
            subject="Overzicht",
            body=f"- {complaint.reference}\n",
        )
    Submission.objects.create(received_on=dt.date.today(), source=Source.WEB_FORM)  # held
    assert Letter.objects.filter(complaint__in=case.complaints.values()).count() == len(KINDS)
    return case


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_admin_lists_show_only_what_the_user_may_see(client, admin_case, role):
    """Every admin changelist tied to a complaint, as a superuser of each role: no row, no
    reference and no detail page of a complaint the user may not see (P3.2, P5.3)."""
    user = admin_case.users[role]
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user, backend=MODEL_BACKEND)
    visible = {admin_case.complaints[kind].pk for kind in VISIBLE[role]}
    hidden = {c.pk: c.reference for c in admin_case.complaints.values() if c.pk not in visible}
    for model, model_admin in django_admin.site._registry.items():
        if not _tied_to_complaints(model):
            continue
        info = (model._meta.app_label, model._meta.model_name)
        response = client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert response.status_code == 200, model
        rows = list(response.context["cl"].result_list)
        shown = set().union(*(_complaints_of(row) for row in rows)) if rows else set()
        assert shown <= visible, model
        body = response.content.decode()
        for reference in hidden.values():
            assert reference not in body, (model, reference)
        # Every row of a visible complaint is there (the list is not simply empty).
        everything = model_admin.model._default_manager.all()
        wanted = {row.pk for row in everything if (_complaints_of(row) & visible)}
        wanted -= {row.pk for row in everything if (_complaints_of(row) - visible)}
        assert wanted <= {row.pk for row in rows}, model
        # A row of a hidden complaint: its page answers as for one that does not exist.
        for row in everything:
            if _complaints_of(row) - visible:
                page = client.get(reverse("admin:{}_{}_change".format(*info), args=[row.pk]))
                assert page.status_code == 302, (model, row.pk)
                break
        # The pages of the rows shown name no hidden complaint (a digest's text, audit data).
        if model in (OutgoingMessage, AuditEntry):
            for row in rows:
                page = client.get(reverse("admin:{}_{}_change".format(*info), args=[row.pk]))
                assert page.status_code == 200
                for reference in hidden.values():
                    assert reference not in page.content.decode(), (model, row.pk)
