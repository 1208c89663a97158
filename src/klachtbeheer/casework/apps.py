from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    """The handlers' pages: the work list, the complaint page and a form per step."""

    name = "klachtbeheer.casework"
    label = "casework"
    verbose_name = _("Casework")
