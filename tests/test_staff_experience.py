"""Staff-side points of issue 14.5, each checked as a handler meets it.

- requirement numbers such as "(P3.8)" are not shown on staff pages;
- a colleague without a complaints role lands on a page with a way to log out, not on a 404;
- an owed letter put off with "Niet nu" shows on the work list with the date it must go by,
  only to those who may see its complaint (P3.2);
- service accounts (`kbk_` tokens acting as a role) are no person in any list of people.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from klachtbeheer.accounts import services as account_services
from klachtbeheer.complaints.forms import ReassignForm, WorkListFilterForm
from klachtbeheer.complaints.models import LetterKind
from klachtbeheer.complaints.workflow import State, Step
from klachtbeheer.core.errors import ProcedureError
from klachtbeheer.letters import content as letter_content
from klachtbeheer.letters import services as letter_services
from klachtbeheer.letters.selectors import letters_waiting
from klachtbeheer.organisation.models import Role
from klachtbeheer.organisation.selectors import assignable_handlers, people
from klachtbeheer.reminders import services as reminder_services
from tests.factories import ComplaintFactory, take_step, today

pytestmark = pytest.mark.django_db

REQUIREMENT_CODE = re.compile(r"\bP[1-5]\.\d+\b")
PASSWORD = "staff-ervaring-2026"


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- requirement numbers --------------------------------------------------------------------


def test_staff_pages_show_no_requirement_numbers(client, world):
    """Every step form, the complaint page (also of a complaint about a district manager, with
    a UWV client and an extension), the register form and the print queue."""
    about_manager = ComplaintFactory(state=State.CONTACTED, manager_concerned=world.dm_north)
    ComplaintFactory(state=State.MEETING_PLANNED)
    ComplaintFactory(state=State.RECEIVED)
    ComplaintFactory(state=State.DECIDED)
    client.force_login(world.qm)
    queue = [
        reverse("complaints:work_list"),
        reverse("complaints:register"),
        reverse("letters:print_queue"),
        about_manager.get_absolute_url(),
    ]
    seen: set[str] = set()
    found: dict[str, str] = {}
    while queue and len(seen) < 60:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code not in (200, 409):
            continue
        html = response.content.decode()
        if match := REQUIREMENT_CODE.search(visible_text(html)):
            found[path] = match.group(0)
        for href in re.findall(r'href="([^"]+)"', html):
            parts = urlsplit(href)
            if parts.path.startswith("/klachten/") and not parts.query:
                queue.append(parts.path)
    assert sum("/stap/" in p for p in seen) >= 8, sorted(seen)  # the step forms were read
    assert not found


# --- signing in without a complaints role ---------------------------------------------------


@pytest.mark.parametrize("who", ["staff", "no_profile"])
def test_a_colleague_without_a_role_lands_on_a_page_with_logout(
    client, world, user_without_profile, who
):
    user = world.staff if who == "staff" else user_without_profile
    user.set_password(PASSWORD)
    user.save()
    world.qm.email = "kwaliteit@imk.example"
    world.qm.save()
    with translation.override("nl"):
        response = client.post(
            reverse("login"), {"username": user.get_username(), "password": PASSWORD}, follow=True
        )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("home")
    html = response.content.decode()
    assert "geen rol bij het behandelen van klachten" in html
    assert f'action="{reverse("logout")}"' in html
    assert "kwaliteit@imk.example" in html  # whom to pass a complaint to
    assert reverse("complaints:work_list") not in html  # no menu item that leads to a 404
    # The work list's address takes them to the same page; the logout works.
    assert client.get(reverse("complaints:work_list"))["Location"] == reverse("home")
    client.post(reverse("logout"))
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_a_handler_still_lands_on_the_work_list(client, world):
    world.dm_north.set_password(PASSWORD)
    world.dm_north.save()
    response = client.post(
        reverse("login"),
        {"username": world.dm_north.get_username(), "password": PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("complaints:work_list")


# --- owed letters put off with "Niet nu" ------------------------------------------------------


def test_a_postponed_letter_shows_on_the_work_list_with_its_date(client, world):
    complaint = ComplaintFactory(state=State.MEETING_PLANNED)  # north; invitation owed
    due = complaint.letters_due.get(kind=LetterKind.MEETING_INVITATION)
    meeting_day = timezone.localtime(dt.datetime.fromisoformat(due.data["at"])).date()
    send_page = reverse("letters:due", args=[complaint.reference, due.pk])

    client.force_login(world.dm_north)
    with translation.override("nl"):
        html = client.get(reverse("complaints:work_list")).content.decode()
    assert "1 brief aan de klager moet nog worden verstuurd" in html
    assert f'href="{send_page}"' in html
    assert "versturen uiterlijk" in html
    assert f"{meeting_day.day} " in visible_text(html)

    # Not for a district manager who may not see the complaint (P3.2), in the query.
    client.force_login(world.dm_south)
    assert send_page not in client.get(reverse("complaints:work_list")).content.decode()
    assert letters_waiting(world.dm_south) == ([], 0)

    # Sent: gone from the list.
    letter_services.letter_send(actor=world.dm_north, reference=complaint.reference, due_id=due.pk)
    client.force_login(world.dm_north)
    assert send_page not in client.get(reverse("complaints:work_list")).content.decode()


def test_waiting_letters_are_read_in_a_fixed_number_of_queries(world, django_assert_num_queries):
    for _n in range(3):
        ComplaintFactory(state=State.MEETING_PLANNED)
    with django_assert_num_queries(1):
        rows, count = letters_waiting(world.dm_north)
        [row.due.complaint.reference for row in rows]
    assert count == 3
    assert all(row.send_by is not None and row.send_by >= today() for row in rows)


# --- service accounts are not people -----------------------------------------------------------


@pytest.fixture
def service_users(world):
    """Two service accounts acting as quality manager and as board, given an e-mail address
    (as an administrator might in the admin), so only the rule keeps them out of the lists."""
    users = []
    for role in (Role.QUALITY_MANAGER, Role.BOARD):
        account, _secret = account_services.service_account_create(
            actor=world.qm, name=f"koppeling-{role}", scope="read", days=30, role=role
        )
        account.user.email = f"{role}@koppeling.example"
        account.user.save()
        users.append(account.user)
    return users


def test_service_accounts_are_in_no_list_of_people(client, world, service_users):
    ids = {user.pk for user in service_users}
    assert not ids & set(people().values_list("pk", flat=True))
    assert not ids & set(assignable_handlers().values_list("pk", flat=True))
    # The handler choices of the work list's filter and of the reassign step.
    complaint = ComplaintFactory(state=State.ACCEPTED)
    filter_choices = {value for value, _label in WorkListFilterForm().fields["handler"].choices}
    assert not {str(pk) for pk in ids} & {str(v) for v in filter_choices}
    reassign = ReassignForm(complaint=complaint)
    assert not ids & set(reassign.fields["handler"].queryset.values_list("pk", flat=True))
    # Role mail: reminders and digests go to people with that role.
    for role in (Role.QUALITY_MANAGER, Role.BOARD):
        assert not ids & {user.pk for user in reminder_services._staff_with(role)}
    # The page of a complaint's reassign step offers none of them.
    client.force_login(world.qm)
    html = client.get(reverse("complaints:step", args=[complaint.reference, "reassign"]))
    for user in service_users:
        assert user.first_name not in html.content.decode()
    # The signature under a letter without a handler is a quality manager who is a person:
    # with the only one gone, none, rather than the integration's name.
    world.qm.is_active = False
    world.qm.save()
    complaint.handler = None
    assert letter_content.signer_for(complaint) == ("", "")


def test_the_colleagues_page_lists_service_accounts_apart(client, world, service_users):
    client.force_login(world.qm)
    html = client.get(reverse("accounts:users")).content.decode()
    for user in service_users:
        assert user.get_username() not in html


def test_a_service_account_cannot_be_made_owner_of_measures(world, service_users):
    """The verdict's service refuses it too, not only the form's choices."""
    complaint = ComplaintFactory(state=State.ASSESSING)
    with pytest.raises(ProcedureError) as refused:
        take_step(
            Step.RECORD_VERDICT, complaint, actor=world.qm, measure_owner_id=service_users[0].pk
        )
    assert refused.value.code == "bad_owner"
