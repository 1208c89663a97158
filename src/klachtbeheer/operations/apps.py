from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """Running in production: serve, probes, metrics, backup and restore."""

    name = "klachtbeheer.operations"
    label = "operations"
    verbose_name = _("Operations")
