from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "klachtbeheer.api"
    verbose_name = _("JSON API")

    def ready(self) -> None:
        from klachtbeheer.api import idempotency
        from klachtbeheer.reminders import housekeeping

        # Kept answers hold a complaint's details: gone after 24 hours, not only when the
        # same client keeps a new one.
        housekeeping.register("idempotency_purged", idempotency.purge)
