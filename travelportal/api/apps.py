from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "travelportal.api"
    label = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        # drf-spectacular finds the authentication extensions by importing them.
        from travelportal.api import openapi  # noqa: F401
