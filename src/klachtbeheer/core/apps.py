from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "klachtbeheer.core"
    verbose_name = _("Audit and shared")

    def ready(self):
        from klachtbeheer.core import (
            checks,  # noqa: F401 - registers the production check
            storage,  # noqa: F401 - cleans up after each request
        )
        from klachtbeheer.core.chain import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="kb_chain_sqlite")
