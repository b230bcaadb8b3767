"""Django admin for support staff: each company's single sign-on and its sign-in record,
read-only (companies change their SSO in Company Settings or with configure_sso)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from travelportal.accounts.models import IdpCertificate, SsoConfiguration, SsoEmailDomain, SsoSignInEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class IdpCertificateInline(admin.TabularInline):
    model = IdpCertificate
    fields = ["subject", "fingerprint", "not_valid_before", "not_valid_after"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class SsoEmailDomainInline(admin.TabularInline):
    model = SsoEmailDomain
    fields = ["domain"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(SsoConfiguration)
class SsoConfigurationAdmin(ReadOnlyAdmin):
    list_display = ["company", "idp_entity_id", "require_sso", "jit_provisioning", "updated_at"]
    list_filter = ["require_sso", "jit_provisioning"]
    list_select_related = ["company"]
    search_fields = ["company__name", "company__slug", "idp_entity_id"]
    # The SP private key is never shown.
    fields = [
        "company",
        "idp_entity_id",
        "idp_sso_url",
        "idp_metadata_url",
        "require_sso",
        "jit_provisioning",
        "break_glass_admins",
        "sp_certificate_expires_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    inlines = [IdpCertificateInline, SsoEmailDomainInline]


@admin.register(SsoSignInEvent)
class SsoSignInEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "company", "name_id", "user", "outcome", "reason", "ip_address"]
    list_filter = ["outcome", "reason", "company"]
    list_select_related = ["company", "user"]
    search_fields = ["name_id", "company__slug", "ip_address"]
    date_hierarchy = "created_at"
    fields = ["created_at", "company", "user", "name_id", "outcome", "reason", "detail", "ip_address"]
    readonly_fields = fields
