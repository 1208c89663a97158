"""The quality manager's page for e-mail that waits for a person, and the original messages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from klachtbeheer.complaints.selectors import complaints_visible_to
from klachtbeheer.complaints.services import ComplainantData
from klachtbeheer.core.errors import ProcedureError
from klachtbeheer.mailintake import services
from klachtbeheer.mailintake.constants import InboundStatus
from klachtbeheer.mailintake.forms import AttachToCaseForm, IgnoreForm, MakeComplaintForm
from klachtbeheer.mailintake.selectors import (
    REVIEW_VIEWS,
    inbound_message_for,
    inbound_messages_for,
)
from klachtbeheer.organisation.selectors import user_is_quality_manager

PAGE_SIZE = 50


def _quality_manager_only(request: HttpRequest) -> None:
    if not user_is_quality_manager(request.user):
        raise Http404(_("This page is for the quality manager."))


@login_required
def review_list_view(request: HttpRequest) -> HttpResponse:
    _quality_manager_only(request)
    view = request.GET.get("view", "review")
    if view not in REVIEW_VIEWS:
        view = "review"
    page = Paginator(inbound_messages_for(request.user, view=view), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "mailintake/review_list.html", {"page": page, "view": view})


@login_required
def review_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    _quality_manager_only(request)
    message = inbound_message_for(request.user, pk=pk)
    return render(request, "mailintake/review_detail.html", {"message": message})


def _too_large_note(request: HttpRequest, too_large: list[str]) -> None:
    if too_large:
        messages.warning(
            request,
            _("Too large to store with the complaint, kept in the original message: %(names)s.")
            % {"names": ", ".join(too_large)},
        )


ACTIONS = {
    "complaint": (MakeComplaintForm, gettext_lazy("Make a complaint")),
    "attach": (AttachToCaseForm, gettext_lazy("Attach to a complaint")),
    "ignore": (IgnoreForm, gettext_lazy("Ignore with a reason")),
}
# What an action did, in words, for the message after it (not the action's name; issue 14.5).
RESULTS = {
    "complaint": gettext_lazy("Complaint %(reference)s is registered from this e-mail."),
    "attach": gettext_lazy("The e-mail is added to complaint %(reference)s."),
    "ignore": gettext_lazy("The e-mail is ignored; the reason is recorded."),
}


def _initial(message, action: str) -> dict:
    if action == "complaint":
        subject = f"{message.subject}\n\n" if message.subject else ""
        return {
            "complainant_type": "client",
            "name": message.sender_name or message.sender_email.split("@")[0],
            "email": message.sender_email,
            "received_on": timezone.localdate(message.received_at),
            "substantiation": subject + message.body_text,
            "acknowledge": message.status != InboundStatus.IGNORED_AUTO,
        }
    if action == "attach":
        references = [p["params"].get("reference") for p in message.problems or []]
        return {"reference": next((r for r in references if r), "")}
    return {}


def _run(action: str, request: HttpRequest, message, data: dict):
    actor = request.user
    if action == "complaint":
        result, too_large = services.inbound_message_make_complaint(
            actor=actor,
            pk=message.pk,
            complainant=ComplainantData(
                complainant_type=data["complainant_type"],
                name=data["name"],
                email=data["email"],
                postcode=data["postcode"],
            ),
            substantiation=data["substantiation"],
            received_on=data["received_on"],
            acknowledge=data["acknowledge"],
        )
        _too_large_note(request, too_large)
        return result
    if action == "attach":
        result, too_large = services.inbound_message_attach_to_case(
            actor=actor, pk=message.pk, reference=data["reference"]
        )
        _too_large_note(request, too_large)
        return result
    return services.inbound_message_ignore(actor=actor, pk=message.pk, reason=data["reason"])


@login_required
@require_http_methods(["GET", "POST"])
def review_action_view(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _quality_manager_only(request)
    if action not in ACTIONS:
        raise Http404(_("Unknown action."))
    message = inbound_message_for(request.user, pk=pk)
    form_class, title = ACTIONS[action]
    if request.method == "POST":
        form = form_class(request.POST)
    else:
        form = form_class(initial=_initial(message, action))
    if not message.open_for_review:
        messages.info(request, _("This message has already been dealt with."))
        return redirect(message)
    if request.method == "POST" and form.is_valid():
        try:
            result = _run(action, request, message, form.cleaned_data)
        except ProcedureError as error:
            form.add_error(None, str(error))
        else:
            if result.complaint_id and (
                complaints_visible_to(request.user).filter(pk=result.complaint_id).exists()
            ):
                messages.success(
                    request, RESULTS[action] % {"reference": result.complaint.reference}
                )
                return redirect(result.complaint)
            reference = result.complaint.reference if result.complaint_id else ""
            messages.success(request, RESULTS[action] % {"reference": reference})
            return redirect("mailintake:review_list")
    return render(
        request,
        "mailintake/review_action.html",
        {"message": message, "form": form, "title": title, "action": action},
        status=400 if form.is_bound else 200,
    )


@login_required
def original_view(request: HttpRequest, pk: int) -> FileResponse:
    """The message as it arrived (.eml), for the quality manager or whoever sees its complaint."""
    message = inbound_message_for(request.user, pk=pk, via="email")
    stamp = timezone.localtime(message.received_at).strftime("%Y%m%d-%H%M")
    response = FileResponse(
        message.raw.open("rb"), as_attachment=True, filename=f"bericht-{stamp}-{message.pk}.eml"
    )
    response["Content-Type"] = "application/octet-stream"
    response["Cache-Control"] = "private, no-store"
    return response
