from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo company's seed (``seed_demo``). The top floor of the import layers: it
    may import every package, because nothing imports it."""

    name = "travelportal.demo"
    verbose_name = "Demo company"
