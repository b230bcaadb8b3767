from __future__ import annotations

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "travelportal.audit"
    label = "audit"
    verbose_name = "Audit trail"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from travelportal.audit.registry import register_audited_models

        register_audited_models()
