"""Reads. Access is decided here, in the query, and nowhere else (P3.2, P5.3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from klachtbeheer.complaints.models import AccessLog, Complaint, Event
from klachtbeheer.complaints.registry import STEPS
from klachtbeheer.complaints.terms import (
    ComplaintTerms,
    WorkCalendar,
    at_risk_from,
    complaint_terms_of,
)
from klachtbeheer.complaints.workflow import Step, steps_from
from klachtbeheer.core import clock
from klachtbeheer.core.errors import NotFoundOrNoAccess
from klachtbeheer.organisation.models import Organisation, Role
from klachtbeheer.organisation.selectors import closure_days, role_of


def complaints_visible_to(user) -> QuerySet[Complaint]:
    """The complaints `user` may see. Every view, export and the admin start here.

    Quality manager and board: all. District manager: their districts' and
    those assigned to them. Anyone else: none. Nobody ever sees a complaint
    about themselves (P3.2).
    """
    role = role_of(user)
    base = Complaint.objects.all()
    if role in (Role.QUALITY_MANAGER, Role.BOARD):
        visible = base
    elif role == Role.DISTRICT_MANAGER:
        visible = base.filter(Q(district__manager=user) | Q(handler=user))
    else:
        return base.none()
    return visible.exclude(manager_concerned=user)


def may_see(user, complaint: Complaint) -> bool:
    """Whether `user` may see `complaint`: the one selector, asked about one row."""
    return complaints_visible_to(user).filter(pk=complaint.pk).exists()


def who_may_see(complaint: Complaint, candidates: QuerySet) -> QuerySet:
    """Those of `candidates` (users) who may see `complaint`, each asked of the one selector.

    For the short lists of people a form offers or a service accepts (who carries
    out a measure): one small query per person, so the rule is never written twice.
    """
    candidates = candidates.select_related("staff_profile")
    allowed = [user.pk for user in candidates if may_see(user, complaint)]
    return candidates.filter(pk__in=allowed)


def share_out(
    rows: QuerySet, visible_to: Callable[[Any], QuerySet], tiers: Sequence[Sequence[Any]]
) -> tuple[list[tuple[Any, QuerySet]], QuerySet]:
    """Hand each of `rows` to whoever may see it, tier by tier.

    `visible_to(user)` is an access selector for the rows' model
    (`complaints_visible_to`, or one built on it); `tiers` are lists of people in
    the order they are asked (the quality managers, then the board). Each member
    of a tier gets the rows they may see that nobody in an earlier tier may see:
    a row goes to the first tier with someone allowed to see it, and is never
    dropped because it is about one of them (P3.2). Returns the (user, queryset)
    pairs and the rows nobody may see. Every queryset has the recipient's
    selector in it: nothing is filtered afterwards.
    """
    pairs: list[tuple[Any, QuerySet]] = []
    unseen = Q()
    for tier in tiers:
        for user in tier:
            pairs.append((user, visible_to(user).filter(unseen, pk__in=rows.values("pk"))))
        for user in tier:
            unseen &= ~Q(pk__in=visible_to(user).values("pk"))
    return pairs, rows.filter(unseen)


def complaint_for(user, *, reference: str, via: str, for_update: bool = False) -> Complaint:
    """One complaint the user may see; the opening is logged. 404 when not visible."""
    queryset = complaints_visible_to(user)
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    else:
        queryset = queryset.select_related("district", "handler", "manager_concerned")
    complaint = queryset.filter(reference=reference).first()
    if complaint is None:
        raise NotFoundOrNoAccess(
            "not_found",
            _("There is no complaint %(reference)s, or you may not see it."),
            reference=reference,
        )
    if via:
        AccessLog.objects.create(complaint=complaint, user=user, via=via)
    return complaint


def log_list_view(user, *, via: str, references: list[str], filters: dict[str, Any]) -> None:
    """A list showing complainants' names was seen (P5.3, issue 10.6): one access-log row
    with the references shown and the filters used. A search term is not kept (it may be
    a name): only that there was one."""
    if not references:
        return
    kept = {key: str(value) for key, value in filters.items() if value and key != "q"}
    AccessLog.objects.create(
        complaint=None,
        user=user,
        via=via,
        data={"shown": references, "filters": kept, "searched": bool(filters.get("q"))},
    )


# The keys of an event's data that hold a member of staff (by id).
STAFF_KEYS = ("handler", "previous", "manager_concerned", "previous_manager_concerned")


def staff_names_in(events: list[Event]) -> dict[int, str]:
    """Names of the staff a timeline mentions by id (handler, previous, concerned): one query."""
    ids = {
        value
        for event in events
        for key in STAFF_KEYS
        if isinstance(value := (event.data or {}).get(key), int)
    }
    if not ids:
        return {}
    return {
        user.pk: user.get_full_name() or user.get_username()
        for user in get_user_model().objects.filter(pk__in=ids)
    }


def work_calendar() -> WorkCalendar:
    return WorkCalendar(closure_days=closure_days())


def complaint_terms(
    complaint: Complaint,
    *,
    calendar: WorkCalendar,
    organisation: Organisation,
    today: dt.date | None = None,
) -> ComplaintTerms:
    """The terms of one complaint by the one rule (`terms.complaint_terms_of`, P3.3, P3.8)."""
    return complaint_terms_of(
        complaint.term_facts,
        today=today or clock.today(),
        calendar=calendar,
        at_risk_working_days=organisation.at_risk_working_days,
    )


def available_steps(user, complaint: Complaint) -> list[Step]:
    steps = steps_from(complaint.state)
    if role_of(user) != Role.QUALITY_MANAGER:
        steps = [step for step in steps if not STEPS[step].quality_manager_only]
    return steps


@dataclass(frozen=True)
class WorkListFilters:
    district: int | None = None
    state: str | None = None
    handler: int | None = None  # -1: nobody (the triage queue)
    term: str | None = None  # missed, at_risk, open, none
    q: str = ""
    mine: bool = False


def work_list(
    user,
    *,
    filters: WorkListFilters,
    calendar: WorkCalendar,
    organisation: Organisation,
    today: dt.date | None = None,
) -> QuerySet[Complaint]:
    """The work list: visible complaints, filtered, sorted by the next term (overdue first).

    The term filters read the stored `next_due_on` (`terms.next_due_on`): the
    date of `complaint_terms(...).next`, whatever the day, so a filter and the
    row it shows agree (tests/test_terms_property.py).
    """
    today = today or clock.today()
    qs = complaints_visible_to(user).select_related("district", "handler")
    if filters.mine:
        qs = qs.filter(handler=user)
    if filters.district:
        qs = qs.filter(district_id=filters.district)
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.handler == -1:
        qs = qs.filter(handler__isnull=True)
    elif filters.handler:
        qs = qs.filter(handler_id=filters.handler)
    if filters.term:
        risk_until = at_risk_from(today, organisation.at_risk_working_days, calendar)
        if filters.term == "missed":
            qs = qs.filter(next_due_on__lt=today)
        elif filters.term == "at_risk":
            qs = qs.filter(next_due_on__gte=today, next_due_on__lte=risk_until)
        elif filters.term == "open":
            qs = qs.filter(next_due_on__gt=risk_until)
        elif filters.term == "none":
            qs = qs.filter(next_due_on__isnull=True)
    if filters.q:
        qs = search(qs, filters.q)
    # Complaints without an open term go last on every database (SQLite sorts NULL first).
    return qs.order_by(F("next_due_on").asc(nulls_last=True), "received_on", "id")


def search(qs: QuerySet[Complaint], text: str) -> QuerySet[Complaint]:
    """Quick search: reference, name, e-mail, organisation; full text in Dutch on PostgreSQL."""
    text = text.strip()
    match = (
        Q(reference__iexact=text)
        | Q(reference__icontains=text)
        | Q(complainant_name__icontains=text)
        | Q(complainant_email__iexact=text)
        | Q(complainant_organisation__icontains=text)
    )
    if connection.vendor == "postgresql":
        document = SearchVector("substantiation", "service", config="dutch")
        query = SearchQuery(text, config="dutch", search_type="websearch")
        ids = qs.annotate(document=document).filter(document=query).values("pk")
        return qs.filter(match | Q(pk__in=ids))
    return qs.filter(match | Q(substantiation__icontains=text) | Q(service__icontains=text))
