"""Staff pages: thin. Parse input, call one selector or service, render."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format, number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from klachtbeheer.complaints import services, steps
from klachtbeheer.complaints.forms import RegisterComplaintForm, WorkListFilterForm
from klachtbeheer.complaints.models import Attachment, Complaint, EventKind, LetterKind
from klachtbeheer.complaints.selectors import (
    COUNT_CAP,
    WORK_LIST_ORDER_FEW,
    CappedPaginator,
    SearchTooSlow,
    WorkListFilters,
    available_steps,
    bounded_search,
    complaint_for,
    complaint_terms,
    complaints_visible_to,
    exact_lookup,
    log_list_view,
    staff_names_in,
    work_calendar,
    work_list,
)
from klachtbeheer.complaints.templatetags.complaint_tags import state_class, term_class, term_label
from klachtbeheer.complaints.terms import ComplaintTerms, TermState
from klachtbeheer.complaints.workflow import Step
from klachtbeheer.core import clock
from klachtbeheer.core.errors import ProcedureError
from klachtbeheer.core.templatetags.kb import short_date
from klachtbeheer.core.text import escaped
from klachtbeheer.letters import selectors as letter_selectors
from klachtbeheer.organisation.models import Organisation, Role
from klachtbeheer.organisation.selectors import role_of

PAGE_SIZE = 50


def _staff_only(request: HttpRequest) -> None:
    if role_of(request.user) in (None, Role.STAFF):
        raise Http404(_("This page is for complaint handlers."))


def _form_data(request: HttpRequest) -> tuple:
    """Bound data for a POST (even an empty one, such as "close"), unbound for a GET."""
    if request.method == "POST":
        return request.POST, request.FILES
    return None, None


@dataclass(frozen=True)
class WorkListLine:
    """One row of the work list as the page shows it, worked out once in Python.

    The template only prints these (issue 15: looking the same values up in the
    template, row by row, was most of the page's time). The values that repeat down
    the list (a date, a state, a term's words) are worked out once per page.
    """

    complaint: Complaint
    terms: ComplaintTerms
    url: str
    term: TermState | None  # the next term, None when there is none
    term_name: str  # contact, notice or settle
    term_words: str
    due: str
    act_by: str  # empty when it is the due date itself
    state_label: str
    state_class: str
    handler: str  # empty: nobody (triage)
    district: str
    received: str


def work_list_lines(rows: list[tuple[Complaint, ComplaintTerms]]) -> list[WorkListLine]:
    once: dict[tuple, str] = {}

    def memo(key: tuple, work) -> str:
        if key not in once:
            once[key] = work()
        return once[key]

    def day(value: dt.date) -> str:
        return memo(("day", value), lambda: short_date(value))

    lines = []
    for complaint, terms in rows:
        open_terms = terms.open_terms
        term = open_terms[0][1] if open_terms else None
        handler = complaint.handler
        lines.append(
            WorkListLine(
                complaint=complaint,
                terms=terms,
                url=complaint.get_absolute_url(),
                term=term,
                term_name=open_terms[0][0] if open_terms else "",
                term_words=memo(("words", term), lambda t=term: str(t.words)) if term else "",
                due=day(term.deadline.due) if term else "",
                act_by=(
                    day(term.deadline.act_by)
                    if term and term.deadline.act_by != term.deadline.due
                    else ""
                ),
                state_label=memo(("state", complaint.state), complaint.get_state_display),
                state_class=state_class(complaint.state),
                handler=(handler.get_full_name() or handler.get_username()) if handler else "",
                district=str(complaint.district) if complaint.district else "",
                received=memo(
                    ("received", complaint.received_on),
                    lambda c=complaint: date_format(c.received_on, "SHORT_DATE_FORMAT"),
                ),
            )
        )
    return lines


_ROW_CLASS = {"missed": " kb-row--missed", "at_risk": " kb-row--at-risk"}


def work_list_rows(lines: list[WorkListLine]) -> SafeString:
    """The work list's rows as HTML, written here rather than in the template.

    Issue 15: Django's template language looked up each of a row's values one by one,
    4 ms for a page of 50 rows, more than the queries; written here they take a tenth
    of that. Every value is escaped (`core.text.escaped`); the labels are translated once per
    page. The table around the rows is in `complaints/work_list.html`.
    """
    e = escaped
    label = {
        key: e(text)
        for key, text in (
            ("term", _("Next term")),
            ("complainant", _("Complainant")),
            ("state", _("State")),
            ("handler", _("Handler")),
            ("district", _("District")),
            ("received", _("Received")),
        )
    }
    no_term = f'<span class="kb-muted">{e(_("No open term"))}</span>'
    nobody = f'<span class="kb-muted">{e(_("Nobody (triage)"))}</span>'
    term_names = {"contact": e(_("contact")), "notice": e(_("notice of extension"))}
    settle = e(_("settlement"))

    def term_cell(line: WorkListLine) -> str:
        term = line.term
        if term is None:
            return no_term
        act_by = "; " + e(_("act by %(date)s") % {"date": line.act_by}) if line.act_by else ""
        return (
            f'<span class="kb-tag {e(term_class(term.status))}">{e(term_label(term.status))}'
            f'</span> <span class="kb-term-words">{e(capfirst(line.term_words))}</span> '
            f'<span class="kb-term-date">{term_names.get(line.term_name, settle)} '
            f"{e(line.due)}{act_by}</span>"
        )

    def row(line: WorkListLine) -> str:
        complaint = line.complaint
        status = str(line.term.status) if line.term else ""
        complainant = e(complaint.complainant_name)
        if complaint.complainant_organisation:
            complainant += (
                f'<span class="kb-muted kb-block">{e(complaint.complainant_organisation)}</span>'
            )
        return (
            f'<tr class="utrecht-table__row{_ROW_CLASS.get(status, "")}">'
            '<th scope="row" class="utrecht-table__header-cell kb-table__ref">'
            f'<a class="utrecht-link utrecht-link--html-a" href="{e(line.url)}">'
            f"{e(complaint.reference)}</a></th>"
            f'<td class="utrecht-table__cell kb-table__term" data-label="{label["term"]}">'
            f"{term_cell(line)}</td>"
            f'<td class="utrecht-table__cell" data-label="{label["complainant"]}">'
            f"{complainant}</td>"
            f'<td class="utrecht-table__cell" data-label="{label["state"]}">'
            f'<span class="kb-tag {e(line.state_class)}">{e(line.state_label)}</span></td>'
            f'<td class="utrecht-table__cell" data-label="{label["handler"]}">'
            f"{e(line.handler) if line.handler else nobody}</td>"
            f'<td class="utrecht-table__cell" data-label="{label["district"]}">'
            f"{e(line.district or '—')}</td>"
            f'<td class="utrecht-table__cell kb-nowrap" data-label="{label["received"]}">'
            f"{e(line.received)}</td></tr>"
        )

    return mark_safe("\n".join(row(line) for line in lines))  # noqa: S308 (escaped above)


@login_required
def work_list_view(request: HttpRequest) -> HttpResponse:
    if role_of(request.user) in (None, Role.STAFF):
        return redirect("home")  # the page that says why there are no complaints here
    _staff_only(request)
    form = WorkListFilterForm(request.GET or None)
    filters = WorkListFilters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = WorkListFilters(
            district=data["district"].pk if data["district"] else None,
            state=data["state"] or None,
            handler=data["handler"],
            term=data["term"] or None,
            q=data["q"] or "",
            mine=data["mine"],
        )
    # The terms' settings as this process read them at most a few seconds ago (issue 15).
    organisation = Organisation.cached()
    calendar = work_calendar()
    today = clock.today()
    queryset = work_list(
        request.user, filters=filters, calendar=calendar, organisation=organisation, today=today
    )
    too_slow = False
    try:
        # A search is bounded by a statement timeout; the count stops at COUNT_CAP (issue 15).
        with bounded_search(enabled=bool(filters.q)):
            # A whole reference or e-mail address is a handful of rows by its index.
            few = bool(filters.q) and not exact_lookup(filters.q)
            page = CappedPaginator(
                queryset, PAGE_SIZE, order_when_few=WORK_LIST_ORDER_FEW if few else None
            ).get_page(request.GET.get("page"))
            complaints = list(page.object_list)
    except SearchTooSlow:
        too_slow = True
        page = CappedPaginator(queryset.none(), PAGE_SIZE).get_page(1)
        complaints = []
    rows = [
        (c, complaint_terms(c, calendar=calendar, organisation=organisation, today=today))
        for c in complaints
    ]
    log_list_view(
        request.user,
        via="list",
        references=[c.reference for c in page.object_list],
        filters={**vars(filters), "page": page.number},
    )
    # The letters waiting to be sent belong to the plain work list, not to a search's
    # results: a search stays one bounded set of queries (issue 15), even when it was cut off.
    waiting_letters, waiting_count = (
        ([], 0) if filters.q else letter_selectors.letters_waiting(request.user)
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "complaints/work_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "work_list_rows": work_list_rows(work_list_lines(rows)),
            "query": query.urlencode(),
            "filtered": any(v for k, v in request.GET.items() if k != "page"),
            "too_slow": too_slow,
            "cap_label": number_format(COUNT_CAP, force_grouping=True),
            "waiting_letters": waiting_letters,
            "waiting_count": waiting_count,
            "today": today,
        },
        status=200,
    )


@login_required
def detail_view(request: HttpRequest, reference: str) -> HttpResponse:
    _staff_only(request)
    complaint = complaint_for(request.user, reference=reference, via="web")
    organisation = Organisation.current()
    terms = complaint_terms(complaint, calendar=work_calendar(), organisation=organisation)
    events = list(complaint.events.select_related("actor"))
    return render(
        request,
        "complaints/detail.html",
        {
            "complaint": complaint,
            "terms": terms,
            "events": events,
            "staff_names": staff_names_in(events),
            "attachments": complaint.attachments.all(),
            "measures": complaint.measures.all(),
            "letters_due": complaint.letters_due.all(),
            "letter_rows": letter_selectors.letter_rows(complaint),
            "steps": available_steps(request.user, complaint),
            "contact_attempts": sum(e.kind == EventKind.CONTACT_ATTEMPT for e in events),
            "LetterKind": LetterKind,
        },
    )


# What a step did, in words, for the message after it (not the step's name).
RESULT_MESSAGES = {
    Step.ACCEPT: gettext_lazy(
        "The complaint is now being handled. Contact the complainant within a week."
    ),
    Step.REJECT: gettext_lazy(
        "Recorded as not a complaint. The answer to the sender is ready to send."
    ),
    Step.LOG_CONTACT_ATTEMPT: gettext_lazy("The contact attempt is on the timeline."),
    Step.RECORD_CONTACT: gettext_lazy("The contact with the complainant is recorded."),
    Step.WITHDRAW: gettext_lazy("The complaint is withdrawn. The confirmation is ready to send."),
    Step.PLAN_MEETING: gettext_lazy("The meeting is planned. The invitation is ready to send."),
    Step.HOLD_MEETING: gettext_lazy("The meeting and its report are recorded."),
    Step.WAIVE_MEETING: gettext_lazy("Recorded that there is no meeting."),
    Step.RECORD_VERDICT: gettext_lazy("The verdict is recorded. Next: send the decision."),
    Step.SEND_DECISION: gettext_lazy("The decision letter is on its way to the complainant."),
    Step.CLOSE: gettext_lazy("The complaint is closed."),
    Step.REOPEN: gettext_lazy("The complaint is reopened."),
    Step.EXTEND: gettext_lazy("The term is extended. The notice is ready to send."),
    Step.REASSIGN: gettext_lazy("The complaint has a new handler."),
    Step.SET_PERSON_CONCERNED: gettext_lazy("The person concerned is recorded."),
    Step.ADD_NOTE: gettext_lazy("The note is on the timeline."),
    Step.ADD_ATTACHMENT: gettext_lazy("The file is added."),
}


def _result_message(step: Step, arguments: dict) -> str:
    if step == Step.SEND_DECISION and arguments.get("sent_earlier"):
        return str(_("The decision letter sent earlier is recorded."))
    return str(RESULT_MESSAGES.get(step, _("Done.")))


@login_required
@require_http_methods(["GET", "POST"])
def step_view(request: HttpRequest, reference: str, step: str) -> HttpResponse:
    _staff_only(request)
    try:
        the_step = Step(step)
    except ValueError:
        raise Http404(_("Unknown step.")) from None
    complaint = complaint_for(request.user, reference=reference, via="")
    form_class = steps.step_spec(the_step).form
    allowed = the_step in available_steps(request.user, complaint)
    form = form_class(*_form_data(request), complaint=complaint)
    if request.method == "POST" and allowed and form.is_valid():
        try:
            steps.run_step(
                the_step,
                actor=request.user,
                reference=reference,
                arguments=form.service_arguments(),
            )
        except ProcedureError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, str(_result_message(the_step, form.service_arguments())))
            # A step that owes a letter goes on to that letter, to check and send it.
            return redirect(letter_selectors.letter_to_review_url(complaint, the_step) or complaint)
    refused = steps.refusal(request.user, complaint, the_step)
    refusal = str(refused) if refused else ""
    status = 409 if not allowed else (400 if form.is_bound else 200)
    context = {"complaint": complaint, "step": the_step, "form": form, "refusal": refusal}
    if the_step == Step.SEND_DECISION and allowed:
        # Before the decision letter goes out, show it (UX.md).
        context["letter_preview"], context["letter_refusal"] = letter_selectors.decision_preview(
            complaint
        )
    return render(request, "complaints/step.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def register_view(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    form = RegisterComplaintForm(*_form_data(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            complaint = services.complaint_register(
                actor=request.user,
                channel=data["channel"],
                received_on=data["received_on"],
                complainant=services.ComplainantData(
                    complainant_type=data["complainant_type"],
                    name=data["name"],
                    form_of_address=data.get("form_of_address") or "",
                    organisation=data["organisation"],
                    email=data["email"],
                    phone=data["phone"],
                    street_address=data["street_address"],
                    postcode=data["postcode"],
                    city=data["city"],
                    is_uwv_client=data["is_uwv_client"],
                ),
                substantiation=data["substantiation"],
                desired_outcome=data["desired_outcome"],
                service=data["service"],
                employee_concerned=data["employee_concerned"],
                manager_concerned=data["manager_concerned"],
                attachments=[data["attachment"]] if data["attachment"] else [],
            )
        except ProcedureError as error:
            form.add_error(None, str(error))
        else:
            form.discard_kept_attachment()
            messages.success(
                request,
                _("Complaint %(reference)s registered.") % {"reference": complaint.reference},
            )
            if complaints_visible_to(request.user).filter(pk=complaint.pk).exists():
                return redirect(complaint)
            return redirect("complaints:work_list")
    if form.is_bound:
        form.keep_attachment()  # a browser never refills a file input
    return render(
        request,
        "complaints/register.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
def attachment_view(request: HttpRequest, reference: str, pk: int) -> FileResponse:
    _staff_only(request)
    complaint = complaint_for(request.user, reference=reference, via="attachment")
    attachment = Attachment.objects.filter(complaint=complaint, pk=pk).first()
    if attachment is None:
        raise Http404(_("No such attachment."))
    response = FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.filename
    )
    response["Content-Type"] = "application/octet-stream"
    response["Cache-Control"] = "private, no-store"
    return response
