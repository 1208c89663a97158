"""Pages of the letters app: check and send a letter, downloads, print queue, outbox.

Staff reach a letter only through its complaint (`complaint_for`), so they
see the letters of exactly the complaints they may see.
"""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from klachtbeheer.complaints import services as complaint_services
from klachtbeheer.complaints.models import Complaint, LetterKind
from klachtbeheer.complaints.selectors import complaint_for, log_list_view
from klachtbeheer.core import clock
from klachtbeheer.core.errors import ProcedureError
from klachtbeheer.letters import selectors, services
from klachtbeheer.letters.constants import DeliveryChannel
from klachtbeheer.organisation.models import Role
from klachtbeheer.organisation.selectors import role_of


def _staff_only(request: HttpRequest) -> None:
    if role_of(request.user) in (None, Role.STAFF):
        raise Http404(_("This page is for complaint handlers."))


def letter_file_response(
    *, complaint: Complaint, uid, calendar: bool = False, as_attachment: bool = True
) -> FileResponse:
    """One letter of `complaint` as a download (its PDF, or its .ics); 404 when not there.

    Takes a complaint the caller has already resolved (staff through
    `complaint_for`, the complainant through their status link), no user.
    """
    letter = selectors.letter_of(complaint, uid)
    if letter is None or (calendar and not letter.calendar):
        raise Http404(_("There is no such letter."))
    if calendar:
        content, filename, content_type = (
            letter.calendar.encode("utf-8"),
            f"{letter.our_reference}-uitnodiging-gesprek.ics",
            "text/calendar",
        )
    else:
        content, filename, content_type = (
            services.letter_pdf_bytes(letter),
            letter.filename,
            "application/pdf",
        )
    response = FileResponse(io.BytesIO(content), as_attachment=as_attachment, filename=filename)
    response["Content-Type"] = content_type
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def letter_pdf_view(request: HttpRequest, reference: str, uid) -> FileResponse:
    _staff_only(request)
    complaint = complaint_for(request.user, reference=reference, via="letter")
    return letter_file_response(complaint=complaint, uid=uid)


@login_required
def letter_ics_view(request: HttpRequest, reference: str, uid) -> FileResponse:
    _staff_only(request)
    complaint = complaint_for(request.user, reference=reference, via="letter")
    return letter_file_response(complaint=complaint, uid=uid, calendar=True)


@login_required
@require_http_methods(["GET", "POST"])
def letter_due_view(request: HttpRequest, reference: str, due_id: int) -> HttpResponse:
    """Show exactly what will be sent and how; send it on confirmation (UX: check first)."""
    _staff_only(request)
    complaint = complaint_for(request.user, reference=reference, via="")
    due = complaint.letters_due.filter(pk=due_id).first()
    if due is None:
        raise Http404(_("This letter is not owed."))
    error = ""
    if request.method == "POST":
        try:
            if due.kind == LetterKind.DECISION:
                complaint_services.complaint_send_decision(
                    actor=request.user, reference=reference, sent_on=clock.today()
                )
            else:
                services.letter_send(actor=request.user, reference=reference, due_id=due.pk)
        except ProcedureError as refused:
            error = str(refused)
        else:
            messages.success(request, _("Sent: %(letter)s.") % {"letter": due.get_kind_display()})
            return redirect(complaint)
    draft, refusal = selectors.letter_preview(complaint, due)
    letter = due.letters.first()
    return render(
        request,
        "letters/send.html",
        {
            "complaint": complaint,
            "due": due,
            "draft": draft,
            "refusal": refusal,
            "error": error,
            "letter": letter,
            "DeliveryChannel": DeliveryChannel,
        },
        status=400 if error else 200,
    )


@login_required
def print_queue_view(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    letters = list(selectors.print_queue(request.user))
    log_list_view(
        request.user,
        via="print-queue",
        references=sorted({letter.complaint.reference for letter in letters}),
        filters={},
    )
    return render(request, "letters/print_queue.html", {"letters": letters})


@login_required
@require_POST
def letter_posted_view(request: HttpRequest, reference: str, uid) -> HttpResponse:
    _staff_only(request)
    try:
        letter = services.letter_mark_posted(actor=request.user, reference=reference, uid=uid)
    except ProcedureError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(letter)s for %(reference)s marked as posted today.")
            % {"letter": letter.get_kind_display(), "reference": reference},
        )
    return redirect("letters:print_queue")


def _quality_manager_only(request: HttpRequest) -> None:
    if role_of(request.user) != Role.QUALITY_MANAGER:
        raise Http404(_("This page is for the quality manager."))


@login_required
def outbox_view(request: HttpRequest) -> HttpResponse:
    _quality_manager_only(request)
    return render(request, "letters/outbox.html", selectors.outbox_overview(request.user))


@login_required
@require_POST
def message_retry_view(request: HttpRequest, token: str) -> HttpResponse:
    _quality_manager_only(request)
    try:
        services.message_retry(actor=request.user, token=token)
    except ProcedureError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The message is queued again."))
    return redirect("letters:outbox")
