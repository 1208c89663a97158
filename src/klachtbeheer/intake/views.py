"""Public pages (form, confirmation, status, procedure, privacy) and the staff pages of
intake (review queue, API tokens). Thin: parse, call a service or selector, render."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from klachtbeheer.complaints.selectors import work_calendar
from klachtbeheer.complaints.terms import deadline
from klachtbeheer.core import clock
from klachtbeheer.core.errors import ProcedureError
from klachtbeheer.intake import altcha, files, ratelimit, selectors, services, spam
from klachtbeheer.intake.forms import AddInformationForm, IntakeForm, ReviewForm, TokenForm
from klachtbeheer.intake.models import StaffToken, Submission, SubmissionState
from klachtbeheer.letters.views import letter_file_response
from klachtbeheer.organisation.models import Organisation, Role
from klachtbeheer.organisation.selectors import role_of
from klachtbeheer.reporting.views import satisfaction_survey, survey_context

DRAFT_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
SESSION_RECEIVED = "intake_received"


def _draft(request: HttpRequest) -> str:
    value = request.POST.get("draft", "")
    return value if DRAFT_RE.match(value) else secrets.token_urlsafe(24)


def _store_files(request: HttpRequest, draft: str) -> list[str]:
    """Keep every acceptable file that came with this request; messages for the others."""
    errors: list[str] = []
    already = len(services.uploads_of_draft(draft))
    for upload in request.FILES.getlist("attachments"):
        if not upload.name and not upload.size:
            continue  # the browser's empty file field
        if already >= files.MAX_FILES:
            errors.append(
                _("You can send at most %(n)s files. “%(name)s” was not added.")
                % {"n": files.MAX_FILES, "name": upload.name}
            )
            continue
        try:
            services.upload_store(draft=draft, upload=upload)
        except files.FileRefused as error:
            errors.append(str(error))
        else:
            already += 1
    return errors


def _public(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


# --- the form ------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def complaint_form(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        form = IntakeForm()
        draft, started = secrets.token_urlsafe(24), spam.started_token()
        return _render_form(request, form, draft=draft, started=started)

    draft = _draft(request)
    started = request.POST.get(spam.STARTED_FIELD) or spam.started_token()
    file_errors = _store_files(request, draft)
    if request.POST.get("remove"):
        with contextlib.suppress(ValueError):
            services.upload_remove(draft=draft, upload_id=int(request.POST["remove"]))
    if request.POST.get("remove") or request.POST.get("action") == "upload":
        # Adding or removing a file is not sending: keep the answers, show no other errors.
        form = IntakeForm(initial=request.POST.dict())
        return _render_form(
            request, form, draft=draft, started=started, file_errors=file_errors, status=200
        )

    form = IntakeForm(request.POST)
    if form.is_valid() and not file_errors:
        reasons = spam.form_reasons(
            honeypot=request.POST.get(spam.HONEYPOT_FIELD, ""),
            started=started,
            pow_payload=request.POST.get("altcha", ""),
            address=ratelimit.client_address(request),
        )
        try:
            received = services.submission_receive(
                data=form.intake_data(), draft=draft, spam_reasons=reasons
            )
        except ProcedureError as error:
            file_errors.append(str(error))
        else:
            request.session[SESSION_RECEIVED] = {
                "token": received.status_token,
                "reference": received.complaint.reference if received.complaint else "",
                "received_on": received.submission.received_on.isoformat(),
                "held": received.held,
                "email": bool(form.cleaned_data.get("email")),
            }
            return redirect("intake:received")
    return _render_form(
        request, form, draft=draft, started=started, file_errors=file_errors, status=400
    )


def _render_form(
    request, form, *, draft: str, started: str, file_errors=(), status: int = 200
) -> HttpResponse:
    has_errors = bool(file_errors) or (form.is_bound and bool(form.errors))
    response = render(
        request,
        "intake/form.html",
        {
            "form": form,
            "draft": draft,
            "started": started,
            "uploads": services.uploads_of_draft(draft),
            "file_errors": list(file_errors),
            "has_errors": has_errors,
            "max_files": files.MAX_FILES,
            "honeypot_field": spam.HONEYPOT_FIELD,
            "organisation": Organisation.current(),
        },
        status=status,
    )
    return _public(response)


@never_cache
@require_GET
def complaint_received(request: HttpRequest) -> HttpResponse:
    received = request.session.get(SESSION_RECEIVED)
    if not received:
        return redirect("intake:form")
    organisation = Organisation.current()
    received_on = dt.date.fromisoformat(received["received_on"])
    calendar = work_calendar()
    context = {
        "received": received,
        "received_on": received_on,
        "status_url": request.build_absolute_uri(
            reverse("intake:status", kwargs={"token": received["token"]})
        ),
        "status_path": reverse("intake:status", kwargs={"token": received["token"]}),
        "contact_by": deadline(received_on, organisation.contact_term_days, calendar).due,
        "settle_by": deadline(received_on, organisation.settle_term_days, calendar).due,
        "organisation": organisation,
    }
    return _public(render(request, "intake/received.html", context))


@never_cache
@require_GET
def altcha_challenge(request: HttpRequest) -> JsonResponse:
    return JsonResponse(altcha.new_challenge())


# --- the status page -------------------------------------------------------------


def _status_view(request: HttpRequest, token: str):
    """The status behind a link, or the answer instead of it.

    A valid link always opens (it is never counted, so its holder is never locked out);
    only links that lead nowhere count against the address, and past
    INTAKE_STATUS_VIEWS_PER_HOUR of those in an hour the answer is 429 instead of 404.
    """
    view = selectors.status_for(token)
    if view is not None:
        return view, None
    address = ratelimit.client_address(request)
    if not ratelimit.hit("status", address, limit=settings.INTAKE_STATUS_VIEWS_PER_HOUR):
        response = render(request, "intake/too_many.html", status=429)
        response["Retry-After"] = "3600"
        return None, _public(response)
    return None, _public(render(request, "intake/status_not_found.html", status=404))


@never_cache
@require_http_methods(["GET", "POST"])
def status_page(request: HttpRequest, token: str) -> HttpResponse:
    view, refusal = _status_view(request, token)
    if refusal is not None:
        return refusal
    form = AddInformationForm()
    draft = secrets.token_urlsafe(24)
    file_errors: list[str] = []
    status = 200
    if request.method == "POST" and view.complaint is not None:
        draft = _draft(request)
        file_errors = _store_files(request, draft)
        if request.POST.get("remove"):
            with contextlib.suppress(ValueError):
                services.upload_remove(draft=draft, upload_id=int(request.POST["remove"]))
            form = AddInformationForm(initial=request.POST.dict())
        elif request.POST.get("action") == "upload":
            form = AddInformationForm(initial=request.POST.dict())
        else:
            form = AddInformationForm(request.POST)
            if form.is_valid() and not file_errors:
                try:
                    services.complaint_add_information(
                        token=token,
                        text=form.cleaned_data["text"],
                        uploads=services.uploads_of_draft(draft),
                    )
                except ProcedureError as error:
                    form.add_error("text", str(error))
                else:
                    messages.success(request, _("Thank you. We have added your information."))
                    return redirect("intake:status", token=token)
            status = 400
    elif request.method == "POST":
        status = 409
    context = {
        "view": view,
        "view_token": token,
        "complaint": view.complaint,
        "form": form,
        "draft": draft,
        "uploads": services.uploads_of_draft(draft) if request.method == "POST" else [],
        "file_errors": file_errors,
        "has_errors": bool(file_errors) or (form.is_bound and bool(form.errors)),
        "max_files": files.MAX_FILES,
        "organisation": Organisation.current(),
    }
    if view.complaint is not None:
        survey_url = reverse("intake:status_survey", kwargs={"token": token})
        context["survey"] = survey_context(view.complaint, action_url=survey_url)
    return _public(render(request, "intake/status.html", context, status=status))


@never_cache
@require_http_methods(["GET", "POST"])
def status_survey(request: HttpRequest, token: str) -> HttpResponse:
    """The satisfaction survey after closing (P5.2), behind the complainant's own link."""
    view, refusal = _status_view(request, token)
    if refusal is not None:
        return refusal
    if view.complaint is None:
        return _public(render(request, "intake/status_not_found.html", status=404))
    return _public(
        satisfaction_survey(
            request,
            view.complaint,
            action_url=reverse("intake:status_survey", kwargs={"token": token}),
            extra_context={"status_url": reverse("intake:status", kwargs={"token": token})},
        )
    )


@never_cache
@require_GET
def status_letter(request: HttpRequest, token: str, uid) -> HttpResponse:
    """One letter sent to the complainant, as a PDF (or its .ics invitation with ?agenda=1)."""
    view, refusal = _status_view(request, token)
    if refusal is not None:
        return refusal
    if view.complaint is None:
        return _public(render(request, "intake/status_not_found.html", status=404))
    return letter_file_response(
        complaint=view.complaint, uid=uid, calendar=request.GET.get("agenda") == "1"
    )


# --- public information --------------------------------------------------------------


@require_GET
def procedure_page(request: HttpRequest) -> HttpResponse:
    organisation = Organisation.current()
    return render(
        request,
        "intake/procedure.html",
        {
            "organisation": organisation,
            "address_lines": [
                line.strip()
                for line in organisation.complaints_address.splitlines()
                if line.strip()
            ],
            "board_handles": organisation.board_handler_id is not None,
        },
    )


@require_GET
def privacy_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "intake/privacy.html",
        {
            "organisation": Organisation.current(),
            "status_days": settings.INTAKE_STATUS_LINK_DAYS,
        },
    )


# --- staff: the review queue (P2.2) -----------------------------------------------------


def _quality_manager_only(request: HttpRequest) -> None:
    if role_of(request.user) != Role.QUALITY_MANAGER:
        raise Http404(_("This page is for the quality manager."))


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    _quality_manager_only(request)
    return render(
        request,
        "intake/review_list.html",
        {
            "pending": selectors.pending_submissions().prefetch_related("uploads"),
            "reviewed": selectors.reviewed_submissions()[:50],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _quality_manager_only(request)
    submission = Submission.objects.filter(pk=pk).select_related("complaint", "api_key").first()
    if submission is None:
        raise Http404(_("There is no such submission."))
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        note = form.cleaned_data["note"]
        try:
            if request.POST.get("decision") == "accept":
                complaint = services.submission_accept(
                    actor=request.user, submission_id=submission.pk, note=note
                )
                messages.success(
                    request,
                    _("Registered as complaint %(reference)s.")
                    % {"reference": complaint.reference},
                )
                return redirect(complaint)
            if request.POST.get("decision") == "reject":
                services.submission_reject(
                    actor=request.user, submission_id=submission.pk, note=note
                )
                messages.success(request, _("Rejected; the answers and files were removed."))
                return redirect("intake:review_list")
            form.add_error(None, _("Choose whether to register or reject it."))
        except ProcedureError as error:
            if error.code == "reason_required":
                form.add_error("note", str(error))
            else:
                form.add_error(None, str(error))
    return render(
        request,
        "intake/review_detail.html",
        {
            "submission": submission,
            "reasons": spam.reason_labels(submission.spam_reasons),
            "answers": [
                (IntakeForm.base_fields[key].label if key in IntakeForm.base_fields else key, value)
                for key, value in (submission.data or {}).items()
                if value not in ("", None, False)
            ],
            "uploads": submission.uploads.all(),
            "form": form,
            "pending": submission.state == SubmissionState.PENDING,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


# --- staff: personal API tokens -------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    if role_of(request.user) in (None, Role.STAFF):
        raise Http404(_("This page is for complaint handlers."))
    form = (
        TokenForm(request.POST or None) if request.POST.get("action") != "revoke" else TokenForm()
    )
    new_secret = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "revoke":
                services.staff_token_revoke(
                    actor=request.user, token_id=int(request.POST.get("token", "0") or 0)
                )
                messages.success(request, _("The token was revoked."))
                return redirect("intake:tokens")
            if form.is_valid():
                _token, new_secret = services.staff_token_create(
                    actor=request.user, name=form.cleaned_data["name"]
                )
                form = TokenForm()
        except (ProcedureError, ValueError) as error:
            form.add_error(None, str(error))
    tokens = StaffToken.objects.filter(user=request.user)
    response = render(
        request,
        "intake/tokens.html",
        {"form": form, "tokens": tokens, "new_secret": new_secret, "now": clock.now()},
        status=400 if form.is_bound and form.errors else 200,
    )
    response["Cache-Control"] = "no-store"
    return response
