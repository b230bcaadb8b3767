from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "travelportal.simulator"
    verbose_name = "Entra simulator"
