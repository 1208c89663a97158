"""The work list on a phone and the register on a desktop need no sideways scrolling.

Issue 14.5: on main the register's table was 1,517 px wide inside a 1,198 px box at a
1280 px window, and the work list's cards on a 390 px phone kept the table's minimum width
(800 px), so each card had to be scrolled sideways. Measured in Chromium: neither the page
nor the table's box may scroll horizontally. Screenshots: docs/screenshots/ux/.
"""

from __future__ import annotations

import pytest

from klachtbeheer.complaints.workflow import State
from tests.browser import DESKTOP, PHONE, Visit
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db(transaction=True)


PASSWORD = "breed-genoeg-2026"
OVERFLOW = """() => {
  const table = document.querySelector('table');
  const box = table.closest('.kb-table-scroll');
  // A cell whose text runs out of it (over the next one) counts as broken too.
  const spilling = [...table.querySelectorAll('tbody th, tbody td')]
    .filter(cell => cell.scrollHeight > cell.clientHeight + 1).length;
  return {page: document.documentElement.scrollWidth, window: window.innerWidth,
          table: table.scrollWidth, box: box.clientWidth, spilling};
}"""


def sign_in(visit: Visit, user) -> None:
    visit.page.goto(visit.base + "/inloggen/")
    visit.page.get_by_label("Gebruikersnaam").fill(user.get_username())
    visit.page.get_by_label("Wachtwoord").fill(PASSWORD)
    with visit.page.expect_navigation():
        visit.page.get_by_role("button", name="Inloggen").click()


@pytest.fixture
def complaints(world):
    """Complaints in every kind of state, with long organisation names and measures."""
    for state in (
        State.RECEIVED,
        State.ACCEPTED,
        State.MEETING_PLANNED,
        State.DECIDED,
        State.DECISION_SENT,
        State.CLOSED,
    ):
        ComplaintFactory(
            state=state,
            complainant__organisation="Gemeente Súdwest-Fryslân, afdeling Werk en Inkomen",
        )
    world.qm.set_password(PASSWORD)
    world.qm.save()
    world.dm_north.set_password(PASSWORD)
    world.dm_north.save()


@pytest.mark.parametrize(
    ("path", "viewport", "who"),
    [
        ("/register/", DESKTOP, "qm"),
        ("/klachten/", PHONE, "dm_north"),
        ("/klachten/", PHONE, "qm"),
        ("/klachten/", DESKTOP, "qm"),
        ("/register/", PHONE, "qm"),
    ],
    ids=["register-1280", "work-list-390-handler", "work-list-390-qm", "work-list-1280", "r-390"],
)
def test_no_sideways_scrolling(browser, live_server, world, complaints, path, viewport, who):
    visit = Visit(browser, live_server.url, viewport=viewport)
    sign_in(visit, getattr(world, who))
    visit.page.goto(live_server.url + path)
    size = visit.page.evaluate(OVERFLOW)
    visit.close()
    assert size["page"] <= size["window"], size
    assert size["table"] <= size["box"], size
    assert size["spilling"] == 0, size
