"""Routing (P3.1, P3.2): the complainant's postcode picks the handler; the board handles
complaints about a district manager, never that manager."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from klachtbeheer.complaints import steps
from klachtbeheer.complaints.forms import PersonConcernedForm
from klachtbeheer.complaints.models import Complaint, Event, EventKind, Measure
from klachtbeheer.complaints.routing import route
from klachtbeheer.complaints.selectors import complaints_visible_to
from klachtbeheer.complaints.workflow import TRANSITIONS, State, Step
from klachtbeheer.core.errors import ProcedureError
from klachtbeheer.core.models import AuditEntry
from klachtbeheer.organisation.models import PostcodeRange
from klachtbeheer.organisation.selectors import district_for_postcode, normalise_postcode
from tests.conftest import PC_NORTH, PC_NOWHERE, PC_SOUTH, PC_VACANT
from tests.factories import ComplaintFactory, DistrictFactory, StaffFactory, take_step

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("3741AB", "3741 AB"),
        ("3741 ab", "3741 AB"),
        ("  3741  ab ", None),  # two spaces between digits and letters
        (" 3741ab ", "3741 AB"),
        ("0741 AB", None),
        ("3741", None),
        ("3741 A", None),
        ("3741 SS", None),
        ("3741 SA", None),
        ("3741 SD", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_postcode(raw, normal):
    assert normalise_postcode(raw) == normal


@pytest.mark.parametrize(
    ("postcode", "district"),
    [
        ("1000 AA", "North"),
        ("2999 ZZ", "North"),
        ("3000 AA", "North"),  # second range of North
        ("4999 ZZ", "North"),
        ("5000 AA", "South"),
        ("8999 ZZ", "South"),
        ("9000 AA", "Vacant"),
        ("9499 ZZ", "Vacant"),
        ("9500 AA", None),
        ("9999 XX", None),
        ("", None),
        ("rubbish", None),
    ],
)
def test_district_for_postcode(world, postcode, district):
    found = district_for_postcode(postcode)
    assert (found.name if found else None) == district


def test_postcode_picks_the_district_manager(world):
    north = ComplaintFactory(postcode=PC_NORTH)
    south = ComplaintFactory(postcode=PC_SOUTH)
    assert (north.district, north.handler) == (world.north, world.dm_north)
    assert (south.district, south.handler) == (world.south, world.dm_south)
    routed = Event.objects.get(complaint=north, kind=EventKind.ROUTED)
    assert routed.data == {"district": "North", "handler": world.dm_north.pk}


@pytest.mark.parametrize(
    ("postcode", "district"),
    [("", None), (PC_NOWHERE, None), (PC_VACANT, "Vacant")],
    ids=["no-postcode", "unknown-postcode", "district-without-manager"],
)
def test_no_handler_goes_to_triage(world, postcode, district):
    complaint = ComplaintFactory(postcode=postcode)
    assert complaint.handler is None
    assert (complaint.district.name if complaint.district else None) == district
    assert complaint.state == State.RECEIVED


def test_inactive_district_manager_goes_to_triage(world):
    world.dm_south.is_active = False
    world.dm_south.save()
    complaint = ComplaintFactory(postcode=PC_SOUTH)
    assert complaint.district == world.south
    assert complaint.handler is None


def test_invalid_postcode_is_refused(world):
    with pytest.raises(ProcedureError) as refused:
        ComplaintFactory(postcode="12345")
    assert refused.value.code == "bad_postcode"


@pytest.mark.parametrize("postcode", [PC_NORTH, PC_SOUTH, PC_NOWHERE, ""])
def test_complaint_about_a_district_manager_goes_to_the_board(world, postcode):
    # Also when the complainant lives in that manager's own district (PC_NORTH).
    complaint = ComplaintFactory(postcode=postcode, manager_concerned=world.dm_north)
    assert complaint.handler == world.organisation.board_handler == world.board
    assert complaint.handler != world.dm_north
    assert complaint.manager_concerned == world.dm_north


def test_complaint_about_a_district_manager_without_board_handler_goes_to_triage(world):
    world.organisation.board_handler = None
    world.organisation.save()
    complaint = ComplaintFactory(postcode=PC_NORTH, manager_concerned=world.dm_north)
    assert complaint.handler is None
    assert complaint.district == world.north


def test_complaint_about_the_board_handler_never_goes_to_that_person(world):
    complaint = ComplaintFactory(postcode=PC_NORTH, manager_concerned=world.board)
    assert complaint.handler is None


def test_route_function_directly(world):
    about = route(
        postcode=PC_NORTH, manager_concerned=world.dm_north, organisation=world.organisation
    )
    assert about.handler == world.board
    assert about.district == world.north
    assert "board" in about.reason
    plain = route(postcode=PC_NORTH, manager_concerned=None, organisation=world.organisation)
    assert plain.handler == world.dm_north


@pytest.mark.parametrize("state", sorted(TRANSITIONS[Step.SET_PERSON_CONCERNED]))
def test_set_person_concerned_reroutes_to_the_board(world, state):
    complaint = ComplaintFactory(state=state, postcode=PC_NORTH)
    assert complaint.handler == world.dm_north
    complaint = take_step(
        Step.SET_PERSON_CONCERNED,
        complaint,
        actor=world.qm,
        manager_concerned_id=world.dm_north.pk,
        employee_concerned="",
    )
    assert complaint.manager_concerned == world.dm_north
    assert complaint.handler == world.board
    assert complaint.state == state
    event = Event.objects.get(complaint=complaint, kind=EventKind.PERSON_CONCERNED)
    assert event.data["handler"] == world.board.pk


def test_set_person_concerned_by_the_handler_hands_it_over(world):
    """The district manager who learns the complaint is about them hands it to the board."""
    complaint = ComplaintFactory(contacted=True, postcode=PC_NORTH, walker=world.dm_north)
    complaint = take_step(
        Step.SET_PERSON_CONCERNED,
        complaint,
        actor=world.dm_north,
        manager_concerned_id=world.dm_north.pk,
        employee_concerned="",
    )
    assert complaint.handler == world.board


def test_set_person_concerned_about_another_manager_also_goes_to_the_board(world):
    complaint = ComplaintFactory(accepted=True, postcode=PC_NORTH)
    complaint = take_step(
        Step.SET_PERSON_CONCERNED,
        complaint,
        actor=world.qm,
        manager_concerned_id=world.dm_south.pk,
        employee_concerned="",
    )
    assert complaint.handler == world.board


def test_set_person_concerned_keeps_a_board_or_quality_manager_handler(world):
    complaint = ComplaintFactory(accepted=True, postcode=PC_NORTH)
    complaint = take_step(Step.REASSIGN, complaint, actor=world.qm, handler_id=world.qm.pk)
    complaint = take_step(
        Step.SET_PERSON_CONCERNED,
        complaint,
        actor=world.qm,
        manager_concerned_id=world.dm_north.pk,
        employee_concerned="",
    )
    assert complaint.handler == world.qm


def test_set_person_concerned_only_an_employee_keeps_the_handler(world):
    complaint = ComplaintFactory(accepted=True, postcode=PC_NORTH)
    complaint = take_step(
        Step.SET_PERSON_CONCERNED, complaint, actor=world.qm, employee_concerned="  J. Coach  "
    )
    assert complaint.handler == world.dm_north
    assert complaint.employee_concerned == "J. Coach"
    assert complaint.manager_concerned is None


def test_set_person_concerned_needs_a_manager(world):
    complaint = ComplaintFactory(accepted=True)
    for who in (world.staff,):
        with pytest.raises(ProcedureError) as refused:
            take_step(
                Step.SET_PERSON_CONCERNED, complaint, actor=world.qm, manager_concerned_id=who.pk
            )
        assert refused.value.code == "bad_manager"


def test_complaint_about_the_handler_itself_is_handed_on(world):
    """The quality manager handles a complaint, then it turns out to be about them."""
    complaint = ComplaintFactory(accepted=True, postcode=PC_NORTH)
    complaint = take_step(
        Step.REASSIGN, complaint, actor=world.qm, handler_id=world.qm.pk, reason="Zelf"
    )
    assert complaint.handler == world.qm
    complaint = take_step(
        Step.SET_PERSON_CONCERNED,
        complaint,
        actor=world.board,
        manager_concerned_id=world.qm.pk,
        employee_concerned="",
    )
    assert complaint.handler == world.board
    assert complaint.manager_concerned == world.qm
    assert not complaints_visible_to(world.qm).filter(pk=complaint.pk).exists()


def test_complaint_about_the_board_handler_goes_to_triage(world):
    complaint = ComplaintFactory(accepted=True, postcode=PC_NORTH)
    complaint = take_step(
        Step.SET_PERSON_CONCERNED,
        complaint,
        actor=world.qm,
        manager_concerned_id=world.board.pk,
        employee_concerned="",
    )
    assert complaint.handler is None


def test_set_person_concerned_without_board_handler_goes_to_triage(world):
    world.organisation.board_handler = None
    world.organisation.save()
    complaint = ComplaintFactory(accepted=True, postcode=PC_NORTH)
    complaint = take_step(
        Step.SET_PERSON_CONCERNED,
        complaint,
        actor=world.qm,
        manager_concerned_id=world.dm_north.pk,
    )
    assert complaint.handler is None


def test_overlapping_postcode_ranges_are_refused(world):
    from django.core.exceptions import ValidationError

    clash = PostcodeRange(district=world.south, first=4990, last=5010)
    with pytest.raises(ValidationError):
        clash.clean()
    inside = PostcodeRange(district=world.south, first=9500, last=9999)
    inside.clean()  # free: no error


def test_new_district_takes_over_a_free_area(world):
    district = DistrictFactory(
        name="Far North", manager=StaffFactory(district_manager=True), postcodes=[(9500, 9999)]
    )
    complaint = ComplaintFactory(postcode=PC_NOWHERE)
    assert complaint.district == district
    assert complaint.handler == district.manager


# --- removing the person concerned is an explicit choice with a reason (P3.2) ---------------


@pytest.fixture
def about_north(world):
    complaint = ComplaintFactory(accepted=True, postcode=PC_NORTH, manager_concerned=world.dm_north)
    assert complaint.handler == world.board
    return complaint


def test_an_omitted_manager_concerned_does_not_remove_them(world, about_north):
    """The defect: an empty field meant "nobody", and dm_north could see the complaint."""
    with pytest.raises(ProcedureError) as refused:
        take_step(
            Step.SET_PERSON_CONCERNED,
            about_north,
            actor=world.qm,
            manager_concerned_id=None,
            employee_concerned="J. de Coach",
        )
    assert refused.value.code == "person_concerned_cleared_without_choice"
    about_north.refresh_from_db()
    assert about_north.manager_concerned == world.dm_north
    assert about_north.employee_concerned == ""
    assert not complaints_visible_to(world.dm_north).filter(pk=about_north.pk).exists()


def test_removing_the_manager_concerned_needs_a_reason(world, about_north):
    for reason in ("", "   "):
        with pytest.raises(ProcedureError) as refused:
            take_step(
                Step.SET_PERSON_CONCERNED,
                about_north,
                actor=world.qm,
                manager_concerned_id=None,
                clear_manager_concerned=True,
                reason=reason,
            )
        assert refused.value.code == "person_concerned_cleared_without_reason"
    assert Complaint.objects.get(pk=about_north.pk).manager_concerned == world.dm_north


def test_choosing_a_manager_and_removing_are_not_both_possible(world, about_north):
    with pytest.raises(ProcedureError) as refused:
        take_step(
            Step.SET_PERSON_CONCERNED,
            about_north,
            actor=world.qm,
            manager_concerned_id=world.dm_south.pk,
            clear_manager_concerned=True,
            reason="Vergissing.",
        )
    assert refused.value.code == "person_concerned_conflict"


def test_removing_with_a_reason_is_on_the_timeline(world, about_north):
    reason = "Vergissing bij de registratie: de klacht gaat over een jobcoach."
    complaint = take_step(
        Step.SET_PERSON_CONCERNED,
        about_north,
        actor=world.qm,
        manager_concerned_id=None,
        employee_concerned="J. de Coach",
        clear_manager_concerned=True,
        reason=f"  {reason} ",
    )
    assert complaint.manager_concerned is None
    assert complaint.employee_concerned == "J. de Coach"
    assert complaint.handler == world.board  # the board keeps it; a reassignment is a step
    event = Event.objects.filter(complaint=complaint, kind=EventKind.PERSON_CONCERNED).latest("id")
    assert event.text == reason
    assert event.actor == world.qm
    assert event.data["cleared"] is True
    assert event.data["reason"] == reason
    assert event.data["previous_manager_concerned"] == world.dm_north.pk
    assert event.data["manager_concerned"] is None
    assert AuditEntry.objects.filter(
        action="complaint.person_concerned", target_id=str(complaint.pk)
    ).exists()
    # The removal is what lets the district manager see the complaint again.
    assert complaints_visible_to(world.dm_north).filter(pk=complaint.pk).exists()


def test_keeping_the_manager_concerned_while_naming_an_employee(world, about_north):
    complaint = take_step(
        Step.SET_PERSON_CONCERNED,
        about_north,
        actor=world.board,
        manager_concerned_id=world.dm_north.pk,
        employee_concerned="J. de Coach",
    )
    assert complaint.manager_concerned == world.dm_north
    assert complaint.handler == world.board
    event = Event.objects.filter(complaint=complaint, kind=EventKind.PERSON_CONCERNED).latest("id")
    assert "previous_manager_concerned" not in event.data


def test_the_manager_concerned_who_left_can_be_kept(world, about_north):
    world.dm_north.is_active = False
    world.dm_north.save()
    complaint = take_step(
        Step.SET_PERSON_CONCERNED,
        about_north,
        actor=world.qm,
        manager_concerned_id=world.dm_north.pk,
        employee_concerned="J. de Coach",
    )
    assert complaint.manager_concerned == world.dm_north


def test_setting_the_manager_concerned_hands_over_their_open_measures(world):
    complaint = ComplaintFactory(decided=True, postcode=PC_NORTH)
    done = complaint.measures.get()
    still_open = Measure.objects.create(
        complaint=complaint, description="Training", owner=world.dm_north
    )
    Measure.objects.filter(pk=done.pk).update(done_on=complaint.decided_on)
    complaint = take_step(
        Step.SET_PERSON_CONCERNED,
        complaint,
        actor=world.qm,
        manager_concerned_id=world.dm_north.pk,
        employee_concerned="",
    )
    assert complaint.handler == world.board
    still_open.refresh_from_db()
    done.refresh_from_db()
    assert still_open.owner == world.board
    assert done.owner == world.dm_north  # what was done stays on record
    event = Event.objects.filter(complaint=complaint, kind=EventKind.PERSON_CONCERNED).latest("id")
    assert event.data["measures_reassigned"] == [still_open.pk]


# The form: the page starts from who is concerned now, and refuses what the service refuses.


def test_the_form_starts_from_the_manager_concerned(world, about_north):
    form = PersonConcernedForm(complaint=about_north)
    assert form.initial["manager_concerned"] == world.dm_north.pk
    assert world.dm_north in form.fields["manager_concerned"].queryset
    assert not form.fields["clear_manager_concerned"].widget.is_hidden
    plain = PersonConcernedForm(complaint=ComplaintFactory(postcode=PC_NORTH))
    assert plain.fields["clear_manager_concerned"].widget.is_hidden
    assert plain.fields["reason"].widget.is_hidden


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"employee_concerned": "J. de Coach"}, "manager_concerned"),
        ({"clear_manager_concerned": "on"}, "reason"),
        ({"clear_manager_concerned": "on", "reason": "  "}, "reason"),
        (
            {"manager_concerned": "south", "clear_manager_concerned": "on"},
            "clear_manager_concerned",
        ),
    ],
)
def test_the_form_refuses_a_removal_that_is_not_explicit(world, about_north, data, field):
    if data.get("manager_concerned") == "south":
        data = {**data, "manager_concerned": world.dm_south.pk}
    form = PersonConcernedForm(data=data, complaint=about_north)
    assert not form.is_valid()
    assert list(form.errors) == [field]


def test_the_form_without_the_complaint_leaves_the_refusal_to_the_service(world, about_north):
    """As the API uses it: the same arguments, the same refusal."""
    form = PersonConcernedForm(data={"employee_concerned": "J. de Coach"})
    assert form.is_valid()
    with pytest.raises(ProcedureError) as refused:
        steps.run_step(
            Step.SET_PERSON_CONCERNED,
            actor=world.qm,
            reference=about_north.reference,
            arguments=form.service_arguments(),
        )
    assert refused.value.code == "person_concerned_cleared_without_choice"
    form = PersonConcernedForm(data={"clear_manager_concerned": "on", "reason": "Vergissing."})
    assert form.is_valid()
    steps.run_step(
        Step.SET_PERSON_CONCERNED,
        actor=world.qm,
        reference=about_north.reference,
        arguments=form.service_arguments(),
    )
    assert Complaint.objects.get(pk=about_north.pk).manager_concerned is None


def test_the_page_keeps_the_manager_concerned_unless_removed_with_a_reason(
    client, world, about_north
):
    client.force_login(world.qm)
    with translation.override("nl"):
        page = reverse("complaints:step", args=[about_north.reference, "person_concerned"])
    html = client.get(page).content.decode()
    assert f'<option value="{world.dm_north.pk}" selected>' in html
    assert 'name="clear_manager_concerned"' in html
    # Emptying the choice alone is refused, with the reason why.
    response = client.post(page, {"manager_concerned": "", "employee_concerned": "J. de Coach"})
    assert response.status_code == 400
    assert "vink dan “gaat niet meer over een districtsmanager” aan" in response.content.decode()
    assert Complaint.objects.get(pk=about_north.pk).manager_concerned == world.dm_north
    response = client.post(
        page,
        {"manager_concerned": "", "clear_manager_concerned": "on", "reason": "Vergissing."},
    )
    assert response.status_code == 302
    assert Complaint.objects.get(pk=about_north.pk).manager_concerned is None
    detail = client.get(about_north.get_absolute_url()).content.decode()
    assert "Eerder betrokken districtsmanager" in detail
    assert "Vergissing." in detail
