"""The provisioning log in Django admin, read-only: support staff browse what each
company's identity provider did, by company, operation and status."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from travelportal.provisioning.models import ProvisioningLogEntry


class OutcomeListFilter(admin.SimpleListFilter):
    title = "outcome"
    parameter_name = "outcome"

    def lookups(self, request, model_admin):
        return [("ok", "Succeeded (below 400)"), ("error", "Failed (400 and above)")]

    def queryset(self, request, queryset):
        if self.value() == "ok":
            return queryset.filter(status__lt=400)
        if self.value() == "error":
            return queryset.filter(status__gte=400)
        return queryset


class StatusListFilter(admin.SimpleListFilter):
    """The statuses SCIM answers with, listed up front: asking the database for the
    distinct statuses of a log this size would scan all of it."""

    title = "status"
    parameter_name = "status"
    STATUSES = (200, 201, 204, 400, 401, 403, 404, 409, 412, 413, 429, 500)

    def lookups(self, request, model_admin):
        return [(str(code), str(code)) for code in self.STATUSES]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(status=int(self.value()))
        return queryset


@admin.register(ProvisioningLogEntry)
class ProvisioningLogEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "company", "operation", "method", "status", "user_name", "duration_ms", "path"]
    list_select_related = ["company"]
    list_filter = ["company", "operation", OutcomeListFilter, StatusListFilter]
    # "=" so a request id from the web log is looked up exactly.
    search_fields = ["user_name", "=request_id"]
    ordering = ["-created_at", "-id"]
    raw_id_fields = ["user"]
    # The log grows with every SCIM request; counting the whole table on each page
    # would cost more than the page itself.
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ProvisioningLogEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ProvisioningLogEntry | None = None) -> bool:
        return False
