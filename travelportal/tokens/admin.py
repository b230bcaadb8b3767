"""Support staff's view of API credentials: which company a token belongs to, who
authorized or created it, and a way to revoke it. Token values are never shown."""

from __future__ import annotations

from django.contrib import admin
from oauth2_provider.admin import AccessTokenAdmin, RefreshTokenAdmin

from travelportal.tokens.models import Credential
from travelportal.tokens.services import revoke_credential


# Registered by django-oauth-toolkit through OAUTH2_PROVIDER["ACCESS_TOKEN_ADMIN_CLASS"].
class CompanyAccessTokenAdmin(AccessTokenAdmin):
    list_display = ("pk", "masked_token", "company", "user", "application", "expires", "last_used_at")
    list_select_related = ("application", "user", "company")
    list_filter = ("application", "company")
    search_fields = (*AccessTokenAdmin.search_fields, "company__name", "company__slug")
    raw_id_fields = (*AccessTokenAdmin.raw_id_fields, "company")


class CompanyRefreshTokenAdmin(RefreshTokenAdmin):
    list_display = ("pk", "masked_token", "company", "user", "application", "created", "revoked")
    list_select_related = ("application", "user", "company")
    list_filter = ("application", "company")
    search_fields = (*RefreshTokenAdmin.search_fields, "company__name", "company__slug")
    raw_id_fields = (*RefreshTokenAdmin.raw_id_fields, "company")


@admin.register(Credential)
class CredentialAdmin(admin.ModelAdmin):
    """SCIM tokens and API keys alike. Only the name and the expiry can be changed: the
    kind, the hash and the prefix describe the value, which no one can change, and a
    credential never moves to another company."""

    list_display = (
        "name",
        "kind",
        "prefix",
        "company",
        "created_by",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    list_select_related = ("company", "created_by")
    list_filter = ("kind", "company")
    search_fields = ("name", "prefix", "company__name", "company__slug")
    readonly_fields = (
        "company",
        "kind",
        "prefix",
        "token_hash",
        "scope",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    fields = (
        "company",
        "kind",
        "name",
        "prefix",
        "token_hash",
        "scope",
        "created_by",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    actions = ("revoke_credentials",)

    def has_add_permission(self, request):
        # The plain value exists only at creation and must be shown to whoever creates
        # it; that is Company Settings' or the issue_* commands' job, not the admin's.
        return False

    @admin.action(description="Revoke selected credentials")
    def revoke_credentials(self, request, queryset):
        for credential in queryset:
            revoke_credential(credential=credential)
        self.message_user(request, f"Revoked {queryset.count()} credential(s).")
