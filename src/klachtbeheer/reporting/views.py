"""Pages of the register and its analysis: thin. Parse input, call a selector or service, render."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Min
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from klachtbeheer.complaints.models import Category, Complaint
from klachtbeheer.complaints.selectors import complaints_visible_to
from klachtbeheer.core import clock
from klachtbeheer.core.errors import ProcedureError
from klachtbeheer.organisation.models import Role
from klachtbeheer.organisation.selectors import role_of
from klachtbeheer.reporting import exportjobs, exports, services
from klachtbeheer.reporting.analysis import analyse, chart_csv, period_label
from klachtbeheer.reporting.forms import (
    CategoryForm,
    FollowUpForm,
    MeasureForm,
    PeriodForm,
    RegisterFilterForm,
    SatisfactionForm,
    available_years,
)
from klachtbeheer.reporting.models import ExportJob, SatisfactionResponse
from klachtbeheer.reporting.report import annual_report
from klachtbeheer.reporting.selectors import (
    MEASURE_FILTERS,
    may_analyse,
    may_report,
    measure_counts,
    measure_list,
    measures_visible_to,
    register,
)

PAGE_SIZE = 50


def _analysts_only(request: HttpRequest) -> None:
    if not may_analyse(request.user):
        raise Http404(_("This page is for the quality manager, the board and district managers."))


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    return response


# --- register --------------------------------------------------------------------------


@login_required
def register_view(
    request: HttpRequest, form: RegisterFilterForm | None = None, *, export_refused: bool = False
) -> HttpResponse:
    _analysts_only(request)
    form = form or RegisterFilterForm(request.GET or None)
    today = clock.today()
    rows = register(request.user, filters=form.filters(), today=today)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reporting/register.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "filtered": any(v for k, v in request.GET.items() if k != "page"),
            "export_refused": export_refused,
        },
    )


@login_required
def register_export_view(request: HttpRequest, fmt: str) -> HttpResponse:
    _analysts_only(request)
    if fmt not in exportjobs.FORMATS:
        raise Http404(_("Unknown format."))
    form = RegisterFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        # Never an unfiltered export for filters that could not be read (issue 14):
        # the register page again, with what is wrong next to the filter.
        response = register_view(request, form=form, export_refused=True)
        response.status_code = 400
        return response
    today = clock.today()
    rows = register(request.user, filters=form.filters(), today=today)
    query = request.GET.urlencode()
    if exportjobs.too_large_for_request(fmt, rows):
        exportjobs.job_request(actor=request.user, fmt=fmt, query=query)
        messages.info(
            request,
            _(
                "The export is being made. It is large, so it is made in the background; "
                "download it here when it is ready."
            ),
        )
        return redirect("reporting:exports")
    exportjobs.audit_streamed(actor=request.user, fmt=fmt, query=query)
    stamp = today.isoformat()
    if fmt == "csv":
        response = StreamingHttpResponse(
            exports.csv_lines(rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="klachtenregister-{stamp}.csv"'
        return _no_store(response)
    # Written to a temporary file (a workbook is a zip: it cannot stream), then sent in
    # blocks; memory stays flat however large the register.
    out = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    exports.xlsx_write(rows, out)
    out.seek(0)
    response = FileResponse(
        out,
        as_attachment=True,
        filename=f"klachtenregister-{stamp}.xlsx",
        content_type=XLSX_TYPE,
    )
    return _no_store(response)


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def exports_view(request: HttpRequest) -> HttpResponse:
    """The requester's exports made by the worker: "wordt gemaakt" until ready, then a link."""
    _analysts_only(request)
    jobs = list(exportjobs.jobs_of(request.user)[:20])
    busy = any(job.state in (ExportJob.State.QUEUED, ExportJob.State.RUNNING) for job in jobs)
    return _no_store(
        render(request, "reporting/exports.html", {"jobs": jobs, "busy": busy, "now": clock.now()})
    )


@login_required
def export_download_view(request: HttpRequest, pk: int) -> HttpResponse:
    _analysts_only(request)
    job = exportjobs.job_for(request.user, pk)
    if job is None:
        raise Http404(_("There is no such export of yours."))
    path = exportjobs.file_of(job)
    if path is None:
        raise Http404(_("This export is not ready, or it has been removed."))
    exportjobs.audit_download(actor=request.user, job=job)
    stamp = job.requested_at.date().isoformat()
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"klachtenregister-{stamp}.{job.format}",
        content_type=XLSX_TYPE if job.format == "xlsx" else "text/csv; charset=utf-8",
    )
    return _no_store(response)


# --- dashboard --------------------------------------------------------------------------


def _period_form(request: HttpRequest) -> PeriodForm:
    today = clock.today()
    first = complaints_visible_to(request.user).aggregate(first=Min("received_on"))["first"]
    return PeriodForm(
        request.GET or None, years=available_years(today, first.year if first else None)
    )


@login_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    _analysts_only(request)
    today = clock.today()
    form = _period_form(request)
    period = form.period(today)
    analysis = analyse(request.user, period=period, today=today)
    return render(
        request,
        "reporting/dashboard.html",
        {
            "form": form,
            "analysis": analysis,
            "period_label": period_label(period),
            "query": request.GET.urlencode(),
            "may_report": may_report(request.user),
            "is_quality_manager": role_of(request.user) == Role.QUALITY_MANAGER,
            "report_years": [y for y in form.fields["year"].choices if y[0] != ""],
        },
    )


@login_required
def chart_csv_view(request: HttpRequest, key: str) -> HttpResponse:
    _analysts_only(request)
    today = clock.today()
    period = _period_form(request).period(today)
    analysis = analyse(request.user, period=period, today=today)
    try:
        chart = analysis.chart(key)
    except KeyError:
        raise Http404(_("Unknown chart.")) from None
    response = HttpResponse("\ufeff" + chart_csv(chart), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{key}-{period.start.isoformat()}-{period.end.isoformat()}.csv"'
    )
    return _no_store(response)


# --- annual report ------------------------------------------------------------------------


@login_required
def report_view(request: HttpRequest, year: int, fmt: str) -> HttpResponse:
    if not may_report(request.user):
        raise Http404(_("The annual report is for the quality manager and the board."))
    if not 2000 <= year <= clock.today().year:
        raise Http404(_("There is no report for this year."))
    report = annual_report(request.user, year=year, today=clock.today())
    if fmt == "pdf":
        response = HttpResponse(report.pdf(), content_type="application/pdf")
    elif fmt == "csv":
        response = HttpResponse("\ufeff" + report.csv(), content_type="text/csv; charset=utf-8")
    else:
        raise Http404(_("Unknown format."))
    response["Content-Disposition"] = f'attachment; filename="{report.filename_stem}.{fmt}"'
    return _no_store(response)


# --- measures -----------------------------------------------------------------------------


@login_required
def measures_view(request: HttpRequest) -> HttpResponse:
    _analysts_only(request)
    show = request.GET.get("show", "open")
    if show not in MEASURE_FILTERS:
        show = "open"
    today = clock.today()
    page = Paginator(measure_list(request.user, show=show, today=today), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "reporting/measures.html",
        {
            "page": page,
            "show": show,
            "today": today,
            "counts": measure_counts(measures_visible_to(request.user), today=today),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def measure_view(request: HttpRequest, pk: int) -> HttpResponse:
    _analysts_only(request)
    measure = (
        measures_visible_to(request.user).select_related("complaint", "owner").filter(pk=pk).first()
    )
    if measure is None:
        raise Http404(_("There is no such measure, or you may not see it."))
    initial = {
        "owner": measure.owner_id,
        "due_on": measure.due_on,
        "done_on": measure.done_on,
        "done_note": measure.done_note,
        "checked_on": measure.checked_on,
        "effectiveness": measure.effectiveness,
        "check_note": measure.check_note,
    }
    form = MeasureForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        complaint=measure.complaint,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.measure_update(
                actor=request.user,
                measure_id=measure.pk,
                progress=services.MeasureProgress(
                    owner_id=data["owner"].pk,
                    due_on=data["due_on"],
                    done_on=data["done_on"],
                    done_note=data["done_note"],
                    checked_on=data["checked_on"],
                    effectiveness=data["effectiveness"],
                    check_note=data["check_note"],
                ),
            )
        except ProcedureError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The measure is saved."))
            return redirect(reverse("reporting:measures"))
    return render(
        request,
        "reporting/measure.html",
        {"measure": measure, "form": form},
        status=400 if form.is_bound else 200,
    )


# --- categories ---------------------------------------------------------------------------


def _quality_manager_only(request: HttpRequest) -> None:
    if role_of(request.user) != Role.QUALITY_MANAGER:
        raise Http404(_("This page is for the quality manager."))


@login_required
@require_http_methods(["GET", "POST"])
def categories_view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _quality_manager_only(request)
    category = None
    if pk is not None:
        category = Category.objects.filter(pk=pk).first()
        if category is None:
            raise Http404(_("There is no such category."))
    initial = (
        {"name": category.name, "description": category.description, "active": category.active}
        if category
        else {"active": True}
    )
    form = CategoryForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.category_save(
                actor=request.user,
                category_id=category.pk if category else None,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                active=form.cleaned_data["active"],
            )
        except ProcedureError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The category is saved."))
            return redirect("reporting:categories")
    return render(
        request,
        "reporting/categories.html",
        {
            "form": form,
            "category": category,
            "categories": Category.objects.annotate(n=Count("complaints")).order_by("name"),
        },
        status=400 if form.is_bound else 200,
    )


# --- satisfaction -------------------------------------------------------------------------


@login_required
@require_POST
def follow_up_view(request: HttpRequest, pk: int) -> HttpResponse:
    _quality_manager_only(request)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            services.satisfaction_follow_up(
                actor=request.user, response_id=pk, note=form.cleaned_data["note"]
            )
        except ProcedureError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The follow-up is recorded."))
    else:
        messages.error(request, _("Say what was done with this answer."))
    return redirect(reverse("reporting:dashboard") + "#flagged-title")


def survey_context(complaint: Complaint, *, action_url: str, form=None) -> dict:
    """What `reporting/includes/satisfaction.html` needs, for the status page to embed it."""
    return {
        "complaint": complaint,
        "survey_form": form or SatisfactionForm(),
        "action_url": action_url,
        "survey_open": services.survey_open_for(complaint, today=clock.today()),
        "answered": SatisfactionResponse.objects.filter(complaint=complaint).exists(),
    }


def satisfaction_survey(
    request: HttpRequest,
    complaint: Complaint,
    *,
    action_url: str,
    template_name: str = "reporting/satisfaction.html",
    extra_context: dict | None = None,
    base_template: str = "base.html",
) -> HttpResponse:
    """The complainant's survey for `complaint`: GET shows it, POST records the answer.

    For the status page (intake): call it from a view that has already made sure
    the visitor is the complainant (their status link), and pass the URL the form
    posts back to. It never looks at request.user. After an answer it redirects
    to `action_url` (post/redirect/get), which then thanks the complainant.
    """
    form = SatisfactionForm(request.POST if request.method == "POST" else None)
    context = {
        **survey_context(complaint, action_url=action_url, form=form),
        **(extra_context or {}),
        "base_template": base_template,
    }
    if request.method == "POST":
        if form.is_valid():
            try:
                services.satisfaction_record(
                    complaint_id=complaint.pk,
                    score=form.cleaned_data["score"],
                    felt_heard=form.cleaned_data["felt_heard"],
                    comment=form.cleaned_data["comment"],
                )
            except ProcedureError as error:
                form.add_error(None, str(error))
            else:
                return redirect(action_url)
        return render(request, template_name, context, status=400)
    return render(request, template_name, context)
