from __future__ import annotations

from django.apps import AppConfig


class CompaniesConfig(AppConfig):
    name = "travelportal.companies"
    label = "companies"
