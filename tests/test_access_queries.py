"""The access rule (P3.2) asked in a shape PostgreSQL answers at any size (issue 15).

"Not visible to" written as `exclude(pk__in=visible)` is NOT IN (subquery), and
"no complaint, or a visible one" as `Q(complaint=None) | Q(complaint__in=visible)`
an IN inside an OR: neither can be a join, and once the visible ids no longer fit in
memory PostgreSQL reads the subquery again for every row. At a million complaints a
district manager's reminders ran for minutes in the worker and the outbox count for
3 s. `complaints.selectors.among` asks it as EXISTS instead. These tests hold every
such query to that shape, on the SQL itself (any database), and that the answers are
the same as the rule's.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from klachtbeheer.complaints.models import Complaint
from klachtbeheer.complaints.selectors import among, complaints_visible_to, share_out
from klachtbeheer.intake.models import Submission
from klachtbeheer.letters.selectors import messages_visible_to
from klachtbeheer.reminders.services import OPEN
from tests.conftest import PC_NORTH, PC_SOUTH
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db

# An id compared with a subquery under NOT, or as one side of an OR.
NOT_IN = re.compile(r'NOT \(\(?"\w+"\."(?:id|complaint_id)" IN \(SELECT')
OR_IN = re.compile(r'OR "\w+"\."(?:id|complaint_id)" IN \(SELECT')


def _sql(queryset) -> str:
    return str(queryset.query)


def _asks_by_exists(queryset) -> None:
    sql = _sql(queryset)
    assert "EXISTS" in sql, sql
    assert not NOT_IN.search(sql) and not OR_IN.search(sql), sql


def test_not_visible_is_asked_by_exists_and_is_the_rule(world):
    mine = ComplaintFactory(postcode=PC_NORTH)
    others = ComplaintFactory(postcode=PC_SOUTH)
    about_me = ComplaintFactory(postcode=PC_NORTH, manager_concerned=world.dm_north)
    hidden = Complaint.objects.filter(~among(complaints_visible_to(world.dm_north)))
    _asks_by_exists(hidden)
    assert set(hidden) == {others, about_me}
    assert mine in Complaint.objects.filter(among(complaints_visible_to(world.dm_north)))


def test_the_reminders_find_the_complaints_a_handler_may_not_see_by_exists(world):
    # The handler's role changed to one that sees no complaints: theirs are "lost" and go
    # to the quality managers instead; a district manager's own stay theirs.
    lost = ComplaintFactory(postcode=PC_SOUTH)
    kept = ComplaintFactory(postcode=PC_SOUTH)
    Complaint.objects.filter(pk=lost.pk).update(handler=world.staff)
    Complaint.objects.filter(pk=kept.pk).update(handler=world.dm_north)
    for handler, expected in ((world.staff, [lost]), (world.dm_north, [])):
        visible = complaints_visible_to(handler)
        query = Complaint.objects.filter(OPEN, ~among(visible), handler=handler)
        if handler == world.dm_north:  # for someone who sees none, Django writes NOT False
            _asks_by_exists(query)
        assert list(query) == expected


def test_the_outbox_is_asked_by_exists(world):
    _asks_by_exists(messages_visible_to(world.dm_north))


def test_sharing_out_asks_earlier_tiers_by_exists(world):
    ComplaintFactory(postcode=PC_NORTH)
    pairs, nobody = share_out(
        Complaint.objects.all(), complaints_visible_to, [[world.qm], [world.board]]
    )
    _asks_by_exists(nobody)
    _asks_by_exists(pairs[-1][1])


def test_the_admin_of_submissions_is_asked_by_exists(world):
    request = RequestFactory().get("/admin/")
    request.user = world.dm_north
    queryset = site._registry[Submission].get_queryset(request)
    _asks_by_exists(queryset)
