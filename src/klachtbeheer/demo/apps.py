from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for trying the product (`klachtbeheer demo`); the top layer, used by nothing."""

    name = "klachtbeheer.demo"
    label = "demo"
