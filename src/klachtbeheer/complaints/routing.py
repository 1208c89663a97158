"""Who handles a complaint (P3.1, P3.2)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_noop

from klachtbeheer.organisation.models import District, Organisation
from klachtbeheer.organisation.selectors import district_for_postcode


@dataclass(frozen=True)
class Route:
    district: District | None
    handler: object | None  # a User, or None for the quality manager's triage queue
    reason: str  # untranslated; translated when shown


def route(*, postcode: str, manager_concerned, organisation: Organisation) -> Route:
    district = district_for_postcode(postcode)
    if manager_concerned is not None:
        board = organisation.board_handler
        if board is not None and board.pk != manager_concerned.pk and board.is_active:
            return Route(
                district,
                board,
                gettext_noop("The complaint is about a district manager: the board handles it."),
            )
        return Route(
            district,
            None,
            gettext_noop(
                "The complaint is about a district manager and no board member is set "
                "to handle it: triage by the quality manager."
            ),
        )
    if district is None:
        return Route(
            None,
            None,
            gettext_noop("No district matches the postcode: triage by the quality manager."),
        )
    if district.manager is None or not district.manager.is_active:
        return Route(
            district,
            None,
            gettext_noop("The district has no manager: triage by the quality manager."),
        )
    return Route(
        district, district.manager, gettext_noop("The district manager of the complainant.")
    )
