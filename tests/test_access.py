"""Access (P3.2, P5.3): every role against every kind of complaint, through the one selector
and every way in: the list, opening one, search, and the Django admin."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from klachtbeheer.complaints import selectors
from klachtbeheer.complaints.models import AccessLog, Complaint
from klachtbeheer.complaints.selectors import (
    WorkListFilters,
    complaint_for,
    complaints_visible_to,
    work_calendar,
    work_list,
)
from klachtbeheer.complaints.workflow import Step
from klachtbeheer.core.errors import NotFoundOrNoAccess
from klachtbeheer.core.models import AuditEntry
from klachtbeheer.organisation.models import Organisation
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

KINDS = ["own", "other", "assigned", "triage", "about", "about_other"]
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
VISIBLE = {
    "quality_manager": set(KINDS),
    "board": set(KINDS),
    "dm_north": {"own", "assigned", "about_other"},  # district North, assigned; never "about"
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
    }
    assert complaints["own"].handler == world.dm_north
    assert complaints["assigned"].district == world.south
    assert complaints["assigned"].handler == world.dm_north
    assert complaints["triage"].district is None
    assert complaints["about"].district == world.north
    assert complaints["about"].handler == world.board
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
