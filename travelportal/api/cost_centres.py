"""Cost centres through the API: creating, renaming and archiving them, and setting who
belongs to one (``PUT /cost_centers/{id}/users``).

A person's cost centre is a field of the person, so membership changes go through the
people domain (``companysettings.services.update_person``): each person's row is written
under its lock, and a person whose cost centre the identity provider owns (SCIM-managed)
is refused, as on the person's page, because the next provisioning cycle would undo it.
A centre's ``updated_at`` moves when its members change, so cursor syncs see it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from travelportal.companies.models import Company, CostCentre, User
from travelportal.companysettings.services import (
    archive_catalogue_entry,
    editable_fields_for,
    restore_catalogue_entry,
    update_person,
)

DUPLICATE_NAME = "There is already a cost centre with this name."


def attach_members(centres: list[CostCentre]) -> list[CostCentre]:
    """Set ``members`` on each centre (its live people, by name), in one query for all."""
    members: dict[int, list[User]] = {centre.pk: [] for centre in centres}
    people = (
        User.objects.live()
        .filter(cost_centre__in=list(members))
        .only("id", "given_name", "family_name", "work_email", "cost_centre_id")
        .order_by("family_name", "given_name", "username", "id")
    )
    for person in people:
        members[person.cost_centre_id].append(person)
    for centre in centres:
        centre.members = members[centre.pk]
    return centres


def create_cost_centre(*, company: Company, name: str) -> CostCentre:
    """A new cost centre; names are unique within the company."""
    try:
        with transaction.atomic():
            return CostCentre.objects.create(company=company, name=name.strip())
    except IntegrityError:
        raise ValidationError({"name": DUPLICATE_NAME}) from None


@transaction.atomic
def update_cost_centre(*, centre: CostCentre, name: str | None = None, archive: bool | None = None) -> CostCentre:
    """Rename and/or archive or restore a cost centre; what is None stays as it is."""
    if name is not None and name.strip() != centre.name:
        centre.name = name.strip()
        try:
            with transaction.atomic():
                centre.save(update_fields=["name", "updated_at"])
        except IntegrityError:
            raise ValidationError({"name": DUPLICATE_NAME}) from None
    if archive is True:
        archive_catalogue_entry(entry=centre)
    elif archive is False:
        restore_catalogue_entry(entry=centre)
    return centre


def archive_cost_centres(*, company: Company, ids: list[int], archive: bool) -> int:
    """Archive (or restore) the company's cost centres with these ids in one UPDATE;
    returns how many changed. Ids of other companies, unknown ids and centres already in
    that state are left alone and not counted."""
    centres = CostCentre.objects.for_company(company).filter(pk__in=ids, archived_at__isnull=archive)
    now = timezone.now()
    return centres.update(archived_at=now if archive else None, updated_at=now)


@transaction.atomic
def replace_cost_centre_members(*, centre: CostCentre, people: list[User]) -> list[User]:
    """Make ``people`` (of the centre's company) exactly the centre's members: the others
    leave it (no cost centre), the new ones join it. Refused whole, naming them, when a
    person's cost centre is owned by the identity provider or the centre is archived and
    would gain members. Returns the people whose cost centre changed."""
    wanted = {person.pk: person for person in people}
    if any(person.company_id != centre.company_id for person in people):
        raise ValidationError({"user_ids": "People must belong to the cost centre's company."})
    current = {p.pk: p for p in User.objects.for_company(centre.company).filter(cost_centre=centre)}
    joining = [p for pk, p in wanted.items() if pk not in current]
    leaving = [p for pk, p in current.items() if pk not in wanted]
    if joining and centre.is_archived:
        raise ValidationError({"user_ids": "This cost centre is archived; restore it before adding people."})
    locked = [str(p.pk) for p in [*joining, *leaving] if "cost_centre" not in editable_fields_for(p)]
    if locked:
        raise ValidationError(
            {"user_ids": f"The identity provider sets the cost centre of these people: {', '.join(locked)}."}
        )
    for person in joining:
        update_person(person=person, changes={"cost_centre": centre})
    for person in leaving:
        update_person(person=person, changes={"cost_centre": None})
    if joining or leaving:
        centre.save(update_fields=["updated_at"])
    return [*joining, *leaving]
