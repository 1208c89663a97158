from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.utils import translation

from klachtbeheer.core import clock as project_clock
from klachtbeheer.organisation.models import District, Organisation
from tests.browser import browser  # noqa: F401 - Debian's Chromium, for every browser test
from tests.factories import (
    DistrictFactory,
    OrganisationFactory,
    StaffFactory,
    UserFactory,
)

# Postcodes in the test organisation (see `world`).
PC_NORTH = "3741 AB"  # district North, manager dm_north
PC_SOUTH = "5611 CD"  # district South, manager dm_south
PC_VACANT = "9001 AA"  # district Vacant, no manager
PC_NOWHERE = "9876 ZZ"  # a valid postcode in no district


class Clock:
    """Moves the project's one clock (`klachtbeheer.core.clock`) for a test.

    `clock(day)` sets today to `day` (at noon, local time); `clock(moment)` sets the
    exact moment. Every service, selector, view and command reads the same clock.
    """

    def __init__(self, monkeypatch, day: dt.date | None = None):
        self._monkeypatch = monkeypatch
        self.moment: dt.datetime | None = None
        if day is not None:
            self(day)

    @property
    def day(self) -> dt.date:
        return project_clock.today()

    def __call__(self, when: dt.date | dt.datetime) -> Clock:
        if not isinstance(when, dt.datetime):
            zone = ZoneInfo(django_settings.TIME_ZONE)
            when = dt.datetime.combine(when, dt.time(12), tzinfo=zone)
        self.moment = when.astimezone(dt.UTC)
        self._monkeypatch.setattr(project_clock, "now", lambda: self.moment)
        return self


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The project's clock, to be moved: `clock(dt.date(2026, 7, 1))`."""
    return Clock(monkeypatch)


@pytest.fixture(autouse=True)
def _no_second_factor_unless_asked(settings):
    """Tests sign in with force_login; those of the second factor (tests/accounts) switch
    TWO_FACTOR on themselves, so the other suites test their own pages, admin included."""
    settings.TWO_FACTOR = "off"


@pytest.fixture(autouse=True)
def _no_rows_kept_from_another_test():
    """The rows a process keeps for a while (the organisation, the rate-limit salt) are
    read again in each test: the database is new."""
    from klachtbeheer.intake import ratelimit

    Organisation.forget_cached()
    ratelimit.forget_salt()


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path):
    """Attachments go to a temporary directory, never into ./var."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "klachtbeheer.core.storage.SafeFileSystemStorage",
            "OPTIONS": {"location": tmp_path / "files", "base_url": None},
        },
    }
    settings.MEDIA_ROOT = tmp_path / "files"


@pytest.fixture
def english():
    """Messages and term words in English, so assertions do not depend on the catalogue.

    Not autouse: page tests reverse URLs in the default language (Dutch).
    """
    with translation.override("en"):
        yield


@dataclass
class World:
    organisation: Organisation
    qm: object
    board: object
    dm_north: object
    dm_south: object
    staff: object
    north: District
    south: District
    vacant: District


@pytest.fixture
def world(db) -> World:
    """An organisation with a quality manager, a board member who handles complaints about
    district managers, two districts with a manager and one without.

    North 1000-4999 (dm_north), South 5000-8999 (dm_south), Vacant 9000-9499
    (no manager); 9500-9999 belongs to no district.
    """
    qm = StaffFactory(quality_manager=True, username="kwaliteit")
    board = StaffFactory(board=True, username="directie")
    north = DistrictFactory(
        name="North", manager__username="dm_north", postcodes=[(1000, 2999), (3000, 4999)]
    )
    south = DistrictFactory(name="South", manager__username="dm_south", postcodes=[(5000, 8999)])
    vacant = DistrictFactory(name="Vacant", manager=None, postcodes=[(9000, 9499)])
    organisation = OrganisationFactory(board_handler=board)
    return World(
        organisation=organisation,
        qm=qm,
        board=board,
        dm_north=north.manager,
        dm_south=south.manager,
        staff=StaffFactory(username="coach"),
        north=north,
        south=south,
        vacant=vacant,
    )


@pytest.fixture
def user_without_profile(db):
    return UserFactory(username="zonderprofiel")


@pytest.fixture(autouse=True, scope="session")
def _flush_may_empty_the_chain():
    """The chained tables refuse DELETE and TRUNCATE (issue 11.7); emptying the test
    database between transactional tests is the one place that may, by the
    maintenance switch of `core.chain`."""
    from django.db.backends.base.operations import BaseDatabaseOperations

    from klachtbeheer.core import chain

    original = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with chain.maintenance():
            return original(self, sql_list)

    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    BaseDatabaseOperations.execute_sql_flush = original
