from __future__ import annotations

from django.apps import AppConfig


class SealingConfig(AppConfig):
    name = "travelportal.sealing"
    label = "sealing"
    verbose_name = "Encrypted secrets"
