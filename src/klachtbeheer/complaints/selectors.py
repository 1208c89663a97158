"""Reads. Access is decided here, in the query, and nowhere else (P3.2, P5.3)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db import OperationalError, connection, transaction
from django.db.models import BooleanField, DateField, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils.functional import cached_property
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
from klachtbeheer.organisation.models import District, Organisation, Role
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
        # Districts as a subquery, not a join: the planner can walk any index of
        # complaints (the work list's order) and test each row cheaply (issue 15).
        districts = District.objects.filter(manager=user).values("pk")
        visible = base.filter(Q(district_id__in=districts) | Q(handler=user))
    else:
        return base.none()
    return visible.exclude(manager_concerned=user)


def among(rows: QuerySet, *, ref: str = "pk") -> Exists:
    """A condition on a row: its `ref` (the row itself, or a foreign key such as
    "complaint_id") is one of `rows` (`~among(rows)`: it is not). For "not visible to":
    `~among(complaints_visible_to(user))`.

    Asked row by row (EXISTS), which PostgreSQL answers with a semi- or anti-join at
    any size. The obvious `exclude(pk__in=rows)` is NOT IN: once the ids no longer fit
    in memory, PostgreSQL reads the subquery again for every row (issue 15: a district
    manager's reminders ran for minutes at a million complaints and held up the worker).
    So is `pk__in=rows` in an OR (`complaint is empty or among the visible`): no join can
    answer it and the ids are read again per row.
    """
    return Exists(rows.filter(pk=OuterRef(ref)))


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
            unseen &= ~among(visible_to(user))
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
    return qs.order_by(*WORK_LIST_ORDER)


# The work list's order: the next term, overdue first; complaints without an open term go
# last on every database (SQLite sorts NULL first).
WORK_LIST_ORDER = (F("next_due_on").asc(nulls_last=True), "received_on", "id")
# The same order as an expression no index has: for a search with few matches, so that
# PostgreSQL finds the matches by their indexes and sorts them, instead of walking the
# whole work list in order looking for them (issue 15).
WORK_LIST_ORDER_FEW = (
    Coalesce("next_due_on", Value(dt.date.max), output_field=DateField()).asc(),
    "received_on",
    "id",
)


def search(qs: QuerySet[Complaint], text: str) -> QuerySet[Complaint]:
    """Quick search: reference, name, e-mail, organisation; full text in Dutch on PostgreSQL.

    Shaped for the planner (issue 15): a whole reference is looked up by its
    unique index, an e-mail address by its index; anything else is one OR of
    conditions each with an index of its own (trigram for the names, organisation
    and reference, the stored `search_document` for the text), so PostgreSQL
    combines the indexes for a rare word and walks the work list's order for a
    common one. Every condition is added to `qs`, the caller's visible set (P3.2).
    """
    text = text.strip()
    if FULL_REFERENCE.fullmatch(text):
        return qs.filter(reference=text.upper())
    if EMAIL.fullmatch(text):
        return qs.filter(complainant_email=text.lower())
    match = Q(complainant_name__icontains=text) | Q(complainant_organisation__icontains=text)
    if any(char.isdigit() for char in text):  # a piece of a reference has digits
        match |= Q(reference__icontains=text)
    if connection.vendor == "postgresql":
        fulltext = RawSQL(
            "search_document @@ websearch_to_tsquery('dutch', %s)",
            [text],
            output_field=BooleanField(),
        )
        return qs.filter(match | Q(fulltext))
    return qs.filter(match | Q(substantiation__icontains=text) | Q(service__icontains=text))


FULL_REFERENCE = re.compile(r"KL-\d{4}-\d{5,}", re.IGNORECASE)
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def exact_lookup(text: str) -> bool:
    """Whether `search` looks `text` up by a unique or plain index (a whole reference, an
    e-mail address): a handful of rows at most, so no estimate or sparse read is needed."""
    text = text.strip()
    return bool(FULL_REFERENCE.fullmatch(text) or EMAIL.fullmatch(text))


# Counts above this are shown as "more than 1,000" (the count stops there).
COUNT_CAP = 1000
# A search that runs longer is stopped and the user asked to narrow it (PostgreSQL).
SEARCH_TIMEOUT_MS = 3000
# A search with more matches than the cap walks the work list in its order only when the
# planner expects at least this share of all complaints to match: a page of 50 is then
# found within the first few thousand rows. Below it the matches are found by their
# indexes and sorted (issue 15: a word in 0.1 % of a million complaints with more
# matches than the cap walked 50,000 rows in order, 1.8 s; a district manager's 5 s).
WALK_SHARE = 0.01


def sparse(queryset: QuerySet[Complaint]) -> bool:
    """Whether PostgreSQL's planner expects fewer than WALK_SHARE of all complaints in
    `queryset` (False on other databases).

    One EXPLAIN, nothing run: `queryset` (without its order) and all complaints as the
    two branches of one UNION ALL, so the plan holds both estimates."""
    if connection.vendor != "postgresql" or queryset.query.is_empty():
        return False  # no planner; or nothing to read (someone who may see nothing)
    everyone = Complaint.objects.order_by().values("pk")
    both = queryset.order_by().values("pk").union(everyone, all=True).order_by()
    sql, params = both.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0][0]["Plan"]
    branches = plan.get("Plans", [])
    if len(branches) != 2:  # not the two branches of a union: no estimate to go by
        return False
    matching, everything = (float(branch["Plan Rows"]) for branch in branches)
    return matching < WALK_SHARE * everything


# A sparse search reads at most this many matches (their ids, sorted) in one go; more
# (the planner's estimate was far off) and it is counted and paged as a dense one.
SPARSE_ROWS = 20_000


class CappedPaginator(Paginator):
    """A paginator whose count stops at COUNT_CAP + 1: never a count of a million rows.

    `capped` says whether there are more than COUNT_CAP; the pages go as far as the cap.

    With `order_when_few` (a search), the matches are read in that order, which no
    index has, so that PostgreSQL finds them by their own indexes and sorts them, when
    they are few. Sparse matches (`sparse`: the planner expects fewer than WALK_SHARE
    of all complaints) are read once, as their ids in that order, which gives both the
    capped count and the page (its rows then fetched by id, in the same order): the
    text and trigram indexes are searched once per page, not for the count and again
    for the rows. Otherwise the count stops at the cap; no more matches than the cap
    are sorted likewise, more walk the list's order index and stop at the page's last.
    """

    cap = COUNT_CAP

    def __init__(self, object_list, per_page, *, order_when_few=None, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.order_when_few = order_when_few
        self.sparse_ids: list[int] | None = None

    @cached_property
    def count(self) -> int:
        if self.order_when_few and sparse(self.object_list):
            ordered = self.object_list.order_by(*self.order_when_few)
            ids = list(ordered.values_list("pk", flat=True)[: SPARSE_ROWS + 1])
            if len(ids) <= SPARSE_ROWS:
                self.object_list, self.sparse_ids = ordered, ids
                return min(len(ids), self.cap + 1)
        # Counted without the order: the database stops at the cap's row.
        n = self.object_list.order_by()[: self.cap + 1].count()
        if self.order_when_few and n <= self.cap:
            self.object_list = self.object_list.order_by(*self.order_when_few)
        return n

    def page(self, number):
        number = self.validate_number(number)  # counts first (sets `sparse_ids`)
        if self.sparse_ids is None:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        wanted = self.sparse_ids[bottom:top]
        # The rows by id, still through the visible set and the search (P3.2).
        rows = list(self.object_list.filter(pk__in=wanted)) if wanted else []
        return self._get_page(rows, number, self)

    @property
    def capped(self) -> bool:
        return self.count > self.cap


class SearchTooSlow(Exception):
    """The work list's query ran past SEARCH_TIMEOUT_MS."""


@contextmanager
def bounded_search(enabled: bool = True) -> Iterator[None]:
    """Run the queries inside with a statement timeout (PostgreSQL); SearchTooSlow when hit.

    In its own transaction, so the timeout ends with it and a cancelled query
    leaves nothing behind; never a worker hung on one search.
    """
    if not enabled or connection.vendor != "postgresql":
        yield
        return
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {int(SEARCH_TIMEOUT_MS)}")
            yield
    except OperationalError as error:
        if getattr(error, "__cause__", None).__class__.__name__ == "QueryCanceled":
            raise SearchTooSlow from error
        raise
