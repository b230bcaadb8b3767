"""The audit trail's list in Django admin: django-auditlog's own admin, searching the
portal's user fields (it assumes first_name and last_name) and showing the company and
where each change came from."""

from __future__ import annotations

from auditlog.admin import LogEntryAdmin
from django.contrib import admin

from travelportal.audit.models import AuditEntry

admin.site.unregister(AuditEntry)


@admin.register(AuditEntry)
class AuditEntryAdmin(LogEntryAdmin):
    list_select_related = ["content_type", "actor", "company"]
    list_display = ["created", "resource_url", "action", "msg_short", "origin", "company"]
    list_filter = ["action", "source", "company"]
    search_fields = ["object_repr", "changes", "actor_email", "command", "company__slug"]
    readonly_fields = [*LogEntryAdmin.readonly_fields, "origin", "company"]
    fieldsets = [
        (None, {"fields": ["created", "origin", "company", "resource_url", "cid"]}),
        ("Changes", {"fields": ["action", "msg"]}),
    ]

    @admin.display(description="Who")
    def origin(self, entry: AuditEntry) -> str:
        return entry.origin
