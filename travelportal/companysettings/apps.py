from __future__ import annotations

from django.apps import AppConfig


class CompanysettingsConfig(AppConfig):
    name = "travelportal.companysettings"
    label = "companysettings"
