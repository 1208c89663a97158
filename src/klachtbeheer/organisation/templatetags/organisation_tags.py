"""Template tags about the organisation itself."""

from __future__ import annotations

from django import template

from klachtbeheer.organisation.models import Organisation

register = template.Library()


@register.simple_tag
def organisation_name() -> str:
    try:
        return Organisation.objects.values_list("name", flat=True).get(pk=1)
    except Organisation.DoesNotExist:
        return ""
