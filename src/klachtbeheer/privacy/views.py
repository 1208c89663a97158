"""The quality manager's pages for personal data (issue 10) and the audit log (11.7)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from klachtbeheer.complaints.selectors import complaint_for
from klachtbeheer.core.audit import AuditAction, audit
from klachtbeheer.core.errors import ProcedureError
from klachtbeheer.organisation.models import Organisation, Role
from klachtbeheer.organisation.retention import retention_terms
from klachtbeheer.organisation.selectors import role_of
from klachtbeheer.privacy import record, services, subject
from klachtbeheer.privacy.forms import AuditExportForm, ReasonForm, RetentionForm, SubjectLookupForm


def _quality_manager_only(request: HttpRequest) -> None:
    if role_of(request.user) != Role.QUALITY_MANAGER:
        raise PermissionDenied


def _may_export_audit(user) -> bool:
    """The quality manager, and an auditor: anyone given `core.view_auditentry`."""
    return role_of(user) == Role.QUALITY_MANAGER or user.has_perm("core.view_auditentry")


@login_required
@require_http_methods(["GET", "POST"])
def home_view(request: HttpRequest) -> HttpResponse:
    _quality_manager_only(request)
    organisation = Organisation.current()
    form = RetentionForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic(durable=True):
            form.save()
            audit(
                actor=request.user,
                action=AuditAction.PRIVACY_RETENTION_SETTINGS,
                target=organisation,
                **{name: form.cleaned_data[name] for name in form.fields},
            )
        messages.success(request, _("The retention terms are saved."))
        return redirect("privacy:home")
    due = services.retention_run(dry_run=True)
    return render(
        request,
        "privacy/home.html",
        {"form": form, "due": due, "terms": retention_terms(organisation)},
    )


@login_required
def processing_register_view(request: HttpRequest) -> HttpResponse:
    _quality_manager_only(request)
    organisation = Organisation.current()
    return render(
        request,
        "privacy/processing_register.html",
        {"organisation": organisation, "terms": retention_terms(organisation)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def subject_view(request: HttpRequest) -> HttpResponse:
    """Look a person up (GET) and download everything about them (POST)."""
    _quality_manager_only(request)
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = SubjectLookupForm(data)
    found = None
    if form.is_bound and form.is_valid():
        query = subject.Query(**{k: form.cleaned_data[k] or "" for k in ("email", "phone", "name")})
        if request.method == "POST":
            content, _found = subject.export_zip(actor=request.user, query=query)
            response = HttpResponse(content, content_type="application/zip")
            response["Content-Disposition"] = 'attachment; filename="inzageverzoek.zip"'
            return response
        found = subject.find(query)
        subject.record_lookup(actor=request.user, query=query, found=found)
    return render(request, "privacy/subject.html", {"form": form, "found": found})


@login_required
@require_http_methods(["GET", "POST"])
def complaint_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Legal hold and the erasure request of one complaint."""
    _quality_manager_only(request)
    complaint = complaint_for(request.user, reference=reference, via="privacy")
    form = ReasonForm(request.POST or None)
    action = request.POST.get("action", "")
    if request.method == "POST" and action == "erase":
        done, words = services.complaint_erasure_request(actor=request.user, reference=reference)
        (messages.success if done else messages.error)(request, words)
        return redirect("privacy:complaint", reference=reference)
    if request.method == "POST" and form.is_valid():
        try:
            if action == "hold":
                services.complaint_set_legal_hold(
                    actor=request.user, reference=reference, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("The complaint is on legal hold."))
            elif action == "release":
                services.complaint_release_legal_hold(
                    actor=request.user, reference=reference, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("The legal hold is released."))
        except ProcedureError as error:
            messages.error(request, str(error))
        return redirect("privacy:complaint", reference=reference)
    return render(
        request,
        "privacy/complaint.html",
        {"complaint": complaint, "form": form, "refusal": services.refusal(complaint)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def audit_export_view(request: HttpRequest) -> HttpResponse:
    if not _may_export_audit(request.user):
        raise PermissionDenied
    form = AuditExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        start, end, kind = (form.cleaned_data[k] for k in ("start", "end", "format"))
        text = (record.audit_csv if kind == "csv" else record.audit_json)(start, end)
        with transaction.atomic(durable=True):
            audit(
                actor=request.user,
                action=AuditAction.AUDIT_EXPORT,
                target=Organisation.current(),
                start=start.isoformat(),
                end=end.isoformat(),
                format=kind,
            )
        content_type = "text/csv; charset=utf-8" if kind == "csv" else "application/json"
        response = HttpResponse(text, content_type=content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="auditlog-{start.isoformat()}-{end.isoformat()}.{kind}"'
        )
        return response
    return render(request, "privacy/audit_export.html", {"form": form})
