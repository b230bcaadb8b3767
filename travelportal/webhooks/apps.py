from __future__ import annotations

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "travelportal.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from travelportal.webhooks import receivers

        receivers.connect()
