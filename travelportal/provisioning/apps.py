from __future__ import annotations

from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    name = "travelportal.provisioning"
    label = "provisioning"
