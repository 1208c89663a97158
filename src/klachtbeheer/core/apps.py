from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "klachtbeheer.core"
    verbose_name = _("Audit and shared")

    def ready(self):
        from klachtbeheer.core import (
            checks,  # noqa: F401 - registers the production check
            storage,  # noqa: F401 - cleans up after each request
        )
