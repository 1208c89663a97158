"""A production set-up that lacks what it needs does not start (README, Running in production).

`settings.CONFIGURATION_ERRORS` lists what is missing (mail server, secret key,
allowed hosts, a writable data directory); this check reports each as an error,
so `klachtbeheer check` and every management command that runs checks stop with
the reason, and `refuse_to_start_half_configured()` stops `klachtbeheer serve`,
`klachtbeheer worker` and the WSGI application before they serve anything.
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured


@register(Tags.security, deploy=False)
def production_configuration(app_configs=None, **kwargs) -> list[Error]:
    return [
        Error(message, hint=hint, id=check_id)
        for check_id, message, hint in getattr(settings, "CONFIGURATION_ERRORS", [])
    ]


def configuration_problems() -> str:
    """The problems in words, one a line (empty when complete)."""
    return "\n".join(
        f"  {check_id}: {message}\n    {hint}"
        for check_id, message, hint in getattr(settings, "CONFIGURATION_ERRORS", [])
    )


def refuse_to_start_half_configured(what: str) -> None:
    """Raise ImproperlyConfigured with every problem when the production set-up is incomplete."""
    problems = configuration_problems()
    if problems:
        raise ImproperlyConfigured(
            f"Klachtbeheer ({what}) does not start: KLACHTBEHEER_ENV=production is not "
            f"configured completely.\n{problems}"
        )


def exit_if_half_configured(what: str) -> None:
    """For commands: print the problems to standard error and exit with status 78 (EX_CONFIG)."""
    try:
        refuse_to_start_half_configured(what)
    except ImproperlyConfigured as error:
        sys.stderr.write(f"{error}\n")
        raise SystemExit(78) from None
