"""The audit trail's one table: django-auditlog's log entry with the company it concerns
and where the change came from (``AUDITLOG_LOGENTRY_MODEL``)."""

from __future__ import annotations

from auditlog.models import AbstractLogEntry, LogEntryManager
from django.db import models

from travelportal.companies.models import Company


class AuditEntryManager(LogEntryManager):
    def log_create(self, instance, force_log: bool = False, **kwargs):
        return super().log_create(instance, force_log=force_log, **{**self._context_fields(instance), **kwargs})

    def log_m2m_changes(self, changed_queryset, instance, operation, field_name, **kwargs):
        fields = {**self._context_fields(instance), **kwargs}
        return super().log_m2m_changes(changed_queryset, instance, operation, field_name, **fields)

    def for_company(self, company: Company) -> models.QuerySet[AuditEntry]:
        """The entries about one company's own objects, newest first."""
        return self.filter(company=company).order_by("-timestamp", "-id")

    @staticmethod
    def _context_fields(instance) -> dict:
        from travelportal.audit.context import current_source
        from travelportal.audit.registry import company_id_of

        fields = {"company_id": company_id_of(instance)}
        source = current_source()
        if source is not None:
            actor = source.actor
            fields.update(
                source=source.kind,
                command=source.name,
                actor=actor,
                actor_email=actor.get_username() if actor is not None else None,
                remote_addr=source.remote_addr,
                additional_data={"os_user": source.os_user} if source.os_user else None,
            )
        return fields


class AuditEntry(AbstractLogEntry):
    class Source(models.TextChoices):
        ADMIN = "admin", "Django admin"
        COMMAND = "command", "Management command"

    # No database constraint and nothing done on delete: the entries about a company,
    # the one recording its deletion too, outlive it with its id (ids are never reused).
    company = models.ForeignKey(
        Company, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=10, choices=Source.choices, blank=True)
    command = models.CharField("management command", max_length=100, blank=True)

    objects = AuditEntryManager()

    class Meta(AbstractLogEntry.Meta):
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["company", "-timestamp"], name="auditentry_company_time_idx")]

    @property
    def origin(self) -> str:
        """Who made the change, as a sentence fragment for lists."""
        if self.source == self.Source.COMMAND:
            return f"manage.py {self.command}" if self.command else "a management command"
        who = self.actor_email or (self.actor.get_username() if self.actor_id else "")
        return f"{who} (Django admin)" if who else "Django admin"
