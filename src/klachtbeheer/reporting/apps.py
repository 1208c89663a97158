from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    """The complaints register and its analysis (P5.1, P5.2): register, dashboard,
    measures followed up, the annual report, and the satisfaction survey."""

    name = "klachtbeheer.reporting"
    label = "reporting"
    verbose_name = _("Register and analysis")
