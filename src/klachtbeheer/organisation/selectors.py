from __future__ import annotations

import re

import phonenumbers
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from klachtbeheer.organisation.models import ClosureDay, District, PostcodeRange, Role

POSTCODE_RE = re.compile(r"^\s*([1-9][0-9]{3})\s?([A-Za-z]{2})\s*$")
# Letter pairs that PostNL never issues.
_UNUSED_LETTERS = {"SA", "SD", "SS"}
# The same rule for a JSON schema (the API's documents): four digits, the first not 0,
# an optional space, two letters but not SA, SD or SS; or nothing.
POSTCODE_PATTERN = r"^([1-9][0-9]{3} ?([A-RT-Za-rt-z][A-Za-z]|[Ss][B-CE-RT-Zb-ce-rt-z]))?$"


def normalise_postcode(value: str) -> str | None:
    """'1234ab' → '1234 AB'; None when it is not a valid Dutch postcode."""
    match = POSTCODE_RE.match(value or "")
    if not match:
        return None
    letters = match.group(2).upper()
    if letters in _UNUSED_LETTERS:
        return None
    return f"{match.group(1)} {letters}"


def normalise_phone(value: str) -> str | None:
    """'035 548 1234' → '+31 35 548 1234'; None when it is not a valid phone number."""
    try:
        number = phonenumbers.parse(value or "", "NL")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def role_of(user: AbstractBaseUser | AnonymousUser | None) -> str | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    profile = getattr(user, "staff_profile", None)
    try:
        return profile.role if profile else None
    except Exception:  # pragma: no cover - profile relation missing
        return None


def user_is_quality_manager(user) -> bool:
    return role_of(user) == Role.QUALITY_MANAGER


def district_for_postcode(postcode: str | None) -> District | None:
    normalised = normalise_postcode(postcode or "")
    if not normalised:
        return None
    pc4 = int(normalised[:4])
    match = (
        PostcodeRange.objects.filter(first__lte=pc4, last__gte=pc4)
        .select_related("district__manager")
        .first()
    )
    return match.district if match else None


def closure_days() -> dict:
    return {day.date: day.description for day in ClosureDay.objects.all()}


def people() -> QuerySet:
    """Active users who are people, for every list of staff (choices, reminders, signatures).

    A service account's user (accounts.ServiceAccount.user) holds a real role only so the API
    can act with it: it has no mailbox, never signs in and handles nothing, so it is left out
    here, in the query, not by each list (issue 14).
    """
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_active=True, service_account__isnull=True)


def assignable_handlers() -> QuerySet:
    return (
        people()
        .filter(
            staff_profile__role__in=[Role.QUALITY_MANAGER, Role.BOARD, Role.DISTRICT_MANAGER],
        )
        .select_related("staff_profile")
        .order_by("first_name", "last_name", "username")
    )
