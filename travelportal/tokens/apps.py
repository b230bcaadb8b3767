from __future__ import annotations

from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "travelportal.tokens"
    label = "tokens"
