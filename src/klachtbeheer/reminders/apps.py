from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    """The daily tick and the worker that runs it: reminders, digests, overdue measures."""

    name = "klachtbeheer.reminders"
    label = "reminders"
    verbose_name = _("Reminders")
