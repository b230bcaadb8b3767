"""The company's people an API request names by id."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from uuid import UUID

from django.core.exceptions import ValidationError

from travelportal.companies.models import Company, User

if TYPE_CHECKING:
    from travelportal.api.authentication import ApiCaller


def people_of_company(*, company: Company, ids: Iterable[UUID], field: str) -> list[User]:
    """The live people of ``company`` with these ids, in the order given (duplicates
    dropped). Any id that is not one of them (unknown, deleted, or of another company:
    the message does not tell which) is a ValidationError on ``field`` naming it."""
    wanted = list(dict.fromkeys(ids))
    found = User.objects.for_company(company).in_bulk(wanted)
    missing = [str(pk) for pk in wanted if pk not in found]
    if missing:
        raise ValidationError({field: f"Not people of your company: {', '.join(missing)}."})
    return [found[pk] for pk in wanted]


def deciding_person(*, caller: ApiCaller, approver_id: UUID | None) -> User:
    """Who decides an approval made through the API. A token a person authorized decides
    as that person (``approver_id``, if given, must be them); an API key or a
    client-credentials token acts for the company and must name the person deciding,
    whose right to decide is then checked like anyone's (``Trip.can_be_decided_by``)."""
    if caller.person is not None:
        if approver_id is not None and approver_id != caller.person.pk:
            raise ValidationError({"approver_id": "A token you authorized decides as you; leave approver_id out."})
        return caller.person
    if approver_id is None:
        raise ValidationError({"approver_id": "Name the person deciding: this credential acts for the company."})
    return people_of_company(company=caller.company, ids=[approver_id], field="approver_id")[0]
