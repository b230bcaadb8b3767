"""Writing groups and their memberships: the domain functions the SCIM API (and
anything else that provisions groups) calls, and what the portal owns of a group, its
travel policy and policy order (``set_group_policy``, Company Settings' and Django
admin's one way to change them); ``search_groups`` is the Groups list.

Every function is keyword-only and atomic, validates everything before it writes, and
reads the group's row under its lock, so concurrent PATCHes of one group queue instead
of overwriting each other. Membership changes cost a fixed number of queries whatever
the number of members, and end in ``report_person_changes`` for the people who joined
or left (``groups`` is a chain field: approval processes can name groups as requesters).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from travelportal.companies.models import Company, Group, GroupMembership, TravelPolicy, User
from travelportal.companies.signals import group_deleted, report_person_changes


class GroupError(Exception):
    """A group value the portal refuses; nothing was written. ``code`` is ``"invalid"``
    or ``"conflict"`` (a uniqueness clash)."""

    def __init__(self, detail: str, *, code: str = "invalid") -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code


@dataclass
class GroupData:
    """A group as a provisioning source states it (POST, PUT): ``members`` are person ids
    as the source sent them."""

    display_name: str
    external_id: str = ""
    members: list[str] = field(default_factory=list)


@dataclass
class GroupChange:
    """What one PATCH changes. ``None`` leaves a value alone; ``replace_members`` (a list)
    sets the membership exactly, else ``add`` and ``remove`` change it."""

    display_name: str | None = None
    external_id: str | None = None
    replace_members: list[str] | None = None
    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)

    def referenced(self) -> list[str]:
        return [*(self.replace_members or []), *self.add]


def lock_group(group: Group) -> Group:
    """The group's current row, locked until the transaction ends."""
    list(Group.objects.select_for_update().filter(pk=group.pk).order_by().values_list("pk", flat=True))
    return Group.objects.select_related("company").get(pk=group.pk)


@transaction.atomic
def create_group(*, company: Company, data: GroupData) -> Group:
    """Create a provisioned group of ``company`` with its members."""
    group = Group(company=company, scim_managed=True)
    _set_identity(group, display_name=data.display_name, external_id=data.external_id)
    members = resolve_members(company=company, ids=data.members)
    _save(group, creating=True)
    _change_members(group, add=members, remove=set())
    return group


@transaction.atomic
def replace_group(*, group: Group, data: GroupData) -> Group:
    """Replace the group's name, externalId and members (SCIM PUT)."""
    return edit_group(
        group=group,
        edit=lambda fresh: GroupChange(
            display_name=data.display_name, external_id=data.external_id, replace_members=data.members
        ),
    )


@transaction.atomic
def edit_group(*, group: Group, edit: Callable[[Group], GroupChange]) -> Group:
    """Apply the change ``edit`` computes from the group's current, locked row."""
    fresh = lock_group(group)
    change = edit(fresh)
    company = fresh.company
    wanted = resolve_members(company=company, ids=change.referenced())
    changed = _set_identity(
        fresh,
        display_name=fresh.display_name if change.display_name is None else change.display_name,
        external_id=fresh.external_id if change.external_id is None else change.external_id,
    )
    if changed:
        _save(fresh, creating=False, fields=changed)
    memberships = GroupMembership.objects.filter(group=fresh)
    if change.replace_members is not None:
        current = set(memberships.values_list("user_id", flat=True))
        target = {u.pk for u in wanted}
    else:
        # Only the memberships this change is about: a batch of 100 added to a group of
        # 10,000 reads 100 rows, not the whole group.
        removed_ids = {_as_uuid(i) for i in change.remove} - {None}
        concerned = removed_ids | {u.pk for u in wanted}
        current = set(memberships.filter(user_id__in=concerned).values_list("user_id", flat=True) if concerned else ())
        target = (current - removed_ids) | {u.pk for u in wanted}
    _change_members(fresh, add=[u for u in wanted if u.pk in target - current], remove=current - target)
    return fresh


@transaction.atomic
def delete_group(*, group: Group) -> None:
    """Delete the group (SCIM DELETE); its members leave it, and whatever named it as
    requesters (approval processes) lets go of it on ``group_deleted``, before the row goes."""
    fresh = lock_group(group)
    members = list(GroupMembership.objects.filter(group=fresh).values_list("user_id", flat=True))
    group_deleted.send(sender=Group, group=fresh)
    fresh.delete()
    report_person_changes(company_id=fresh.company_id, changes=dict.fromkeys(members, ("groups",)))


def resolve_members(*, company: Company, ids: Iterable[str]) -> list[User]:
    """The live people of ``company`` that ``ids`` name, in one query. An id that is not
    one (malformed, unknown, deleted, or of another company) is refused, naming it.

    Call it inside the transaction that writes the memberships: the people are locked
    (in id order, so two writers never wait on each other in a circle) until it ends,
    so a person deleted at the same moment is either refused here or, deleted after,
    taken out of the group again by ``delete_person``; never left a member."""
    wanted = list(dict.fromkeys(str(i) for i in ids))
    if not wanted:
        return []
    parsed = {raw: _as_uuid(raw) for raw in wanted}
    people = (
        User.objects.for_company(company)
        .filter(pk__in=[p for p in parsed.values() if p])
        .order_by("pk")
        .select_for_update(no_key=True)
    )
    found = {u.pk: u for u in people}
    unknown = [raw for raw, pk in parsed.items() if pk not in found]
    if unknown:
        shown = ", ".join(repr(raw) for raw in unknown[:5]) + (" and more" if len(unknown) > 5 else "")
        raise GroupError(f"members {shown}: not a user of this company.")
    return [found[parsed[raw]] for raw in wanted]


def _as_uuid(raw: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


def _set_identity(group: Group, *, display_name: str, external_id: str) -> list[str]:
    if not isinstance(display_name, str) or not display_name.strip():
        raise GroupError("displayName is required.")
    limits = {name: Group._meta.get_field(name).max_length for name in ("display_name", "external_id")}
    for name, label, value in (
        ("display_name", "displayName", display_name),
        ("external_id", "externalId", external_id),
    ):
        if not isinstance(value, str):
            raise GroupError(f"{label} must be a string.")
        if len(value) > limits[name]:
            raise GroupError(f"{label} is longer than {limits[name]} characters.")
    others = Group.objects.for_company(group.company).exclude(pk=group.pk)
    if display_name.lower() != group.display_name.lower() and others.named(display_name).exists():
        raise GroupError(f"displayName {display_name!r} is already used by a group of this company.", code="conflict")
    if external_id and external_id != group.external_id and others.filter(external_id=external_id).exists():
        raise GroupError(f"externalId {external_id!r} is already used by a group of this company.", code="conflict")
    changed = []
    for name, value in (("display_name", display_name), ("external_id", external_id)):
        if getattr(group, name) != value:
            setattr(group, name, value)
            changed.append(name)
    return changed


def _save(group: Group, *, creating: bool, fields: list[str] | None = None) -> None:
    try:
        with transaction.atomic():
            if creating:
                group.save()
            else:
                group.save(update_fields=[*(fields or []), "updated_at"])
    except IntegrityError as exc:
        # A concurrent request took the name or externalId between check and save.
        raise GroupError(
            "displayName or externalId is already used by a group of this company.", code="conflict"
        ) from exc


def _change_members(group: Group, *, add: list[User], remove: set) -> None:
    """Insert and delete memberships in one statement each, and report who moved."""
    if add:
        GroupMembership.objects.bulk_create([GroupMembership(group=group, user=user) for user in add])
    if remove:
        GroupMembership.objects.filter(group=group, user_id__in=remove).delete()
    if add or remove:
        # A membership change is a change of the group (meta.lastModified, its version).
        group.updated_at = timezone.now()
        Group.objects.filter(pk=group.pk).update(updated_at=group.updated_at)
        moved = [u.pk for u in add] + list(remove)
        report_person_changes(company_id=group.company_id, changes=dict.fromkeys(moved, ("groups",)))


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


def group_policy_errors(*, group: Group, travel_policy: TravelPolicy | None, policy_rank: object) -> dict[str, str]:
    """What ``set_group_policy`` would refuse, by field (empty when nothing): for forms
    that show the refusal next to the field before anything is saved."""
    errors = {}
    # An archived policy is not given anew, though a group that has one may keep it.
    newly_archived = (
        travel_policy is not None and travel_policy.is_archived and travel_policy.pk != group.travel_policy_id
    )
    if travel_policy is not None and (travel_policy.company_id != group.company_id or newly_archived):
        errors["travel_policy"] = "Choose a travel policy of the company that is in use."
    if not isinstance(policy_rank, int) or policy_rank < 0:
        errors["policy_rank"] = "The policy order is a whole number, 0 or more."
    return errors


def set_group_policy(*, group: Group, travel_policy: TravelPolicy | None, policy_rank: int) -> list[str]:
    """Set what the portal owns of a group: the travel policy it gives its members and its
    place in the order of their groups' policies (lowest first). Returns the fields that
    changed. The identity provider never writes these, so a provisioning cycle keeps them,
    and they are no part of the SCIM resource, whose ``meta.lastModified`` stays as it is."""
    with transaction.atomic():
        # The group's row under its lock, and the policy as it is now: one archived a
        # moment ago is not given anew.
        fresh = lock_group(group)
        if travel_policy is not None:
            travel_policy = TravelPolicy.objects.filter(pk=travel_policy.pk).first() or travel_policy
        errors = group_policy_errors(group=fresh, travel_policy=travel_policy, policy_rank=policy_rank)
        if errors:
            raise ValidationError(errors)
        changed = []
        if fresh.travel_policy_id != getattr(travel_policy, "pk", None):
            fresh.travel_policy = travel_policy
            changed.append("travel_policy")
        if fresh.policy_rank != policy_rank:
            fresh.policy_rank = policy_rank
            changed.append("policy_rank")
        if changed:
            # Without updated_at: SCIM's meta.lastModified is the identity provider's.
            fresh.save(update_fields=changed)
    for name in changed:
        setattr(group, name, getattr(fresh, name))
    return changed
