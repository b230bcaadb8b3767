from __future__ import annotations

from django.contrib import admin

from approvals.models import ApprovalProcess, ApprovalStep, PendingChainChange, Trip, TripEvent


class ApprovalStepInline(admin.TabularInline):
    model = ApprovalStep
    extra = 0
    autocomplete_fields = ["approvers"]


@admin.register(ApprovalProcess)
class ApprovalProcessAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "kind", "owner", "is_active", "updated_at"]
    list_filter = ["kind", "is_active", "company"]
    list_select_related = ["company", "owner"]
    search_fields = ["name", "owner__username", "company__slug"]
    raw_id_fields = ["owner"]
    autocomplete_fields = ["requesters", "requester_groups"]
    inlines = [ApprovalStepInline]


class TripEventInline(admin.TabularInline):
    model = TripEvent
    extra = 0
    readonly_fields = ["created_at", "kind", "actor", "step", "comment", "detail"]
    can_delete = False


@admin.register(Trip)
class TripAdmin(admin.ModelAdmin):
    list_display = ["destination", "traveller", "company", "status", "current_step", "in_policy", "created_at"]
    list_filter = ["status", "in_policy", "company"]
    list_select_related = ["traveller", "company"]
    search_fields = ["destination", "traveller__username", "company__slug"]
    raw_id_fields = ["traveller", "requested_by", "process"]
    readonly_fields = ["current_approvers", "status", "current_step", "decided_at", "policy_notes"]
    date_hierarchy = "created_at"
    inlines = [TripEventInline]


@admin.register(PendingChainChange)
class PendingChainChangeAdmin(admin.ModelAdmin):
    list_display = ["company", "user_id", "created_at"]
    list_select_related = ["company"]
    list_filter = ["company"]
