"""Factories for the domain tests.

Staff, districts and the organisation are plain model factories. Complaints
are never built directly: `ComplaintFactory` registers them through
`services.complaint_register` and walks them to the wanted state through the
real services, so every complaint in a test has the timeline, audit rows and
letters the procedure gives it. Use a state trait (`ComplaintFactory(decided=True)`)
or `state=State.DECIDED`. The worker's part (drafting the acknowledgement, which in
production follows the commit) runs at once after registering.
"""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from factory.django import DjangoModelFactory

from klachtbeheer.complaints import services
from klachtbeheer.complaints.models import (
    Channel,
    ComplainantType,
    Complaint,
    ContactChannel,
    LetterKind,
    Verdict,
)
from klachtbeheer.complaints.workflow import State, Step
from klachtbeheer.letters.services import letters_draft_owed
from klachtbeheer.organisation.models import (
    ClosureDay,
    District,
    Organisation,
    PostcodeRange,
    Role,
    StaffProfile,
)
from klachtbeheer.organisation.selectors import assignable_handlers

User = get_user_model()


# --- staff and organisation --------------------------------------------------


class UserFactory(DjangoModelFactory):
    """A user without a staff profile."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"medewerker{n}")
    first_name = factory.Sequence(lambda n: f"Voornaam{n}")
    last_name = factory.Sequence(lambda n: f"Achternaam{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@imk.example")
    is_active = True
    is_staff = False


class StaffProfileFactory(DjangoModelFactory):
    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory)
    role = Role.STAFF
    job_title = "Jobcoach"


class StaffFactory(UserFactory):
    """A user with a staff profile; pick the role with a trait or `role=`."""

    class Params:
        role = Role.STAFF
        quality_manager = factory.Trait(role=Role.QUALITY_MANAGER)
        board = factory.Trait(role=Role.BOARD)
        district_manager = factory.Trait(role=Role.DISTRICT_MANAGER)

    profile = factory.RelatedFactory(
        StaffProfileFactory, factory_related_name="user", role=factory.SelfAttribute("..role")
    )


class PostcodeRangeFactory(DjangoModelFactory):
    class Meta:
        model = PostcodeRange

    district = factory.SubFactory("tests.factories.DistrictFactory")
    first = 1000
    last = 1999


class DistrictFactory(DjangoModelFactory):
    """A district with a manager; `postcodes=[(1000, 4999)]` adds its PC4 ranges."""

    class Meta:
        model = District
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"District {n}")
    manager = factory.SubFactory(StaffFactory, district_manager=True)

    @factory.post_generation
    def postcodes(obj, create, extracted, **kwargs):
        for first, last in extracted or ():
            PostcodeRangeFactory(district=obj, first=first, last=last)


class ClosureDayFactory(DjangoModelFactory):
    class Meta:
        model = ClosureDay
        django_get_or_create = ("date",)

    date = dt.date(2026, 12, 24)
    description = "Kerstsluiting"


class OrganisationFactory(DjangoModelFactory):
    """The one organisation row (pk=1), updated with the given fields."""

    class Meta:
        model = Organisation

    board_handler = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        organisation = model_class.current()
        for name, value in kwargs.items():
            setattr(organisation, name, value)
        organisation.save()
        return organisation


def grant_admin_view(user) -> None:
    """Staff status and the admin's view permissions for complaints and the audit log."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["complaints", "core"], codename__startswith="view_"
        )
    )


# --- complaints, through the services -----------------------------------------


def today() -> dt.date:
    return timezone.localdate()


class ComplainantDataFactory(factory.Factory):
    class Meta:
        model = services.ComplainantData

    complainant_type = ComplainantType.CLIENT
    name = factory.Sequence(lambda n: f"Klager Nummer{n:04d}")
    organisation = ""
    email = factory.Sequence(lambda n: f"klager{n}@example.nl")
    phone = "06 12345678"
    street_address = "Laanstraat 12"
    postcode = "3741 AB"
    city = "Baarn"
    is_uwv_client = False


def default_quality_manager():
    """An active quality manager to take the steps when a test does not name one."""
    existing = User.objects.filter(is_active=True, staff_profile__role=Role.QUALITY_MANAGER).first()
    return existing or StaffFactory(quality_manager=True)


def take_step(step: Step, complaint: Complaint, *, actor, **overrides) -> Complaint:
    """Take `step` through its service with valid input (overridable); the complaint, re-read."""
    ref = complaint.reference
    now = timezone.now()
    if step == Step.ACCEPT:
        services.complaint_accept(actor=actor, reference=ref, **overrides)
    elif step == Step.REJECT:
        kwargs = {"reason": "Een vraag over een factuur, geen klacht."} | overrides
        services.complaint_reject(actor=actor, reference=ref, **kwargs)
    elif step == Step.LOG_CONTACT_ATTEMPT:
        kwargs = {"at": now, "channel": ContactChannel.PHONE, "note": "Voicemail"} | overrides
        services.complaint_log_contact_attempt(actor=actor, reference=ref, **kwargs)
    elif step == Step.RECORD_CONTACT:
        kwargs = {
            "on": today(),
            "channel": ContactChannel.PHONE,
            "summary": "Telefonisch gesproken; de klager wil een gesprek.",
        } | overrides
        services.complaint_record_contact(actor=actor, reference=ref, **kwargs)
    elif step == Step.WITHDRAW:
        kwargs = {"summary": "Misverstand over de afspraak; klacht ingetrokken."} | overrides
        services.complaint_withdraw(actor=actor, reference=ref, **kwargs)
    elif step == Step.PLAN_MEETING:
        kwargs = {"at": now + dt.timedelta(days=2), "location": "Kantoor Baarn"} | overrides
        services.complaint_plan_meeting(actor=actor, reference=ref, **kwargs)
    elif step == Step.HOLD_MEETING:
        # The path plans the meeting two days ahead and holds it today: moved earlier.
        kwargs = {
            "held_on": today(),
            "report": "Gesprek gevoerd, verslag opgesteld.",
            "moved_earlier": True,
        } | overrides
        services.complaint_hold_meeting(actor=actor, reference=ref, **kwargs)
    elif step == Step.WAIVE_MEETING:
        kwargs = {"reason": "De klager wil geen gesprek."} | overrides
        services.complaint_waive_meeting(actor=actor, reference=ref, **kwargs)
    elif step == Step.RECORD_VERDICT:
        kwargs = {
            "verdict": Verdict.FOUNDED,
            "reasons": "De afspraken zijn niet nagekomen.",
            "measures": ["Nieuwe jobcoach toegewezen"],
        } | overrides
        services.complaint_record_verdict(actor=actor, reference=ref, **kwargs)
    elif step == Step.SEND_DECISION:
        kwargs = {"sent_on": today()} | overrides
        services.complaint_send_decision(actor=actor, reference=ref, **kwargs)
    elif step == Step.CLOSE:
        services.complaint_close(actor=actor, reference=ref, **overrides)
    elif step == Step.REOPEN:
        kwargs = {"reason": "De klager meldt zich opnieuw."} | overrides
        services.complaint_reopen(actor=actor, reference=ref, **kwargs)
    elif step == Step.EXTEND:
        kwargs = {
            "until": complaint.settle_due_effective + dt.timedelta(days=14),
            "reason": "Wachten op het verslag van de opdrachtgever.",
        } | overrides
        services.complaint_extend(actor=actor, reference=ref, **kwargs)
    elif step == Step.REASSIGN:
        if "handler_id" not in overrides:
            other = (
                assignable_handlers()
                .exclude(pk=complaint.handler_id)
                .exclude(pk=complaint.manager_concerned_id)
                .first()
            )
            if other is None:
                other = StaffFactory(district_manager=True)
            overrides["handler_id"] = other.pk
        kwargs = {"reason": "Werkverdeling."} | overrides
        services.complaint_reassign(actor=actor, reference=ref, **kwargs)
    elif step == Step.SET_PERSON_CONCERNED:
        kwargs = {"manager_concerned_id": None, "employee_concerned": "J. de Coach"} | overrides
        services.complaint_set_person_concerned(actor=actor, reference=ref, **kwargs)
    elif step == Step.ADD_NOTE:
        kwargs = {"text": "Klager heeft teruggebeld."} | overrides
        services.complaint_add_note(actor=actor, reference=ref, **kwargs)
    elif step == Step.ADD_ATTACHMENT:
        kwargs = {
            "upload": SimpleUploadedFile("brief.pdf", b"%PDF-1.4 test", "application/pdf"),
            "description": "Scan van de brief",
        } | overrides
        services.complaint_add_attachment(actor=actor, reference=ref, **kwargs)
    elif step == Step.RECTIFY:
        kwargs = {
            "complainant": services.ComplainantData(
                complainant_type=complaint.complainant_type,
                name=complaint.complainant_name + " (gecorrigeerd)",
                organisation=complaint.complainant_organisation,
                email=complaint.complainant_email,
                phone=complaint.complainant_phone,
                street_address=complaint.street_address,
                postcode=complaint.postcode,
                city=complaint.city,
                is_uwv_client=complaint.is_uwv_client,
            ),
            "reason": "De naam was verkeerd gespeld.",
        } | overrides
        services.complaint_rectify(actor=actor, reference=ref, **kwargs)
    else:  # pragma: no cover - a new step needs a line here
        raise AssertionError(f"take_step does not know {step}")
    return Complaint.objects.get(pk=complaint.pk)


def send_extension_notice(complaint: Complaint, *, actor) -> Complaint:
    """Send the owed notice of the extension as staff do, and let the worker deliver it today.

    By e-mail the notice counts as sent when the server takes it (P3.8); the
    letters app records that day on the complaint. The complaint, re-read.
    """
    from klachtbeheer.letters import services as letters

    due = complaint.letters_due.filter(
        kind=LetterKind.EXTENSION, sent_on__isnull=True, cancelled_on__isnull=True
    ).last()
    letter = letters.letter_send(actor=actor, reference=complaint.reference, due_id=due.pk)
    if letter.channel == "post":
        letters.letter_mark_posted(actor=actor, reference=complaint.reference, uid=letter.uid)
    else:
        letters.outbox_deliver_due()
    return Complaint.objects.get(pk=complaint.pk)


# The steps from receipt to each state, through the services.
_TO_ASSESSING = [Step.ACCEPT, Step.RECORD_CONTACT, Step.PLAN_MEETING, Step.HOLD_MEETING]
PATH_TO: dict[State, list[Step]] = {
    State.RECEIVED: [],
    State.NOT_A_COMPLAINT: [Step.REJECT],
    State.ACCEPTED: [Step.ACCEPT],
    State.CONTACTED: [Step.ACCEPT, Step.RECORD_CONTACT],
    State.WITHDRAWN: [Step.ACCEPT, Step.RECORD_CONTACT, Step.WITHDRAW],
    State.MEETING_PLANNED: [Step.ACCEPT, Step.RECORD_CONTACT, Step.PLAN_MEETING],
    State.ASSESSING: _TO_ASSESSING,
    State.DECIDED: [*_TO_ASSESSING, Step.RECORD_VERDICT],
    State.DECISION_SENT: [*_TO_ASSESSING, Step.RECORD_VERDICT, Step.SEND_DECISION],
    State.CLOSED: [*_TO_ASSESSING, Step.RECORD_VERDICT, Step.SEND_DECISION, Step.CLOSE],
}


def walk_to(complaint: Complaint, state: State, *, actor=None) -> Complaint:
    """Take the complaint from `received` to `state` through the services."""
    if complaint.state != State.RECEIVED:
        raise ValueError("walk_to starts from a complaint that was just received")
    actor = actor or default_quality_manager()
    for step in PATH_TO[State(state)]:
        if step == Step.ACCEPT and complaint.handler_id is None:
            raise ValueError(
                f"{complaint.reference} has no handler (triage); reassign it before walking on"
            )
        complaint = take_step(step, complaint, actor=actor)
    assert complaint.state == state, (complaint.state, state)
    return complaint


class ComplaintFactory(factory.Factory):
    """Registers a complaint through the service and walks it to `state`.

    `postcode` and `name` set the complainant's; `actor` registers it (None:
    the web form); `walker` takes the steps (default: a quality manager).
    """

    class Meta:
        model = Complaint

    class Params:
        postcode = "3741 AB"
        name = factory.Sequence(lambda n: f"Klager Nummer{n:04d}")
        received = factory.Trait(state=State.RECEIVED)
        accepted = factory.Trait(state=State.ACCEPTED)
        contacted = factory.Trait(state=State.CONTACTED)
        withdrawn = factory.Trait(state=State.WITHDRAWN)
        meeting_planned = factory.Trait(state=State.MEETING_PLANNED)
        assessing = factory.Trait(state=State.ASSESSING)
        decided = factory.Trait(state=State.DECIDED)
        decision_sent = factory.Trait(state=State.DECISION_SENT)
        closed = factory.Trait(state=State.CLOSED)
        not_a_complaint = factory.Trait(state=State.NOT_A_COMPLAINT)

    state = State.RECEIVED
    channel = Channel.EMAIL
    received_on = factory.LazyFunction(lambda: today() - dt.timedelta(days=3))
    complainant = factory.SubFactory(
        ComplainantDataFactory,
        postcode=factory.SelfAttribute("..postcode"),
        name=factory.SelfAttribute("..name"),
    )
    substantiation = "Mijn jobcoach kwam drie afspraken niet na."
    desired_outcome = "Excuses en een nieuwe coach."
    service = "Re-integratietraject"
    employee_concerned = ""
    manager_concerned = None
    actor = None  # who registers it; None: the web form
    walker = None  # who takes the steps; None: a quality manager

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise TypeError("Complaints are only made through the services: use create()")

    @classmethod
    def _create(cls, model_class, *args, state, walker, **kwargs):
        complaint = services.complaint_register(**kwargs)
        # The worker drafts the acknowledgement right after the commit (issue 15); here at once.
        letters_draft_owed()
        return walk_to(complaint, state, actor=walker)
