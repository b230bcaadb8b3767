"""What a company admin changes from Company Settings.

Catalogue entries (cost centres, invoice profiles, travel policies) are created and edited
through their model forms; these functions hold the rules that go beyond one form. Of a
group only what the portal owns is changed here (its travel policy and policy order);
its name, externalId and members belong to the identity provider and ``companies.groups``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from scim.mapping import IDP_OWNED_FIELDS
from travelportal.companies.models import CatalogueEntry, Company, Group, GroupMembership, TravelPolicy, User
from travelportal.companies.people import save_person_changes

__all__ = [
    "IDP_OWNED_FIELDS",
    "LOCALLY_EDITABLE_FIELDS",
    "editable_fields_for",
    "search_groups",
    "search_people",
    "set_group_policy",
    "update_person",
]

# What an admin may edit on a person the portal owns. userName and externalId are the
# person's identity towards sign-in and the identity provider, so they are never edited here.
LOCALLY_EDITABLE_FIELDS: tuple[str, ...] = (
    "role",
    "is_active",
    "honorific_prefix",
    "given_name",
    "middle_name",
    "family_name",
    "display_name",
    "title",
    "work_email",
    "work_phone",
    "preferred_language",
    "locale",
    "manager",
    "cost_centre",
    "travel_policy",
    "invoice_profiles",
    "gender",
    "date_of_birth",
    "emergency_contact_name",
    "emergency_contact_phone",
)


def editable_fields_for(person: User) -> tuple[str, ...]:
    """The fields an admin may change on ``person`` from Company Settings."""
    if person.scim_managed:
        return tuple(f for f in LOCALLY_EDITABLE_FIELDS if f not in IDP_OWNED_FIELDS)
    return LOCALLY_EDITABLE_FIELDS


def search_people(*, company: Company, query: str = "", status: str = "") -> QuerySet[User]:
    """The company's live people for the People list, narrowed by a search on names,
    userName, email and title, and by ``status`` ("active", "inactive" or "" for all),
    ordered by name, with what the list shows of their relations."""
    people = User.objects.for_company(company).select_related("manager", "cost_centre", "travel_policy")
    query = query.strip()
    if query:
        people = people.filter(
            Q(username__icontains=query)
            | Q(given_name__icontains=query)
            | Q(family_name__icontains=query)
            | Q(display_name__icontains=query)
            | Q(work_email__icontains=query)
            | Q(title__icontains=query)
        )
    if status:
        people = people.filter(is_active=status == "active")
    return people.order_by("family_name", "given_name", "username", "id")


def search_groups(*, company: Company, query: str = "") -> QuerySet[Group]:
    """The company's groups for the Groups list, narrowed by a search on the name, ordered
    by name, with ``member_count`` and ``process_count`` (the approval processes naming
    it). The members are counted in a subquery, so a group of 10,000 costs one count, not
    a join that multiplies its rows by the processes."""
    members = (
        GroupMembership.objects.filter(group=OuterRef("pk")).order_by().values("group").annotate(n=Count("pk"))
    ).values("n")
    groups = (
        Group.objects.for_company(company)
        .select_related("travel_policy")
        .annotate(member_count=Coalesce(Subquery(members), 0), process_count=Count("approval_processes"))
    )
    query = query.strip()
    if query:
        groups = groups.filter(display_name__icontains=query)
    return groups.order_by("display_name", "id")


def set_group_policy(*, group: Group, travel_policy: TravelPolicy | None, policy_rank: int) -> list[str]:
    """Set what the portal owns of a group: the travel policy it gives its members and its
    place in the order of their groups' policies (lowest first). Returns the fields that
    changed. The identity provider never writes these, so a provisioning cycle keeps them,
    and they are no part of the SCIM resource, whose ``meta.lastModified`` stays as it is."""
    errors = {}
    # An archived policy is not given anew, though a group that has one may keep it.
    newly_archived = (
        travel_policy is not None and travel_policy.is_archived and travel_policy.pk != group.travel_policy_id
    )
    if travel_policy is not None and (travel_policy.company_id != group.company_id or newly_archived):
        errors["travel_policy"] = "Choose a travel policy of the company that is in use."
    if not isinstance(policy_rank, int) or policy_rank < 0:
        errors["policy_rank"] = "The policy order is a whole number, 0 or more."
    if errors:
        raise ValidationError(errors)
    changed = {}
    if group.travel_policy_id != getattr(travel_policy, "pk", None):
        changed["travel_policy"] = travel_policy
    if group.policy_rank != policy_rank:
        changed["policy_rank"] = policy_rank
    if changed:
        Group.objects.filter(pk=group.pk).update(**changed)
        for name, value in changed.items():
            setattr(group, name, value)
    return list(changed)


def set_scim_enabled(*, company: Company, enabled: bool) -> bool:
    """Turn the company's SCIM API on or off; returns whether anything changed.

    Turning it off keeps tokens and people as they are: the SCIM endpoints refuse
    requests until it is turned on again."""
    updated = Company.objects.filter(pk=company.pk).exclude(scim_enabled=enabled).update(scim_enabled=enabled)
    company.scim_enabled = enabled
    return bool(updated)


def archive_catalogue_entry(*, entry: CatalogueEntry) -> None:
    """Archive a cost centre, invoice profile or travel policy.

    Archived entries stay linked to the people who have them (history stays readable) but
    are no longer offered in choices."""
    if entry.archived_at is None:
        entry.archived_at = timezone.now()
        entry.save(update_fields=["archived_at", "updated_at"])


def restore_catalogue_entry(*, entry: CatalogueEntry) -> None:
    """Bring an archived catalogue entry back into use."""
    if entry.archived_at is not None:
        entry.archived_at = None
        entry.save(update_fields=["archived_at", "updated_at"])


def update_person(*, person: User, changes: dict[str, Any]) -> list[str]:
    """Apply an admin's edits to a person; returns the names of the fields that changed.

    Only fields in ``editable_fields_for(person)`` may change (attributes the identity
    provider owns on a SCIM-managed person never do; they come from ``scim.mapping``).
    ``changes`` holds only what the admin changed, and only that is written, to the
    person's current row under its lock, so a provisioning write racing the edit keeps
    its own change. The people domain decides whether approval chains are rebuilt."""
    allowed = set(editable_fields_for(person))
    refused = set(changes) - allowed
    if refused:
        raise ValueError(f"These fields can't be edited here: {', '.join(sorted(refused))}")
    return save_person_changes(user=person, changes=changes)
