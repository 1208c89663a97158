from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.utils import translation

from klachtbeheer.organisation.models import District, Organisation
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


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path):
    """Attachments go to a temporary directory, never into ./var."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
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
