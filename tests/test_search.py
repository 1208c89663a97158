"""Search that holds at a million complaints (issue 15): the fast paths, the indexes the
planner can use (EXPLAIN on PostgreSQL), the capped count and the statement timeout.

Access (P3.2) in every path is held by the access matrix (tests/test_access.py:
`test_selector_open_and_search` searches every kind of complaint as every role, by
reference, name, e-mail and text), which runs against this search.
"""

from __future__ import annotations

import threading

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from klachtbeheer.complaints import selectors
from klachtbeheer.complaints.selectors import (
    CappedPaginator,
    SearchTooSlow,
    bounded_search,
    complaints_visible_to,
    search,
)
from tests.api.conftest import bearer, token_for
from tests.conftest import PC_NORTH
from tests.factories import ComplainantDataFactory, ComplaintFactory

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's planner and timeout"
)


@pytest.fixture
def some(world):
    return [
        ComplaintFactory(
            postcode=PC_NORTH,
            complainant=ComplainantDataFactory(
                name=name, organisation=organisation, email=f"k{i}@example.nl", postcode=PC_NORTH
            ),
            substantiation=text,
        )
        for i, (name, organisation, text) in enumerate(
            [
                ("Anna de Vries", "", "De factuur klopte niet en niemand belde terug."),
                ("Bram Jansen", "Bakkerij van Dam", "Mijn afspraak werd drie keer verplaatst."),
                ("Cees Bakker", "", "De coach kwam niet opdagen bij de afspraken."),
            ]
        )
    ]


def refs(queryset) -> set[str]:
    return set(queryset.values_list("reference", flat=True))


def test_a_whole_reference_is_one_indexed_lookup(world, some):
    visible = complaints_visible_to(world.qm)
    wanted = some[1].reference
    assert refs(search(visible, wanted.lower())) == {wanted}
    sql = str(search(visible, wanted).query)
    assert "LIKE" not in sql and "search_document" not in sql  # the unique index, nothing else


def test_an_e_mail_address_is_an_indexed_lookup(world, some):
    found = search(complaints_visible_to(world.qm), "K2@Example.nl")
    assert refs(found) == {some[2].reference}
    assert "LIKE" not in str(found.query)


def test_names_organisations_and_text(world, some):
    visible = complaints_visible_to(world.qm)
    assert refs(search(visible, "jansen")) == {some[1].reference}
    assert refs(search(visible, "Bakkerij")) == {some[1].reference}
    assert refs(search(visible, "bakker")) == {some[1].reference, some[2].reference}
    # Dutch stemming on PostgreSQL finds "afspraken" for "afspraak"; SQLite's LIKE cannot.
    stemmed = {some[1].reference, some[2].reference}
    expected = stemmed if connection.vendor == "postgresql" else {some[1].reference}
    assert refs(search(visible, "afspraak")) == expected
    assert refs(search(visible, "factuur")) == {some[0].reference}


def test_no_subquery_of_every_match(world, some):
    """The old `OR id IN (full-text subquery)` shape is gone: one OR of indexed conditions."""
    sql = str(search(complaints_visible_to(world.qm), "afspraak").query)
    assert "IN (SELECT" not in sql


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # A few rows: the planner would rightly scan them; without seq scans it shows
        # whether the query *can* use the indexes, which is what a million rows need.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@postgresql_only
def test_the_planner_uses_the_indexes(world, some):
    visible = complaints_visible_to(world.qm)
    text_plan = _plan(search(visible, "afspraak").order_by().values("pk"))
    assert "complaint_search_nl" in text_plan, text_plan
    assert "complaint_name_trgm" in text_plan, text_plan
    assert "complaint_organisation_trgm" in text_plan, text_plan
    assert "complaint_reference_trgm" in _plan(search(visible, "2026-0").order_by().values("pk"))
    reference_plan = _plan(search(visible, some[0].reference).order_by().values("pk"))
    assert "complaints_complaint_reference" in reference_plan, reference_plan
    email_plan = _plan(search(visible, "k1@example.nl").order_by().values("pk"))
    assert "complaint_email" in email_plan, email_plan


@postgresql_only
def test_the_district_managers_work_list_can_walk_the_next_term_index(world, some):
    """Visibility is a subquery of districts, not a join, so the page's order uses an index."""
    page = complaints_visible_to(world.dm_north).order_by("next_due_on", "id")[:25]
    plan = _plan(page.values("pk"))
    assert "complaint_work_order" in plan, plan


@postgresql_only
def test_the_stored_document_follows_every_change(world, some):
    from klachtbeheer.complaints.models import Complaint

    Complaint.objects.filter(pk=some[0].pk).update(substantiation="Een kwijtschelding gevraagd.")
    visible = complaints_visible_to(world.qm)
    assert refs(search(visible, "kwijtschelding")) == {some[0].reference}
    assert refs(search(visible, "factuur")) == set()


def test_the_count_stops_at_the_cap(world, some, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "cap", 2)
    paginator = CappedPaginator(complaints_visible_to(world.qm).order_by("id"), 1)
    with CaptureQueriesContext(connection) as queries:
        assert paginator.count == 3  # cap + 1: "more than 2"
    assert paginator.capped
    assert "LIMIT 3" in queries.captured_queries[0]["sql"]
    monkeypatch.setattr(CappedPaginator, "cap", 3)
    assert not CappedPaginator(complaints_visible_to(world.qm).order_by("id"), 1).capped


def test_without_a_planner_nothing_is_sparse(world, some):
    """On SQLite there is no estimate: a search over the cap keeps the list's order."""
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL has a planner: tests/test_work_list_plans.py")
    assert not selectors.sparse(search(complaints_visible_to(world.qm), "afspraak"))


@pytest.mark.parametrize("cap", [3, 100])
def test_sparse_matches_are_paged_as_every_search_is(world, monkeypatch, cap):
    """Sparse matches are read once as sorted ids and each page's rows fetched by id: the
    same count, pages and order as counting and sorting them on every page."""
    import datetime as dt

    from klachtbeheer.complaints.models import Complaint
    from tests.factories import today

    for i in range(9):
        complaint = ComplaintFactory(
            postcode=PC_NORTH,
            complainant=ComplainantDataFactory(name=f"Dirk Zeldzaam {i}", postcode=PC_NORTH),
            received_on=today() - dt.timedelta(days=i % 4),
        )
        if i % 3 == 0:  # no open term: last, as on the work list
            Complaint.objects.filter(pk=complaint.pk).update(next_due_on=None)
    monkeypatch.setattr(CappedPaginator, "cap", cap)
    visible = complaints_visible_to(world.dm_north)
    queryset = search(visible, "zeldzaam").order_by(*selectors.WORK_LIST_ORDER)

    def pages(is_sparse: bool) -> list:
        monkeypatch.setattr(selectors, "sparse", lambda queryset: is_sparse)
        paginator = CappedPaginator(queryset, 2, order_when_few=selectors.WORK_LIST_ORDER_FEW)
        shown = []
        for number in range(1, 7):
            page = paginator.get_page(number)
            shown.append((page.number, [c.reference for c in page.object_list]))
        return [paginator.count, paginator.capped, shown]

    with CaptureQueriesContext(connection) as queries:
        read_once = pages(True)
    # The ids once (in the order no index has), then one query of rows by id per page.
    ids_query, *rows_queries = [q["sql"] for q in queries.captured_queries]
    assert "COALESCE" in ids_query and "LIMIT" in ids_query
    assert len(rows_queries) == 6 and all("IN (" in sql for sql in rows_queries)
    assert read_once == pages(False)
    assert read_once[0] == min(9, cap + 1)


def test_the_work_list_says_more_than_the_cap(client, world, some, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "cap", 2)
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    client.force_login(world.qm)
    with translation.override("nl"):
        page = client.get(reverse("complaints:work_list"), {"q": "Bakker"})
        assert "klachten" in page.content.decode()
        page = client.get(reverse("complaints:work_list"))
    html = page.content.decode()
    assert "Meer dan" in html, html[html.find("kb-result-count") :][:300]


@postgresql_only
def test_a_search_that_runs_long_is_stopped():
    with pytest.raises(SearchTooSlow), bounded_search(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(5)")
    with connection.cursor() as cursor:  # and the connection goes on working
        cursor.execute("SELECT 1")


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_work_list_asks_to_narrow_a_search_that_cannot_finish(client, world, monkeypatch):
    """A search held up (here by a lock another session holds) ends with a message, not a hang."""
    ComplaintFactory()
    monkeypatch.setattr(selectors, "SEARCH_TIMEOUT_MS", 300)
    settings = connection.settings_dict
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        with psycopg.connect(
            host=settings["HOST"],
            port=settings["PORT"] or 5432,
            user=settings["USER"],
            password=settings["PASSWORD"] or None,
            dbname=settings["NAME"],
        ) as other:
            other.execute("LOCK TABLE complaints_complaint IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(30)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(10)
        client.force_login(world.qm)
        with translation.override("nl"):
            page = client.get(reverse("complaints:work_list"), {"q": "afspraak"})
        assert page.status_code == 200
        assert "duurde te lang" in page.content.decode()
        answer = client.get("/api/v1/complaints", {"q": "afspraak"}, **bearer(token_for(world.qm)))
        assert answer.status_code == 409
        assert answer.json()["code"] == "search_too_slow"
    finally:
        release.set()
        holder.join()
