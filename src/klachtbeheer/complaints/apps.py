from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "klachtbeheer.complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        # Bind every step's service and form to its registry entry (complaints.registry).
        from klachtbeheer.complaints import steps  # noqa: F401
