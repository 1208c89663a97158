"""Public pages (form, confirmation, status, procedure, privacy) and the staff pages of
intake (review queue, API tokens). Thin: parse, call a service or selector, render."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from klachtbeheer.complaints.selectors import work_calendar
from klachtbeheer.complaints.terms import deadline
from klachtbeheer.core import clock
from klachtbeheer.core.errors import ProcedureError, StorageUnavailable
from klachtbeheer.intake import altcha, files, ratelimit, selectors, services, spam
from klachtbeheer.intake.forms import (
    AddInformationForm,
    IntakeForm,
    LinkAgainForm,
    ReviewForm,
    TokenForm,
)
from klachtbeheer.intake.models import StaffToken, Submission, SubmissionState
from klachtbeheer.letters.views import letter_file_response
from klachtbeheer.organisation.models import Organisation, Role
from klachtbeheer.organisation.retention import retention_terms
from klachtbeheer.organisation.selectors import role_of
from klachtbeheer.reporting.views import satisfaction_survey, survey_context

DRAFT_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
# What the "received" page shows, kept for it in a signed cookie for an hour.
RECEIVED_COOKIE = "kb_received"
RECEIVED_SALT = "klachtbeheer.intake.received"
RECEIVED_SECONDS = 3600


def _draft(request: HttpRequest) -> str:
    value = request.POST.get("draft", "")
    return value if DRAFT_RE.match(value) else secrets.token_urlsafe(24)


@dataclass
class FileNews:
    """What one request did to the files of a draft, said where the files are (issue 14.6)."""

    added: list[str] = field(default_factory=list)
    removed: str = ""
    errors: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        news = []
        if len(self.added) == 1:
            news.append(_("“%(name)s” is added.") % {"name": self.added[0]})
        elif self.added:
            names = ", ".join(f"“{name}”" for name in self.added)
            news.append(
                ngettext(
                    "%(count)s file is added: %(names)s.",
                    "%(count)s files are added: %(names)s.",
                    len(self.added),
                )
                % {"count": len(self.added), "names": names}
            )
        if self.removed:
            news.append(_("“%(name)s” is removed.") % {"name": self.removed})
        if self.errors:
            news.append(
                ngettext(
                    "There is a problem with a file; the message is below.",
                    "There are problems with files; the messages are below.",
                    len(self.errors),
                )
            )
        return news


def _store_files(request: HttpRequest, draft: str) -> FileNews:
    """Keep every acceptable file that came with this request; messages for the others."""
    news = FileNews()
    sent = [u for u in request.FILES.getlist("attachments") if u.name or u.size]
    # (an empty name and size: the browser's empty file field)
    already = len(services.uploads_of_draft(draft)) if sent else 0
    for upload in sent:
        if already >= files.MAX_FILES:
            news.errors.append(
                _("You can send at most %(n)s files. “%(name)s” was not added.")
                % {"n": files.MAX_FILES, "name": upload.name}
            )
            continue
        try:
            stored = services.upload_store(draft=draft, upload=upload)
        except files.FileRefused as error:
            news.errors.append(str(error))
        else:
            news.added.append(stored.filename)
            already += 1
    return news


def _file_action(request: HttpRequest, draft: str) -> FileNews | None:
    """ "Add the file" or "Remove …": not sending. Returns what happened, None otherwise."""
    news = _store_files(request, draft)
    if request.POST.get("remove"):
        with contextlib.suppress(ValueError):
            news.removed = services.upload_remove(
                draft=draft, upload_id=int(request.POST["remove"])
            )
        return news
    if request.POST.get("action") != "upload":
        return news if news.errors else None
    if not news.added and not news.errors:
        news.errors.append(_("Choose a file first, then press “Add the file”."))
    return news


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
        # A new draft has no files yet: nothing to look up.
        return _render_form(
            request, form, draft=draft, started=started, uploads=[], cache_fields=True
        )

    draft = _draft(request)
    started = request.POST.get(spam.STARTED_FIELD) or spam.started_token()
    news = _file_action(request, draft)
    file_errors = news.errors if news else []
    if request.POST.get("remove") or request.POST.get("action") == "upload":
        # Adding or removing a file is not sending: keep the answers, show no other errors,
        # and say what happened beside the files, where the visitor is (#bijlagen).
        form = IntakeForm(initial=request.POST.dict())
        return _render_form(request, form, draft=draft, started=started, news=news, status=200)

    form = IntakeForm(request.POST)
    if form.is_valid() and not file_errors:
        try:
            # The spam checks' writes commit with the registration (issue 15).
            with transaction.atomic(durable=True):
                check = spam.form_check(
                    honeypot=request.POST.get(spam.HONEYPOT_FIELD, ""),
                    started=started,
                    pow_payload=request.POST.get("altcha", ""),
                    address=ratelimit.client_address(request),
                )
                received = services.submission_receive_within_transaction(
                    data=form.intake_data(),
                    draft=draft,
                    spam_reasons=check.reasons,
                    record_hits=check.record,
                    uploads=None if _draft_may_have_files(request) else [],
                )
        except StorageUnavailable:
            raise  # nothing was saved: the page that says so (core.middleware)
        except ProcedureError as error:
            file_errors.append(str(error))
        else:
            response = redirect("intake:received")
            # A signed cookie for the "received" page only: no session row to write, so
            # the registration is the request's one commit (issue 15).
            response.set_signed_cookie(
                RECEIVED_COOKIE,
                json.dumps(
                    {
                        "token": received.status_token,
                        "reference": received.complaint.reference if received.complaint else "",
                        "received_on": received.submission.received_on.isoformat(),
                        "held": received.held,
                        "email": bool(form.cleaned_data.get("email")),
                    }
                ),
                salt=RECEIVED_SALT,
                max_age=RECEIVED_SECONDS,
                path=reverse("intake:received"),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
            return response
    return _render_form(
        request, form, draft=draft, started=started, file_errors=file_errors, status=400
    )


def _draft_may_have_files(request: HttpRequest) -> bool:
    """Whether the draft's stored files must be looked up before registering.

    The page says how many files it showed (`draft_files`): with none shown and none
    sent along, there is nothing to look up (issue 15: one statement less). Telling
    us "0" with files stored only leaves one's own files out; they are cleaned up.
    """
    sent = any(u.name or u.size for u in request.FILES.getlist("attachments"))
    return sent or request.POST.get(DRAFT_FILES_FIELD) != "0"


DRAFT_FILES_FIELD = "draft_files"


def _render_form(
    request,
    form,
    *,
    draft: str,
    started: str,
    file_errors=(),
    news=None,
    status: int = 200,
    uploads: list | None = None,
    cache_fields: bool = False,
) -> HttpResponse:
    if news is not None:
        file_errors = news.errors
    has_errors = bool(file_errors) or (form.is_bound and bool(form.errors))
    uploads = services.uploads_of_draft(draft) if uploads is None else uploads
    response = render(
        request,
        "intake/form.html",
        {
            "form": form,
            "draft": draft,
            "started": started,
            "uploads": uploads,
            # Only a new, empty form's questions are the same for everyone (form.html).
            "cache_fields": cache_fields and not form.is_bound and not form.initial,
            "file_errors": list(file_errors),
            "file_news": news.lines() if news is not None else [],
            "file_action": news is not None,
            "has_errors": has_errors,
            "max_files": files.MAX_FILES,
            "honeypot_field": spam.HONEYPOT_FIELD,
            "organisation": Organisation.cached(),
            # The mailbox the e-mail intake reads (P2.1), as on the procedure page.
            "complaints_email": settings.MAILINTAKE_ADDRESS,
        },
        status=status,
    )
    return _public(response)


@never_cache
@require_GET
def complaint_received(request: HttpRequest) -> HttpResponse:
    try:
        received = json.loads(
            request.get_signed_cookie(RECEIVED_COOKIE, salt=RECEIVED_SALT, max_age=RECEIVED_SECONDS)
        )
    except (KeyError, ValueError, signing.BadSignature):
        return redirect("intake:form")
    organisation = Organisation.cached()
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


SESSION_STATUS = "intake_status_link"


def _too_many(request: HttpRequest) -> HttpResponse | None:
    """Counts a link that led nowhere against the address; past the limit, the 429 page.

    Only links that lead nowhere are counted, so the holder of a valid link is never
    locked out (issue 11); a visit through the session is not counted at all.
    """
    address = ratelimit.client_address(request)
    if ratelimit.hit("status", address, limit=settings.INTAKE_STATUS_VIEWS_PER_HOUR):
        return None
    response = render(request, "intake/too_many.html", status=429)
    response["Retry-After"] = "3600"
    return _public(response)


def _status_from_session(request: HttpRequest) -> selectors.StatusView | None:
    return selectors.status_for_hash(request.session.get(SESSION_STATUS, ""))


def _no_status(request: HttpRequest, *, expired_session: bool = False) -> HttpResponse:
    return _public(
        render(
            request,
            "intake/status_not_found.html",
            {"expired_session": expired_session},
            status=404,
        )
    )


@never_cache
@require_GET
def status_enter(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the e-mail or letter: swapped for the session, then a token-less address.

    The token leaves the address bar, the browser history and the server's access
    log after this one request (AVG, issue 10); the session keeps only its hash.
    """
    view = selectors.status_for(token)
    if view is None:
        return _too_many(request) or _no_status(request)
    request.session.cycle_key()
    request.session[SESSION_STATUS] = view.link.token_hash
    response = redirect("intake:status_home")
    response["Referrer-Policy"] = "no-referrer"
    return _public(response)


@never_cache
@require_http_methods(["GET", "POST"])
def status_page(request: HttpRequest) -> HttpResponse:
    view = _status_from_session(request)
    if view is None:
        return _no_status(request, expired_session=True)
    form = AddInformationForm()
    draft = secrets.token_urlsafe(24)
    file_errors: list[str] = []
    news: FileNews | None = None
    status = 200
    if request.method == "POST" and view.complaint is not None:
        draft = _draft(request)
        news = _file_action(request, draft)
        file_errors = news.errors if news else []
        if request.POST.get("remove") or request.POST.get("action") == "upload":
            form = AddInformationForm(initial=request.POST.dict())
        else:
            news = None
            form = AddInformationForm(request.POST)
            if form.is_valid() and not file_errors:
                try:
                    services.complaint_add_information(
                        token_hash=view.link.token_hash,
                        text=form.cleaned_data["text"],
                        uploads=services.uploads_of_draft(draft),
                    )
                except StorageUnavailable:
                    raise
                except ProcedureError as error:
                    form.add_error("text", str(error))
                else:
                    messages.success(request, _("Thank you. We have added your information."))
                    return redirect("intake:status_home")
            status = 400
    elif request.method == "POST":
        status = 409
    context = {
        "view": view,
        "complaint": view.complaint,
        "form": form,
        "draft": draft,
        "uploads": services.uploads_of_draft(draft) if request.method == "POST" else [],
        "file_errors": file_errors,
        "file_news": news.lines() if news is not None else [],
        "file_action": news is not None,
        "has_errors": bool(file_errors) or (form.is_bound and bool(form.errors)),
        "max_files": files.MAX_FILES,
        "organisation": Organisation.current(),
        "closed": view.complaint is not None and view.complaint.settled_on is not None,
    }
    if view.complaint is not None:
        context["survey"] = survey_context(
            view.complaint, action_url=reverse("intake:status_survey")
        )
    return _public(render(request, "intake/status.html", context, status=status))


@never_cache
@require_http_methods(["GET", "POST"])
def status_survey(request: HttpRequest) -> HttpResponse:
    """The satisfaction survey after closing (P5.2), behind the complainant's own link."""
    view = _status_from_session(request)
    if view is None or view.complaint is None:
        return _no_status(request, expired_session=True)
    return _public(
        satisfaction_survey(
            request,
            view.complaint,
            action_url=reverse("intake:status_survey"),
            extra_context={"status_url": reverse("intake:status_home")},
            base_template="intake/public_base.html",
        )
    )


@never_cache
@require_GET
def status_letter(request: HttpRequest, uid) -> HttpResponse:
    """One letter sent to the complainant, as a PDF (or its .ics invitation with ?agenda=1)."""
    view = _status_from_session(request)
    if view is None or view.complaint is None:
        return _no_status(request, expired_session=True)
    return letter_file_response(
        complaint=view.complaint, uid=uid, calendar=request.GET.get("agenda") == "1"
    )


@never_cache
@require_http_methods(["GET", "POST"])
def status_link_again(request: HttpRequest) -> HttpResponse:
    """ "Send me my link again": a fresh link to the e-mail address on file, if it matches.

    The answer is the same whether or not it matched, so the page tells nobody
    whether an address or reference is known.
    """
    form = LinkAgainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = ratelimit.client_address(request)
        if not ratelimit.hit("link_again", address, limit=settings.INTAKE_LINK_AGAIN_PER_HOUR):
            response = render(request, "intake/too_many.html", status=429)
            response["Retry-After"] = "3600"
            return _public(response)
        services.status_link_send_again(
            email=form.cleaned_data["email"], reference=form.cleaned_data["reference"]
        )
        request.session["intake_link_again"] = True
        return redirect("intake:status_link_again_sent")
    status = 400 if form.is_bound else 200
    return _public(
        render(
            request,
            "intake/link_again.html",
            {"form": form, "has_errors": form.is_bound and bool(form.errors)},
            status=status,
        )
    )


@never_cache
@require_GET
def status_link_again_sent(request: HttpRequest) -> HttpResponse:
    if not request.session.get("intake_link_again"):
        return redirect("intake:status_link_again")
    return _public(render(request, "intake/link_again_sent.html"))


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
            # The mailbox the e-mail intake reads (P2.1): complaints by e-mail are taken too.
            "complaints_email": settings.MAILINTAKE_ADDRESS,
        },
    )


# Written by the browser tests (tests/test_accessibility.py with UPDATE_ACCESSIBILITY=1)
# from what axe-core found on every page; the statement page is generated from it.
ACCESSIBILITY_RESULTS = Path(__file__).with_name("accessibility.json")


@require_GET
def accessibility_page(request: HttpRequest) -> HttpResponse:
    """The accessibility statement (toegankelijkheidsverklaring), from the automated checks."""
    try:
        results = json.loads(ACCESSIBILITY_RESULTS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        results = {}
    checked_on = None
    with contextlib.suppress(KeyError, TypeError, ValueError):
        checked_on = dt.date.fromisoformat(results["checked_on"])
    pages = results.get("pages", [])
    return render(
        request,
        "intake/accessibility.html",
        {
            "organisation": Organisation.current(),
            "results": results,
            "checked_on": checked_on,
            "pages": pages,
            "violations": sum(len(page.get("violations", [])) for page in pages),
            "public_pages": [page for page in pages if page.get("audience") == "public"],
            "staff_pages": [page for page in pages if page.get("audience") == "staff"],
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
            "retention_terms": retention_terms(),
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
