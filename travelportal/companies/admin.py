"""Django admin for support staff (``is_staff``), who see every company.

Company admins are not staff, so Django admin's own staff check keeps them out; they
manage their company in Company Settings. Every list shows the company and selects it in
the same query, and people are never hard-deleted here: support deactivates them, as
SCIM would.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from travelportal.companies.catalogue import (
    archive_catalogue_entries,
    create_catalogue_entry,
    duplicate_name_error,
    name_taken,
    update_catalogue_entry,
)
from travelportal.companies.groups import delete_group, group_policy_errors, set_group_policy
from travelportal.companies.models import (
    Company,
    CostCentre,
    Group,
    GroupMembership,
    InvoiceProfile,
    TravelPolicy,
    User,
)
from travelportal.companies.people import deactivate_person, reactivate_person, save_person_changes
from travelportal.companies.signals import report_person_changes

# Edits that can change who approves whose trips (see companies.signals).


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "scim_enabled",
        "approvals_through_idp",
        "auto_approval_processes",
        "rate_limit_per_second",
        "created_at",
    ]
    list_filter = ["scim_enabled", "approvals_through_idp", "auto_approval_processes"]
    search_fields = ["name", "slug"]
    readonly_fields = ["created_at"]
    ordering = ["name"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "scim_enabled", "created_at"]}),
        (
            "Approvals",
            {
                "fields": [
                    "approvals_through_idp",
                    "auto_approval_processes",
                    "approval_chain_depth",
                    "auto_process_trips",
                ]
            },
        ),
        (
            "Request rate limit",
            {
                "fields": ["rate_limit_per_second", "rate_limit_burst"],
                "description": "Leave empty for the default of every company (SCIM_RATE_LIMIT_PER_SECOND and "
                "SCIM_RATE_LIMIT_BURST). The limit covers all of the company's SCIM tokens and API keys.",
            },
        ),
    ]


class CatalogueEntryAdminForm(forms.ModelForm):
    """Names are unique within a company: a clash is shown next to the name, also when
    the company is read-only (editing), where the model's own check would skip it."""

    def clean(self):
        cleaned = super().clean()
        company = cleaned.get("company") or (self.instance.company if self.instance.company_id else None)
        name = cleaned.get("name")
        excluding = None if self.instance._state.adding else self.instance.pk
        named = company is not None and name
        if named and name_taken(model=self._meta.model, company=company, name=name, excluding=excluding):
            self.add_error("name", duplicate_name_error(self._meta.model).message_dict["name"])
        return cleaned


class CatalogueEntryAdmin(admin.ModelAdmin):
    form = CatalogueEntryAdminForm
    list_select_related = ["company"]
    list_filter = ["company", ("archived_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "company__name", "company__slug"]
    # Archived or not through the actions (the catalogue domain's archive and restore),
    # not by typing a date.
    readonly_fields = ["archived_at", "created_at", "updated_at"]
    ordering = ["company__name", "name"]
    actions = ["archive_entries", "restore_entries"]

    def get_readonly_fields(self, request, obj=None):
        # An entry never moves to another company: people of its company use it.
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "company"] if obj is not None else fields

    def save_model(self, request, obj, form, change: bool) -> None:
        # Through the catalogue domain, as Company Settings and the API: only the changed
        # fields are written, and the change is reported (webhooks).
        data = form.cleaned_data
        if change:
            update_catalogue_entry(entry=obj, changes={n: data[n] for n in form.changed_data if n != "company"})
            return
        entry = create_catalogue_entry(
            company=data["company"], model=type(obj), values={n: v for n, v in data.items() if n != "company"}
        )
        obj.pk, obj.created_at, obj.updated_at = entry.pk, entry.created_at, entry.updated_at

    @admin.action(description="Archive the selected entries (no longer offered in choices)")
    def archive_entries(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.message_user(request, f"Archived {self._set_archived(queryset, archive=True)}.", messages.SUCCESS)

    @admin.action(description="Restore the selected entries")
    def restore_entries(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.message_user(request, f"Restored {self._set_archived(queryset, archive=False)}.", messages.SUCCESS)

    def _set_archived(self, queryset: QuerySet, *, archive: bool) -> int:
        by_company: dict[int, list[int]] = {}
        for company_id, pk in queryset.order_by().values_list("company_id", "pk"):
            by_company.setdefault(company_id, []).append(pk)
        return sum(
            archive_catalogue_entries(company=Company(pk=company_id), model=queryset.model, ids=ids, archive=archive)
            for company_id, ids in by_company.items()
        )


@admin.register(CostCentre)
class CostCentreAdmin(CatalogueEntryAdmin):
    list_display = ["name", "company", "archived_at", "updated_at"]


@admin.register(InvoiceProfile)
class InvoiceProfileAdmin(CatalogueEntryAdmin):
    list_display = ["name", "company", "legal_name", "vat_number", "currency", "billing_period", "archived_at"]
    list_filter = [*CatalogueEntryAdmin.list_filter, "currency", "billing_period"]
    search_fields = [*CatalogueEntryAdmin.search_fields, "legal_name", "vat_number"]


@admin.register(TravelPolicy)
class TravelPolicyAdmin(CatalogueEntryAdmin):
    list_display = [
        "name",
        "company",
        "max_flight_cabin",
        "max_hotel_price_per_night",
        "hotel_price_currency",
        "allow_out_of_policy",
        "archived_at",
    ]
    list_filter = [*CatalogueEntryAdmin.list_filter, "max_flight_cabin", "allow_out_of_policy"]


class DeletedListFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("no", "Not deleted"), ("yes", "Deleted")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


class PortalUserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "company", "role", "is_staff")

    def clean_username(self) -> str:
        # Django's own check counts deleted people, whose userNames are free again.
        username = self.cleaned_data.get("username")
        if username and User.objects.with_username(username).exists():
            raise ValidationError("This userName is already taken.", code="unique")
        return username

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("company") and not cleaned.get("is_staff"):
            self.add_error("company", "A person needs a company unless they are support staff.")
        return cleaned


class PortalUserChangeForm(UserChangeForm):
    # Another company's catalogue is refused by the fields themselves: UserAdmin limits
    # their choices to the person's company (formfield_for_*), and the database refuses
    # it too (migration same_company_triggers).
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = PortalUserChangeForm
    add_form = PortalUserCreationForm
    list_display = [
        "username",
        "full_name",
        "company",
        "role",
        "is_active",
        "scim_managed",
        "is_staff",
        "deleted_at",
        "updated_at",
    ]
    list_display_links = ["username", "full_name"]
    list_select_related = ["company"]
    list_filter = ["company", "is_active", "role", "scim_managed", "is_staff", DeletedListFilter]
    search_fields = ["username", "given_name", "family_name", "display_name", "work_email", "external_id"]
    ordering = ["username"]
    # SCIM ids belong to the identity provider; changing one here would break matching.
    readonly_fields = ["id", "external_id", "created_at", "updated_at", "deleted_at", "last_login"]
    raw_id_fields = ["manager"]
    filter_horizontal = ["invoice_profiles", "groups", "user_permissions"]
    actions = ["deactivate_people", "reactivate_people"]
    fieldsets = [
        (None, {"fields": ["username", "password", "company", "role", "is_active"]}),
        ("SCIM", {"fields": ["id", "external_id", "scim_managed", "display_name"]}),
        ("Name", {"fields": ["honorific_prefix", "given_name", "middle_name", "family_name", "title"]}),
        ("Contact and locale", {"fields": ["work_email", "work_phone", "preferred_language", "locale"]}),
        (
            "Travel",
            {"fields": ["manager", "pending_manager_ref", "cost_centre", "travel_policy", "invoice_profiles"]},
        ),
        (
            "Personal",
            {"fields": ["gender", "date_of_birth", "emergency_contact_name", "emergency_contact_phone"]},
        ),
        ("Support access", {"fields": ["is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "created_at", "updated_at", "deleted_at"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "company", "role", "is_staff", "usable_password", "password1", "password2"],
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        # A person never moves to another company: their manager, reports, catalogue
        # and trips all belong to it (the database refuses most such moves anyway).
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "company"] if obj is not None and obj.company_id else fields

    @admin.display(description="name")
    def full_name(self, obj: User) -> str:
        return obj.full_name

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # Deleting a person loses their trips and approval history; support deactivates.
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        # Catalogue choices are limited to the person's company (formfield_for_* read it).
        request._admin_user_company_id = obj.company_id if obj is not None else None
        return super().get_form(request, obj, change=change, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("cost_centre", "travel_policy"):
            kwargs["queryset"] = db_field.related_model.objects.filter(
                company_id=getattr(request, "_admin_user_company_id", None)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "invoice_profiles":
            kwargs["queryset"] = InvoiceProfile.objects.filter(
                company_id=getattr(request, "_admin_user_company_id", None)
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj: User, form, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            report_person_changes(company_id=obj.company_id, changes={obj.pk: None})
            return
        # Only what support changed on the form is written, to the person's current row
        # under its lock: the rest of the form shows what was read when the page opened,
        # and saving it would undo a provisioning write made since.
        changes = {}
        for name in form.changed_data:
            model_field = _model_field(name)
            if model_field is not None:
                changes[name] = form.cleaned_data[name] if model_field.many_to_many else getattr(obj, name)
        save_person_changes(user=obj, changes=changes)

    def save_related(self, request, form, formsets, change: bool) -> None:
        if not change:
            super().save_related(request, form, formsets, change)
            return
        # The many-to-many fields were written with the rest in save_model (only those
        # changed); the form's save_m2m would write every one of them again.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.action(description="Deactivate the selected people (they can no longer sign in)")
    def deactivate_people(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        people = list(queryset.filter(is_active=True, deleted_at__isnull=True, company__isnull=False))
        for person in people:
            deactivate_person(user=person)
        self.message_user(request, f"Deactivated {len(people)} people.", messages.SUCCESS)

    @admin.action(description="Reactivate the selected people")
    def reactivate_people(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        people = list(queryset.filter(is_active=False, deleted_at__isnull=True, company__isnull=False))
        for person in people:
            reactivate_person(user=person)
        self.message_user(request, f"Reactivated {len(people)} people.", messages.SUCCESS)


def _model_field(name: str):
    try:
        return User._meta.get_field(name)
    except FieldDoesNotExist:
        return None


class GroupMembershipInline(admin.TabularInline):
    """Members, read-only: memberships change through the groups domain (SCIM), which
    reports them to the approval chains; an edit here would not."""

    model = GroupMembership
    extra = 0
    fields = ["user", "created_at"]
    readonly_fields = ["user", "created_at"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class GroupAdminForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = ["company", "display_name", "external_id", "scim_managed", "travel_policy", "policy_rank"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        # A group's primary key is set before it is saved: adding is told by the state.
        if self.instance._state.adding:
            group = Group(company=cleaned.get("company"))
        else:
            group = Group.objects.get(pk=self.instance.pk)
        for name, message in group_policy_errors(
            group=group, travel_policy=cleaned.get("travel_policy"), policy_rank=cleaned.get("policy_rank")
        ).items():
            self.add_error(name, message)
        return cleaned


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    """Groups of every company. Members are written over SCIM and only shown here; a
    deletion goes through ``delete_group``, so processes naming the group let go of it.
    The member count comes from one annotated subquery, not a query per row."""

    form = GroupAdminForm
    list_display = ["display_name", "company", "external_id", "scim_managed", "member_count", "travel_policy"]
    list_select_related = ["company", "travel_policy"]
    list_filter = ["company", "scim_managed"]
    search_fields = ["display_name", "external_id", "company__name", "company__slug"]
    readonly_fields = ["id", "created_at", "updated_at"]
    raw_id_fields = ["travel_policy"]
    ordering = ["company__name", "display_name"]
    inlines = [GroupMembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        members = (
            GroupMembership.objects.filter(group=OuterRef("pk")).order_by().values("group").annotate(n=Count("pk"))
        ).values("n")
        return super().get_queryset(request).annotate(_member_count=Coalesce(Subquery(members), 0))

    def get_readonly_fields(self, request, obj=None):
        # A group never moves to another company: its members and processes belong to it.
        # A provisioned group's name and externalId are the identity provider's.
        fields = super().get_readonly_fields(request, obj)
        if obj is None:
            return fields
        return [*fields, "company", *(["display_name", "external_id", "scim_managed"] if obj.scim_managed else [])]

    def save_model(self, request: HttpRequest, obj: Group, form, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        # What the portal owns of a group goes through the groups domain, as from Company
        # Settings; the rest of a local group's row is saved only where it changed.
        policy_fields = {"travel_policy", "policy_rank"}
        if policy_fields & set(form.changed_data):
            set_group_policy(
                group=Group.objects.get(pk=obj.pk),
                travel_policy=form.cleaned_data["travel_policy"],
                policy_rank=form.cleaned_data["policy_rank"],
            )
        other = [name for name in form.changed_data if name not in policy_fields]
        if other:
            obj.save(update_fields=[*other, "updated_at"])

    def delete_model(self, request: HttpRequest, obj: Group) -> None:
        delete_group(group=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Group]) -> None:
        for group in queryset.order_by("pk"):
            delete_group(group=group)

    @admin.display(description="members", ordering="_member_count")
    def member_count(self, obj: Group) -> int:
        return obj._member_count
