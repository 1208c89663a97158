"""The work list's first page is read off an index in its order, for every role and every
filter (issue 15): EXPLAIN on PostgreSQL, so a lost index shows in `make test` without
timing anything at a million complaints.

The tables here are small, so the planner would rightly scan and sort them; with
sequential scans and sorts priced out of reach it shows whether the query *can* be
answered by walking an index in order, which is what a million rows need. The
queries are the selector's own (`work_list`), with the access rule (P3.2) in them.
"""

from __future__ import annotations

import pytest
from django.db import connection

from klachtbeheer.complaints.selectors import (
    WorkListFilters,
    complaints_visible_to,
    search,
    work_calendar,
    work_list,
)
from klachtbeheer.complaints.workflow import State
from klachtbeheer.organisation.models import Organisation
from tests.conftest import PC_NORTH, PC_SOUTH
from tests.factories import ComplaintFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner"),
]

PAGE = 50
ROLES = ["qm", "board", "dm_north"]


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        for switch in ("enable_seqscan", "enable_sort", "enable_incremental_sort"):
            cursor.execute(f"SET LOCAL {switch} = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _filters(world) -> dict[str, WorkListFilters]:
    return {
        "none": WorkListFilters(),
        "state": WorkListFilters(state=State.RECEIVED),
        "closed": WorkListFilters(state=State.CLOSED),
        "district": WorkListFilters(district=world.north.pk),
        "handler": WorkListFilters(handler=world.dm_north.pk),
        "nobody": WorkListFilters(handler=-1),
        "mine": WorkListFilters(mine=True),
        "missed": WorkListFilters(term="missed"),
        "at_risk": WorkListFilters(term="at_risk"),
        "open": WorkListFilters(term="open"),
        "no term": WorkListFilters(term="none"),
        "district and state": WorkListFilters(district=world.south.pk, state=State.RECEIVED),
    }


@pytest.fixture
def some(world):
    return [ComplaintFactory(postcode=pc) for pc in (PC_NORTH, PC_SOUTH, PC_NORTH)]


FILTERS = [
    "none",
    "state",
    "closed",
    "district",
    "handler",
    "nobody",
    "mine",
    "missed",
    "at_risk",
    "open",
    "no term",
    "district and state",
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", FILTERS)
def test_the_first_page_walks_an_index_in_order(world, some, role, name):
    user = getattr(world, role)
    page = work_list(
        user,
        filters=_filters(world)[name],
        calendar=work_calendar(),
        organisation=Organisation.current(),
    )[:PAGE]
    plan = _plan(page)
    assert "Seq Scan on complaints_complaint" not in plan, plan
    assert "Sort" not in plan, plan  # the order comes from the index, nothing is sorted
    assert "Index" in plan and "complaint_" in plan, plan


def test_the_filters_cover_the_list_form():
    """Every filter of the list is in the table above (a new one needs its plan checked)."""
    names = {field.name for field in WorkListFilters.__dataclass_fields__.values()} - {"q"}
    assert names == {"district", "state", "handler", "term", "mine"}


@pytest.mark.parametrize("role", ROLES)
def test_a_common_word_walks_the_list_order_and_a_rare_one_the_text_index(world, some, role):
    """A search with more matches than the cap keeps the list's order and reads the index
    in order, testing each row's stored vector; the capped count (few matches) uses the
    text index, and the access rule is in both."""
    visible = complaints_visible_to(getattr(world, role))
    many = work_list(
        getattr(world, role),
        filters=WorkListFilters(q="afspraak"),
        calendar=work_calendar(),
        organisation=Organisation.current(),
    )[:PAGE]
    plan = _plan(many)
    assert "Seq Scan on complaints_complaint" not in plan, plan
    assert "Sort" not in plan, plan
    count = _plan(search(visible, "afspraak").order_by().values("pk")[:1001])
    assert "complaint_search_nl" in count, count
    assert "Seq Scan on complaints_complaint" not in count, count


@pytest.mark.parametrize("role", ["qm", "dm_north"])
@pytest.mark.parametrize("q", ["afspraak", "Jansen", "2026-0"])
def test_a_search_page_is_a_capped_count_and_one_page_of_rows(world, role, q, monkeypatch):
    """However many match: the statement timeout, the count that stops at the cap, the rows."""
    from django.test.utils import CaptureQueriesContext

    from klachtbeheer.complaints.selectors import (
        WORK_LIST_ORDER_FEW,
        CappedPaginator,
        bounded_search,
    )
    from tests.factories import ComplainantDataFactory

    user = getattr(world, role)

    def page_queries() -> tuple[int, int]:
        queryset = work_list(
            user,
            filters=WorkListFilters(q=q),
            calendar=work_calendar(),
            organisation=Organisation.current(),
        )
        with CaptureQueriesContext(connection) as queries, bounded_search():
            rows = list(
                CappedPaginator(queryset, PAGE, order_when_few=WORK_LIST_ORDER_FEW)
                .get_page(1)
                .object_list
            )
        sql = [
            q["sql"]
            for q in queries.captured_queries
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
        ]
        return len(sql), len(rows)

    def add(n: int) -> None:
        for _ in range(n):
            ComplaintFactory(
                postcode=PC_NORTH,
                complainant=ComplainantDataFactory(name="Anna Jansen", postcode=PC_NORTH),
                substantiation="De afspraak werd verplaatst.",
            )

    add(2)
    few_queries, few_rows = page_queries()
    add(PAGE + 5)
    many_queries, many_rows = page_queries()
    assert few_rows < many_rows
    # The timeout, the planner's estimate (EXPLAIN: are the matches sparse?), the count
    # (or the sparse matches' ids), the rows; the same over the cap.
    assert many_queries == few_queries <= 4, many_queries
    monkeypatch.setattr(CappedPaginator, "cap", PAGE)
    capped_queries, capped_rows = page_queries()
    assert capped_rows == PAGE
    assert capped_queries == few_queries, capped_queries


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("expected", ["sparse", "dense"])
def test_a_search_over_the_cap_sorts_sparse_matches_and_walks_dense_ones(
    world, some, role, expected, monkeypatch
):
    """Over the cap, a search whose matches the planner expects to be few among all
    complaints finds them by the text and trigram indexes and sorts them (a walk of the
    list's order would read tens of thousands of rows for a page, issue 15); a dense one
    walks the list's order index and sorts nothing."""
    from klachtbeheer.complaints import selectors
    from klachtbeheer.complaints.selectors import WORK_LIST_ORDER_FEW, CappedPaginator
    from tests.factories import ComplainantDataFactory

    for _ in range(3):
        ComplaintFactory(
            postcode=PC_NORTH,
            complainant=ComplainantDataFactory(postcode=PC_NORTH),
            substantiation="De afspraak werd verplaatst.",
        )
    monkeypatch.setattr(CappedPaginator, "cap", 1)
    monkeypatch.setattr(selectors, "WALK_SHARE", 2.0 if expected == "sparse" else 0.0)
    queryset = work_list(
        getattr(world, role),
        filters=WorkListFilters(q="afspraak"),
        calendar=work_calendar(),
        organisation=Organisation.current(),
    )
    paginator = CappedPaginator(queryset, PAGE, order_when_few=WORK_LIST_ORDER_FEW)
    assert paginator.capped
    if expected == "sparse":
        # Sorted, by an expression no index has: the plan can only be the matches from
        # their indexes (with plain index scans priced out too, which a tiny table prefers).
        sql, params = paginator.object_list[:PAGE].query.sql_with_params()
        with connection.cursor() as cursor:
            for switch in ("enable_seqscan", "enable_indexscan"):
                cursor.execute(f"SET LOCAL {switch} = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Seq Scan on complaints_complaint" not in plan, plan
        assert "complaint_search_nl" in plan and "complaint_name_trgm" in plan, plan
        assert "Sort Key: (COALESCE(complaints_complaint.next_due_on" in plan, plan
    else:
        plan = _plan(paginator.object_list[:PAGE])
        assert "Seq Scan on complaints_complaint" not in plan, plan
        assert "complaint_work_order" in plan, plan
        assert "Sort" not in plan, plan


def test_sparse_reads_the_planners_estimates(world, monkeypatch):
    """`sparse` compares the planner's estimate of the matches with that of all complaints."""
    from klachtbeheer.complaints import selectors
    from tests.factories import ComplainantDataFactory

    for i in range(40):
        ComplaintFactory(
            postcode=PC_NORTH,
            complainant=ComplainantDataFactory(postcode=PC_NORTH),
            substantiation="De afspraak werd verplaatst." if i else "Een kwijtschelding.",
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE complaints_complaint")
    visible = complaints_visible_to(world.qm)
    monkeypatch.setattr(selectors, "WALK_SHARE", 0.5)
    assert not selectors.sparse(visible)  # all of them
    assert not selectors.sparse(search(visible, "afspraak"))  # 39 of 40
    assert selectors.sparse(visible.filter(pk=-1))  # none
