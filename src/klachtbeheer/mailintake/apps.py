from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailIntakeConfig(AppConfig):
    name = "klachtbeheer.mailintake"
    label = "mailintake"
    verbose_name = _("E-mail intake")

    def ready(self) -> None:
        # The worker's task_finished signal keeps the mailbox poll scheduled.
        from klachtbeheer.mailintake import tasks  # noqa: F401
