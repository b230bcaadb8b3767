"""Support staff's view of API credentials: which company a token belongs to, who
authorized or created it, and a way to revoke it. Token values are never shown."""

from __future__ import annotations

from django.contrib import admin
from oauth2_provider.admin import AccessTokenAdmin, RefreshTokenAdmin

from travelportal.tokens.models import SecretToken
from travelportal.tokens.services import revoke_secret_token


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


@admin.register(SecretToken)
class SecretTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "company", "created_by", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_select_related = ("company", "created_by")
    list_filter = ("company",)
    search_fields = ("name", "prefix", "company__name", "company__slug")
    readonly_fields = ("prefix", "scope", "created_by", "created_at", "last_used_at", "revoked_at")
    fields = ("company", "name", *readonly_fields, "expires_at")
    raw_id_fields = ("company",)
    actions = ("revoke_tokens",)

    def has_add_permission(self, request):
        # The plain value exists only at creation and must be shown to whoever creates
        # it; that is Company Settings' or issue_scim_token's job, not the admin's.
        return False

    @admin.action(description="Revoke selected secret tokens")
    def revoke_tokens(self, request, queryset):
        for token in queryset:
            revoke_secret_token(token=token)
        self.message_user(request, f"Revoked {queryset.count()} token(s).")
