"""Template tags about the organisation itself."""

from __future__ import annotations

from django import template

from klachtbeheer.organisation.models import Organisation

register = template.Library()


@register.simple_tag
def organisation_name() -> str:
    # Read once per process now and then, not once per page (issue 15).
    return Organisation.cached().name
