from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LettersConfig(AppConfig):
    name = "klachtbeheer.letters"
    verbose_name = _("Letters and e-mail")

    def ready(self) -> None:
        # Receivers of the complaints app's signals (the letters each step owes).
        from klachtbeheer.letters import receivers  # noqa: F401
