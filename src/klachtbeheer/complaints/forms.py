from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from klachtbeheer.complaints.complainant_fields import Voice, complainant_clean, complainant_field
from klachtbeheer.complaints.models import (
    Category,
    Channel,
    ComplainantType,
    ContactChannel,
    Verdict,
)
from klachtbeheer.complaints.registry import input_for
from klachtbeheer.complaints.selectors import who_may_see
from klachtbeheer.complaints.services import (
    MAX_ATTACHMENT_BYTES,
    PERSON_CONCERNED_CHOICE_REQUIRED,
    PERSON_CONCERNED_CONFLICT,
    PERSON_CONCERNED_REASON_REQUIRED,
    ComplainantData,
)
from klachtbeheer.complaints.workflow import State, Step
from klachtbeheer.core import clock
from klachtbeheer.core.kept_uploads import (
    KeptUpload,
    discard_kept,
    is_pdf,
    keep_upload,
    kept_upload,
)
from klachtbeheer.core.text import guard_text_fields
from klachtbeheer.organisation.models import District, Role
from klachtbeheer.organisation.selectors import assignable_handlers, normalise_phone, people


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def district_manager_choices():
    return (
        people()
        .filter(staff_profile__role=Role.DISTRICT_MANAGER)
        .order_by("first_name", "last_name")
    )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class StaffForm(forms.Form):
    """Forms whose fields carry the ids and classes our templates expect.

    `error_texts` gives each field specific error messages ("Describe what
    happened"), never the generic "This field is required".
    """

    template_name = "includes/form.html"
    error_texts: dict[str, dict[str, str]] = {}

    def __init__(self, *args, complaint=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The complaint the step is for, when the caller has it (the staff page does):
        # a form then offers only what the service accepts for that complaint.
        self.complaint = complaint
        for name, texts in self.error_texts.items():
            if name in self.fields:
                self.fields[name].error_messages.update(texts)
        guard_text_fields(self)

    def service_arguments(self) -> dict:
        """The keyword arguments of the step's service (besides actor and reference).

        A step form's fields are named as its service's arguments; forms whose
        input differs in shape (a list of measures, a chosen user) say so here.
        """
        return {name: self.cleaned_data[name] for name in self.fields}


class RegisterComplaintForm(StaffForm):
    error_texts = {
        "channel": {"required": _("Choose how the complaint arrived.")},
        "received_on": {
            "required": _("Enter the date of receipt."),
            "invalid": _("Enter the date of receipt as a real date, for example 27-3-2026."),
        },
        "complainant_type": {"required": _("Choose who is complaining.")},
        "substantiation": {"required": _("Describe what happened.")},
        "manager_concerned": {"invalid_choice": _("Choose a district manager from the list.")},
        "attachment": {"empty": _("The chosen file is empty.")},
    }

    channel = forms.ChoiceField(
        label=_("How did the complaint arrive?"),
        choices=Channel.choices,
        widget=forms.RadioSelect,
    )
    received_on = forms.DateField(
        label=_("Date of receipt"),
        help_text=_(
            "The date stamped on the letter or the date of the e-mail. The terms run from it."
        ),
        widget=DateInput(),
    )
    complainant_type = forms.ChoiceField(
        label=_("Who is complaining?"),
        choices=ComplainantType.choices,
        widget=forms.RadioSelect,
    )
    # The complainant's details: one definition with the public form's (complainant_fields).
    name = complainant_field("name", Voice.STAFF)
    form_of_address = complainant_field("form_of_address", Voice.STAFF)
    organisation = forms.CharField(label=_("Organisation"), max_length=200, required=False)
    email = complainant_field("email", Voice.STAFF)
    phone = complainant_field("phone", Voice.STAFF)
    street_address = complainant_field("street_address", Voice.STAFF)
    postcode = complainant_field("postcode", Voice.STAFF)
    city = complainant_field("city", Voice.STAFF)
    is_uwv_client = forms.BooleanField(label=_("The complainant is a UWV client"), required=False)
    service = forms.CharField(label=_("Service concerned"), max_length=200, required=False)
    employee_concerned = forms.CharField(
        label=_("Employee concerned"), max_length=200, required=False
    )
    manager_concerned = UserChoiceField(
        label=_("District manager concerned"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("— none —"),
        help_text=_("A complaint about a district manager is handled by the board (P3.2)."),
    )
    substantiation = forms.CharField(
        label=_("What happened"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20000,
    )
    desired_outcome = forms.CharField(
        label=_("Desired outcome"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )
    attachment = forms.FileField(
        label=_("Scan of the letter (PDF) or other file"),
        required=False,
        help_text=_("For a letter received by post the scan is required, as a PDF (P2.1)."),
    )
    # Needed for a letter received by post (the help text says so): not "(optional)".
    attachment.either_or = True
    kept_attachment = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.kept = None  # the scan kept from an earlier submit with errors
        self.fields["manager_concerned"].queryset = district_manager_choices()

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        manager = data["manager_concerned"]
        return {
            "manager_concerned_id": manager.pk if manager is not None else None,
            "employee_concerned": data["employee_concerned"],
            "clear_manager_concerned": bool(data.get("clear_manager_concerned")),
            "reason": data.get("reason") or "",
        }
        if not self.is_bound:
            self.initial.setdefault("received_on", clock.today())

    def clean_received_on(self):
        value = self.cleaned_data["received_on"]
        if value > clock.today():
            raise forms.ValidationError(_("The date of receipt cannot be in the future."))
        return value

    clean_postcode = complainant_clean("postcode", Voice.STAFF)
    clean_phone = complainant_clean("phone", Voice.STAFF)

    def clean(self):
        data = super().clean()
        if not data.get("email") and not data.get("street_address") and not data.get("phone"):
            self.add_error(
                "email", _("Enter an e-mail address, a postal address or a phone number.")
            )
        self._clean_scan(data)
        return data

    def _clean_scan(self, data) -> None:
        """Post comes with its scan, as a PDF (P2.1); a scan kept from an earlier try counts."""
        upload = data.get("attachment")
        if upload is None and data.get("kept_attachment") and self.user is not None:
            upload = kept_upload(data["kept_attachment"], user=self.user)
            data["attachment"] = upload
        if upload is None:
            if data.get("channel") == Channel.POST:
                self.add_error("attachment", _("Attach the scan of the letter, as a PDF."))
            return
        if upload.size and upload.size > MAX_ATTACHMENT_BYTES:
            self.add_error("attachment", _("The file is larger than 10 MB."))
        elif data.get("channel") == Channel.POST and not is_pdf(upload):
            self.add_error("attachment", _("The scan of a letter must be a PDF file."))

    def keep_attachment(self) -> None:
        """After an error, keep a good file so that the next submit need not choose it again."""
        upload = getattr(self, "cleaned_data", {}).get("attachment")
        if upload is None or self.user is None or "attachment" in self.errors:
            return
        token = self.data.get("kept_attachment", "")
        if token and not self.files.get("attachment"):
            self.kept = KeptUpload(token=token, name=upload.name or "", size=upload.size or 0)
            return
        self.discard_kept_attachment()  # a newly chosen file replaces the kept one
        self.kept = keep_upload(upload, user=self.user)
        self.data = self.data.copy()
        self.data["kept_attachment"] = self.kept.token

    def discard_kept_attachment(self) -> None:
        token = self.data.get("kept_attachment") if self.is_bound else ""
        if token and self.user is not None:
            discard_kept(token, user=self.user)


@input_for(Step.REOPEN)
class ReasonForm(StaffForm):
    error_texts = {"reason": {"required": _("Give the reason.")}}

    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 4}))


@input_for(Step.REJECT)
class RejectForm(StaffForm):
    error_texts = {"reason": {"required": _("Say why this is not a complaint.")}}

    reason = forms.CharField(
        label=_("Why is this not a complaint?"),
        help_text=_("For example a question, a request for information, or spam (P1.2)."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@input_for(Step.LOG_CONTACT_ATTEMPT)
class ContactAttemptForm(StaffForm):
    error_texts = {
        "at": {
            "required": _("Enter when you tried to make contact."),
            "invalid": _("Enter a real date and time."),
        },
        "channel": {"required": _("Choose how you tried to make contact.")},
    }

    at = forms.DateTimeField(label=_("When"), widget=DateTimeInput())
    channel = forms.ChoiceField(label=_("How"), choices=ContactChannel.choices)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("at", timezone.localtime().replace(second=0, microsecond=0))


@input_for(Step.RECORD_CONTACT)
class ContactForm(StaffForm):
    error_texts = {
        "on": {
            "required": _("Enter the date of the contact."),
            "invalid": _("Enter the date of the contact as a real date."),
        },
        "channel": {"required": _("Choose how the contact took place.")},
        "summary": {"required": _("Summarise the conversation.")},
    }

    on = forms.DateField(label=_("Date of the contact"), widget=DateInput())
    channel = forms.ChoiceField(
        label=_("How"),
        choices=ContactChannel.choices,
        help_text=_("By phone where possible (P3.3)."),
    )
    summary = forms.CharField(
        label=_("Summary of the conversation"), widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("on", clock.today())


@input_for(Step.WITHDRAW)
class WithdrawForm(StaffForm):
    error_texts = {"summary": {"required": _("Describe the misunderstanding.")}}

    summary = forms.CharField(
        label=_("What was the misunderstanding?"),
        help_text=_(
            "The complainant withdraws the complaint (P3.4). A written confirmation is owed."
        ),
        widget=forms.Textarea(attrs={"rows": 5}),
    )


@input_for(Step.PLAN_MEETING)
class PlanMeetingForm(StaffForm):
    error_texts = {
        "at": {
            "required": _("Enter the date and time of the meeting."),
            "invalid": _("Enter the date and time of the meeting as a real date and time."),
        },
        "location": {"required": _("Enter where the meeting takes place.")},
    }

    at = forms.DateTimeField(label=_("Date and time"), widget=DateTimeInput())
    location = forms.CharField(label=_("Place"), max_length=200)


@input_for(Step.HOLD_MEETING)
class HoldMeetingForm(StaffForm):
    error_texts = {
        "held_on": {
            "required": _("Enter the date of the meeting."),
            "invalid": _("Enter the date of the meeting as a real date."),
        },
        "report": {"required": _("Write the report of the meeting.")},
    }

    held_on = forms.DateField(label=_("Date of the meeting"), widget=DateInput())
    report = forms.CharField(label=_("Report"), widget=forms.Textarea(attrs={"rows": 8}))
    moved_earlier = forms.BooleanField(
        label=_("The meeting was moved earlier"),
        help_text=_("Only when it took place before the date it was planned for."),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("held_on", clock.today())


@input_for(Step.WAIVE_MEETING)
class WaiveMeetingForm(StaffForm):
    error_texts = {"reason": {"required": _("Say why there is no meeting.")}}

    reason = forms.CharField(
        label=_("Why is there no meeting?"),
        help_text=_("For example: the complainant declined a meeting."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@input_for(Step.RECORD_VERDICT)
class VerdictForm(StaffForm):
    error_texts = {
        "verdict": {"required": _("Choose the verdict.")},
        "reasons": {"required": _("Give the reasons for the verdict.")},
        "measure_owner": {
            "invalid_choice": _(
                "Choose who carries out the measures from the list: someone who may see "
                "the complaint and whom it is not about."
            )
        },
    }

    verdict = forms.ChoiceField(
        label=_("Verdict"), choices=Verdict.choices, widget=forms.RadioSelect
    )
    reasons = forms.CharField(
        label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20000
    )
    categories = forms.ModelMultipleChoiceField(
        label=_("Categories"),
        help_text=_(
            "What the complaint was about; pick one or more (the quality manager keeps the list)."
        ),
        queryset=Category.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    measures = forms.CharField(
        label=_("Measures"),
        help_text=_(
            "One measure per line. A founded or partly founded complaint needs at least one;"
            " only for an unfounded complaint you may tick “No measures”."
        ),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    # Needed unless "No measures" is ticked: not marked "(optional)" (issue 14.5).
    measures.either_or = True
    measure_owner = UserChoiceField(
        label=_("Who carries out the measures"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("— the handler —"),
    )
    measures_due_on = forms.DateField(
        label=_("Measures done by"),
        help_text=_("Empty: six weeks after the verdict. Each measure can be changed later."),
        required=False,
        widget=DateInput(),
    )
    no_measures = forms.BooleanField(label=_("No measures"), required=False)

    # Categories as check boxes; in the reporting app, where the form renderer finds it.
    template_name = "reporting/includes/verdict_form.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        active = Category.objects.filter(active=True)
        self.fields["categories"].queryset = active
        self.fields["categories"].required = active.exists()
        self.fields["categories"].error_messages.update(
            {
                "required": _("Choose at least one category."),
                "invalid_choice": _("Choose the categories from the list."),
            }
        )
        owners = (
            people()
            .filter(staff_profile__isnull=False)
            .order_by("first_name", "last_name", "username")
        )
        if self.complaint is not None:
            # Never the person concerned, nor anyone else who may not see it (P3.2, P5.3).
            owners = who_may_see(self.complaint, owners)
        self.fields["measure_owner"].queryset = owners

    def clean(self):
        data = super().clean()
        lines = [line.strip() for line in (data.get("measures") or "").splitlines()]
        data["measure_list"] = [line for line in lines if line]
        if data["measure_list"] and data.get("no_measures"):
            self.add_error("no_measures", _("List measures or tick “no measures”, not both."))
        elif not data["measure_list"] and not data.get("no_measures"):
            self.add_error("measures", _("List the measures taken, or tick “no measures”."))
        elif data.get("no_measures") and data.get("verdict") in (
            Verdict.FOUNDED,
            Verdict.PARTLY_FOUNDED,
        ):
            self.add_error(
                "measures",
                _("A founded or partly founded complaint needs at least one measure."),
            )
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        owner = data.get("measure_owner")
        return {
            "verdict": data["verdict"],
            "reasons": data["reasons"],
            "measures": data["measure_list"],
            "no_measures": data["no_measures"],
            "category_ids": [category.pk for category in data.get("categories") or ()],
            "measure_owner_id": owner.pk if owner is not None else None,
            "measures_due_on": data.get("measures_due_on"),
        }


SEND_NOW = "now"
SENT_EARLIER = "earlier"


@input_for(Step.SEND_DECISION)
class SendDecisionForm(StaffForm):
    """Two actions: send the letter now, or record one sent earlier (with date and how)."""

    error_texts = {
        "how": {
            "required": _("Choose: send the decision letter now, or record one sent earlier."),
            "invalid_choice": _(
                "Choose: send the decision letter now, or record one sent earlier."
            ),
        },
        "sent_on": {"invalid": _("Enter the date the decision letter was sent as a real date.")},
        "note": {"max_length": _("Keep it to 2,000 characters.")},
    }

    how = forms.ChoiceField(
        label=_("What do you want to do?"),
        choices=[
            (SEND_NOW, _("Send the decision letter now")),
            (SENT_EARLIER, _("Record a decision letter that was sent earlier")),
        ],
    )
    sent_on = forms.DateField(
        label=_("Date the letter was sent"),
        help_text=_("Not before the verdict, not after today."),
        widget=DateInput(),
        required=False,
    )
    note = forms.CharField(
        label=_("How and by whom was it sent?"),
        help_text=_("For example: by hand at the meeting, by Karin Visser."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("how") == SENT_EARLIER:
            if not data.get("sent_on") and "sent_on" not in self.errors:
                self.add_error("sent_on", _("Enter the date the decision letter was sent."))
            if not (data.get("note") or "").strip():
                self.add_error("note", _("Say how and by whom the decision letter was sent."))
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        if data["how"] == SEND_NOW:
            return {}
        return {"sent_on": data["sent_on"], "sent_earlier": True, "note": data["note"]}


@input_for(Step.ACCEPT)
@input_for(Step.CLOSE)
class CloseForm(StaffForm):
    pass


@input_for(Step.EXTEND)
class ExtendForm(StaffForm):
    error_texts = {
        "until": {
            "required": _("Enter the new date for settlement."),
            "invalid": _("Enter the new date for settlement as a real date."),
        },
        "reason": {"required": _("Say why more time is needed.")},
    }

    until = forms.DateField(label=_("New date for settlement"), widget=DateInput())
    reason = forms.CharField(
        label=_("Why is more time needed?"),
        help_text=_("The complainant must be told in writing before the term runs out (P3.8)."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@input_for(Step.REASSIGN)
class ReassignForm(StaffForm):
    error_texts = {
        "handler": {
            "required": _("Choose the new handler."),
            "invalid_choice": _("Choose the new handler from the list."),
        },
        "reason": {"required": _("Give the reason for the reassignment.")},
    }

    handler = UserChoiceField(label=_("New handler"), queryset=get_user_model().objects.none())
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = assignable_handlers()

    def service_arguments(self) -> dict:
        return {
            "handler_id": self.cleaned_data["handler"].pk,
            "reason": self.cleaned_data["reason"],
        }


@input_for(Step.SET_PERSON_CONCERNED)
class PersonConcernedForm(StaffForm):
    """Whom the complaint is about (P3.2).

    An empty `manager_concerned` never removes the manager concerned by itself:
    that takes `clear_manager_concerned` and a `reason` (the service refuses the
    same, so the page and the API agree). With the complaint given, the form
    starts from who is concerned now.
    """

    error_texts = {
        "manager_concerned": {"invalid_choice": _("Choose a district manager from the list.")},
    }

    manager_concerned = UserChoiceField(
        label=_("District manager concerned"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("— none —"),
        help_text=_("The board handles a complaint about a district manager (P3.2)."),
    )
    employee_concerned = forms.CharField(
        label=_("Employee concerned"), max_length=200, required=False
    )
    clear_manager_concerned = forms.BooleanField(
        label=_("The complaint is no longer about a district manager"),
        help_text=_("Only to correct a mistake: the district manager can see the complaint again."),
        required=False,
    )
    reason = forms.CharField(
        label=_("Why is the complaint no longer about the district manager?"),
        help_text=_("Goes on the timeline."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = district_manager_choices()
        current = self.complaint.manager_concerned_id if self.complaint is not None else None
        if current is not None:
            # The one concerned now stays a choice, whatever their role (the API takes
            # any manager) and also when they have left since.
            choices = (
                get_user_model()
                .objects.filter(Q(pk__in=choices.values("pk")) | Q(pk=current))
                .order_by("first_name", "last_name")
            )
        self.fields["manager_concerned"].queryset = choices
        if self.complaint is not None:
            self.initial.setdefault("manager_concerned", current)
            self.initial.setdefault("employee_concerned", self.complaint.employee_concerned)
            if current is None:
                # Nothing to remove: the two fields stay (stable names) but are not shown.
                for name in ("clear_manager_concerned", "reason"):
                    self.fields[name].widget = forms.HiddenInput()

    def clean(self):
        data = super().clean()
        manager, clear = data.get("manager_concerned"), data.get("clear_manager_concerned")
        if manager is not None and clear:
            self.add_error("clear_manager_concerned", PERSON_CONCERNED_CONFLICT)
        elif clear and not (data.get("reason") or "").strip():
            self.add_error("reason", PERSON_CONCERNED_REASON_REQUIRED)
        elif (
            manager is None
            and not clear
            and self.complaint is not None
            and self.complaint.manager_concerned_id is not None
            and "manager_concerned" not in self.errors
        ):
            self.add_error("manager_concerned", PERSON_CONCERNED_CHOICE_REQUIRED)
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        manager = data["manager_concerned"]
        return {
            "manager_concerned_id": manager.pk if manager is not None else None,
            "employee_concerned": data["employee_concerned"],
            "clear_manager_concerned": bool(data.get("clear_manager_concerned")),
            "reason": data.get("reason") or "",
        }


@input_for(Step.RECTIFY)
class RectifyForm(StaffForm):
    """Correct the complainant's details (AVG art. 16); asks whether to re-route when the
    new postcode lies in another district."""

    error_texts = {
        "complainant_type": {"required": _("Choose who is complaining.")},
        "reason": {"required": _("Say what was wrong.")},
    }

    complainant_type = forms.ChoiceField(
        label=_("Who is complaining?"), choices=ComplainantType.choices, widget=forms.RadioSelect
    )
    # The complainant's details: one definition with the public form's (complainant_fields).
    name = complainant_field("name", Voice.STAFF)
    form_of_address = complainant_field("form_of_address", Voice.STAFF)
    organisation = forms.CharField(label=_("Organisation"), max_length=200, required=False)
    email = complainant_field("email", Voice.STAFF)
    phone = complainant_field("phone", Voice.STAFF)
    street_address = complainant_field("street_address", Voice.STAFF)
    postcode = complainant_field("postcode", Voice.STAFF)
    city = complainant_field("city", Voice.STAFF)
    is_uwv_client = forms.BooleanField(label=_("The complainant is a UWV client"), required=False)
    reroute = forms.ChoiceField(
        label=_("The new postcode lies in another district. Where does the complaint go?"),
        choices=[
            ("", _("— only asked when the district changes —")),
            ("yes", _("To the new district's handler")),
            ("no", _("It stays with the current district and handler")),
        ],
        required=False,
    )
    # Asked only when the district changes, and then needed: not "(optional)".
    reroute.either_or = True
    reason = forms.CharField(
        label=_("What was wrong?"),
        help_text=_("Goes on the timeline; the old details are not kept."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        c = self.complaint
        if c is not None:
            for field, attr in (
                ("complainant_type", "complainant_type"),
                ("name", "complainant_name"),
                ("form_of_address", "form_of_address"),
                ("organisation", "complainant_organisation"),
                ("email", "complainant_email"),
                ("phone", "complainant_phone"),
                ("street_address", "street_address"),
                ("postcode", "postcode"),
                ("city", "city"),
                ("is_uwv_client", "is_uwv_client"),
            ):
                self.initial.setdefault(field, getattr(c, attr))

    clean_postcode = complainant_clean("postcode", Voice.STAFF)

    def clean_phone(self):
        # A number that is no phone number is refused by the service (409, as in the API).
        value = self.cleaned_data["phone"].strip()
        return (normalise_phone(value) or value) if value else ""

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "complainant": ComplainantData(
                complainant_type=data["complainant_type"],
                name=data["name"],
                form_of_address=data.get("form_of_address") or "",
                organisation=data["organisation"],
                email=data["email"],
                phone=data["phone"],
                street_address=data["street_address"],
                postcode=data["postcode"],
                city=data["city"],
                is_uwv_client=bool(data["is_uwv_client"]),
            ),
            "reason": data["reason"],
            "reroute": {"yes": True, "no": False}.get(data.get("reroute") or ""),
        }


@input_for(Step.ADD_NOTE)
class NoteForm(StaffForm):
    error_texts = {"text": {"required": _("Write the note.")}}

    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 4}))


@input_for(Step.ADD_ATTACHMENT)
class AttachmentForm(StaffForm):
    error_texts = {
        "upload": {"required": _("Choose a file."), "empty": _("The chosen file is empty.")},
    }

    upload = forms.FileField(label=_("File"))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)


TERM_CHOICES = [
    ("", _("All")),
    ("missed", _("Term missed")),
    ("at_risk", _("At risk")),
    ("open", _("On schedule")),
    ("none", _("No open term")),
]


class ListedChoices(forms.models.ModelChoiceIterator):
    """A model field's choices read in one plain query.

    Django reads them through `QuerySet.iterator()`, on PostgreSQL a server-side cursor:
    DECLARE, FETCH and CLOSE for a dozen districts on every work list (issue 15).
    """

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in list(self.queryset):
            yield self.choice(obj)


class WorkListFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        help_text=_("Reference, name, e-mail address or organisation."),
        required=False,
        max_length=200,
    )
    district = forms.ModelChoiceField(
        label=_("District"), queryset=District.objects.all(), required=False, empty_label=_("All")
    )
    district.iterator = ListedChoices
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("All")), *State.choices], required=False
    )
    handler = forms.TypedChoiceField(
        label=_("Handler"), coerce=int, required=False, empty_value=None
    )
    term = forms.ChoiceField(label=_("Term"), choices=TERM_CHOICES, required=False)
    mine = forms.BooleanField(label=_("Only mine"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].choices = [
            ("", _("All")),
            (-1, _("Nobody (triage)")),
            *((u.pk, u.get_full_name() or u.get_username()) for u in assignable_handlers()),
        ]
