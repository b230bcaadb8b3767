"""Provisioning people: the domain functions the SCIM API (and anything else that
provisions) calls.

Every function is keyword-only and atomic: it validates everything first and writes
nothing when any value is refused. They send ``people_changed`` whenever something an
approval chain depends on changes (created, manager, active, deleted) and end a person's
sessions after commit when they are deactivated or deleted.

Values are stored exactly as received (Entra compares what it would send with what it
reads back, so any reformatting makes it re-send the value every cycle).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from travelportal.companies.models import Company, CostCentre, InvoiceProfile, TravelPolicy, User
from travelportal.companies.signals import people_changed

# Plain attributes a provisioning source may set, with their maximum length.
TEXT_FIELDS: dict[str, int] = {
    "username": 254,
    "external_id": 254,
    "display_name": 254,
    "honorific_prefix": 50,
    "given_name": 150,
    "middle_name": 150,
    "family_name": 150,
    "title": 200,
    "preferred_language": 35,
    "locale": 35,
    "work_phone": 50,
    "work_email": 254,
    "emergency_contact_name": 200,
    "emergency_contact_phone": 50,
}


class PersonError(Exception):
    """A provisioned value the portal refuses; nothing was written.

    ``code`` is ``"invalid"`` (a bad or unknown value) or ``"conflict"`` (a uniqueness
    clash); ``attribute`` names what was wrong, in the caller's vocabulary when known.
    """

    def __init__(self, detail: str, *, code: str = "invalid", attribute: str = "") -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code
        self.attribute = attribute


@dataclass
class PersonData:
    """Everything a provisioning source says about one person.

    ``fields`` holds model field values (see ``TEXT_FIELDS`` plus ``is_active``, ``gender``
    and ``date_of_birth``). The references are names or identifiers resolved here:
    ``cost_centre`` (a name, created when unknown), ``travel_policy`` (a name that must
    exist), ``invoice_profiles`` (names that must exist) and ``manager`` (a user id,
    userName or externalId). ``""``/``None``/``[]`` clear. For a partial update, only the
    keys present in ``fields`` and the references listed in ``present`` change.
    """

    fields: dict[str, object] = field(default_factory=dict)
    cost_centre: str = ""
    travel_policy: str = ""
    invoice_profiles: list[str] = field(default_factory=list)
    manager: str = ""
    present: set[str] = field(default_factory=lambda: {"cost_centre", "travel_policy", "invoice_profiles", "manager"})


@dataclass
class _Resolved:
    cost_centre: CostCentre | None = None
    cost_centre_name: str = ""
    travel_policy: TravelPolicy | None = None
    invoice_profiles: list[InvoiceProfile] = field(default_factory=list)
    manager: User | None = None
    pending_manager_ref: str = ""


def parse_gender(value: str) -> str:
    """``M``/``F``, also ``male``/``female`` in any case; ``""`` clears."""
    folded = value.strip().lower()
    if folded in ("", "m", "f"):
        return folded.upper()
    if folded in ("male", "female"):
        return folded[0].upper()
    raise PersonError(f"gender must be M or F, not {value!r}.", attribute="gender")


def parse_date_of_birth(value: str) -> date | None:
    """``YYYY-MM-DD`` (also ``YYYY/MM/DD``); ``""`` clears; an impossible date is refused."""
    text = value.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text.replace("/", "-")) if len(text) == 10 else _bad_date(value)
    except ValueError:
        return _bad_date(value)


def _bad_date(value: str) -> date:
    raise PersonError(f"dateOfBirth must be a date as YYYY-MM-DD, not {value!r}.", attribute="dateOfBirth")


@transaction.atomic
def create_person(*, company: Company, data: PersonData) -> User:
    """Create a provisioned person of ``company`` and resolve pending manager references
    that named them. Raises ``PersonError`` (nothing written) on a refused value."""
    user = User(company=company, scim_managed=True)
    user.set_unusable_password()
    _apply(user=user, data=data, partial=False, creating=True)
    return user


@transaction.atomic
def replace_person(*, user: User, data: PersonData) -> User:
    """Replace everything provisioned about ``user`` (SCIM PUT): what ``data`` leaves out is
    cleared."""
    _apply(user=_locked(user), data=data, partial=False, creating=False)
    return user


@transaction.atomic
def update_person(*, user: User, data: PersonData) -> User:
    """Change only what ``data`` carries (SCIM PATCH applied to the current values)."""
    _apply(user=_locked(user), data=data, partial=True, creating=False)
    return user


@transaction.atomic
def deactivate_person(*, user: User) -> User:
    """Keep every piece of the person's data but stop them signing in or travelling."""
    return update_person(user=user, data=PersonData(fields={"is_active": False}, present=set()))


@transaction.atomic
def reactivate_person(*, user: User) -> User:
    return update_person(user=user, data=PersonData(fields={"is_active": True}, present=set()))


@transaction.atomic
def delete_person(*, user: User) -> None:
    """Soft-delete (SCIM DELETE): the person disappears from SCIM and sign-in, their
    userName and externalId are free again, trips and approval history stay readable.
    Their direct reports lose them as manager (a deleted person approves nothing)."""
    user = _locked(user)
    if user.deleted_at is not None:
        return
    now = timezone.now()
    user.deleted_at = now
    user.save(update_fields=["deleted_at", "updated_at"])
    company = user.company
    reports = list(User.objects.for_company(company).filter(manager=user).values_list("pk", flat=True))
    if reports:
        User.objects.filter(pk__in=reports).update(manager=None, updated_at=now)
    # accounts ends the person's sessions on this signal, once the change is committed.
    people_changed.send(sender=User, company_id=company.pk, user_ids=[user.pk, *reports])


def _locked(user: User) -> User:
    # Concurrent PATCHes of one person must not interleave read-modify-write.
    # Unordered: .first() would add the model's ORDER BY to a primary-key lookup.
    list(User.objects.select_for_update().filter(pk=user.pk).order_by().values_list("pk", flat=True))
    return user


def _apply(*, user: User, data: PersonData, partial: bool, creating: bool) -> None:
    company = user.company
    before = {
        "manager_id": user.manager_id,
        "is_active": user.is_active,
        "username": user.username,
        "external_id": user.external_id,
    }
    values = _clean_fields(data.fields, partial=partial)
    username = values.get("username", user.username)
    if not username:
        raise PersonError("userName is required.", attribute="userName")
    external_id = values.get("external_id", user.external_id)
    _check_unique(user=user, company=company, username=username, external_id=external_id)
    for name, value in values.items():
        setattr(user, name, value)
    present = data.present if partial else {"cost_centre", "travel_policy", "invoice_profiles", "manager"}
    # A pending manager reference is matched against the stored userName and externalId
    # too, so the shortcut for an unchanged manager needs them unchanged as well.
    identity_kept = (before["username"], before["external_id"]) == (username, external_id)
    resolved = _resolve_references(
        user=user,
        company=company,
        data=data,
        username=username,
        external_id=external_id,
        present=present if identity_kept else present | {"manager"},
    )

    if "cost_centre" in present:
        if resolved.cost_centre_name:
            # An unknown cost centre is created, as TravelPerk does: one read when it exists.
            resolved.cost_centre, _ = CostCentre.objects.get_or_create(company=company, name=resolved.cost_centre_name)
        user.cost_centre = resolved.cost_centre
    if "travel_policy" in present:
        user.travel_policy = resolved.travel_policy
    if "manager" in present:
        user.manager = resolved.manager
        user.pending_manager_ref = resolved.pending_manager_ref
    user.scim_managed = True
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        # A concurrent request took the userName or externalId between check and save.
        raise PersonError(f"userName {username!r} or externalId is already taken.", code="conflict") from exc
    if "invoice_profiles" in present:
        if creating:
            # A new person has no profiles yet: set() would first read the (empty) links.
            user.invoice_profiles.add(*resolved.invoice_profiles)
        else:
            user.invoice_profiles.set(resolved.invoice_profiles)

    changed = [user.pk] if creating else []
    if not creating and (before["manager_id"] != user.manager_id or before["is_active"] != user.is_active):
        changed.append(user.pk)
    if creating or (before["username"], before["external_id"]) != (user.username, user.external_id):
        changed.extend(_resolve_pending_references_to(user=user))
    if changed:
        people_changed.send(sender=User, company_id=company.pk, user_ids=changed)


def _clean_fields(fields: dict[str, object], *, partial: bool) -> dict[str, object]:
    values: dict[str, object] = {} if partial else dict.fromkeys(TEXT_FIELDS, "")
    if not partial:
        values.update(is_active=True, gender="", date_of_birth=None)
    for name, value in fields.items():
        if name in TEXT_FIELDS:
            text = "" if value is None else value
            if not isinstance(text, str):
                raise PersonError(f"{name} must be a string.", attribute=name)
            if len(text) > TEXT_FIELDS[name]:
                raise PersonError(f"{name} is longer than {TEXT_FIELDS[name]} characters.", attribute=name)
            values[name] = text
        elif name == "is_active":
            if not isinstance(value, bool):
                raise PersonError("active must be true or false.", attribute="active")
            values[name] = value
        elif name == "gender":
            values[name] = parse_gender(value or "")
        elif name == "date_of_birth":
            values[name] = value if isinstance(value, date) or value is None else parse_date_of_birth(value)
        else:
            raise ValueError(f"{name} is not a provisioned attribute")
    return values


def _check_unique(*, user: User, company: Company, username: str, external_id: str) -> None:
    # A live person keeping the value they have cannot clash: the database's unique
    # constraints (user_username_unique_ci, user_external_id_unique_per_company) already
    # hold for it, so the two reads are skipped (most PATCHes change neither).
    kept = not user._state.adding and user.deleted_at is None
    others = User.objects.live().exclude(pk=user.pk)
    # userName is unique across the platform (it is how people sign in), case-insensitively.
    if not (kept and username == user.username) and others.with_username(username).exists():
        raise PersonError(f"userName {username!r} is already taken.", code="conflict", attribute="userName")
    if (
        external_id
        and not (kept and external_id == user.external_id)
        and others.filter(company=company, external_id=external_id).exists()
    ):
        raise PersonError(
            f"externalId {external_id!r} is already used in this company.", code="conflict", attribute="externalId"
        )


def _resolve_references(
    *, user: User, company: Company, data: PersonData, username: str, external_id: str, present: set[str]
) -> _Resolved:
    """Look up the references ``data`` names. Those in ``present`` are read afresh (they
    are to be written); the others (a PATCH's unchanged ones) are still checked, as before,
    but from the person's already loaded related rows when those show the check passes,
    saving a read each."""
    resolved = _Resolved()
    if data.cost_centre:
        if len(data.cost_centre) > 200:
            raise PersonError("costCenter is longer than 200 characters.", attribute="costCenter")
        # Found or created by name when written (``_apply``), after every check passed.
        resolved.cost_centre_name = data.cost_centre
    if data.travel_policy:
        kept = _loaded(user, "travel_policy")
        if "travel_policy" in present or not _is_live_entry(kept, company=company, name=data.travel_policy):
            kept = TravelPolicy.objects.for_company(company).live().filter(name=data.travel_policy).first()
        resolved.travel_policy = kept
        if resolved.travel_policy is None:
            raise PersonError(f"travelPolicy {data.travel_policy!r} does not exist.", attribute="travelPolicy")
    if data.invoice_profiles:
        names = list(dict.fromkeys(data.invoice_profiles))
        found = {}
        if "invoice_profiles" not in present:
            prefetched = getattr(user, "_prefetched_objects_cache", {}).get("invoice_profiles")
            found = {p.name: p for p in prefetched or () if _is_live_entry(p, company=company, name=p.name)}
        if set(names) - found.keys():
            found = {p.name: p for p in InvoiceProfile.objects.for_company(company).live().filter(name__in=names)}
        for name in names:
            if name not in found:
                raise PersonError(f"invoiceProfiles {name!r} does not exist.", attribute="invoiceProfiles")
        resolved.invoice_profiles = [found[n] for n in names]
    if data.manager:
        resolved.manager, resolved.pending_manager_ref = _resolve_manager(
            user=user,
            company=company,
            ref=data.manager,
            username=username,
            external_id=external_id,
            unchanged="manager" not in present,
        )
    return resolved


def _loaded(user: User, relation: str):
    """The related row already loaded on ``user`` (select_related), else None: no read."""
    field = User._meta.get_field(relation)
    return field.get_cached_value(user, default=None) if field.is_cached(user) else None


def _is_live_entry(entry, *, company: Company, name: str) -> bool:
    return entry is not None and entry.company_id == company.pk and entry.name == name and entry.archived_at is None


def _resolve_manager(
    *, user: User, company: Company, ref: str, username: str, external_id: str, unchanged: bool = False
) -> tuple[User | None, str]:
    """A manager is named by id, userName or externalId of a live person of the company.

    An id that matches nobody is refused (ids are assigned by the portal, so it can never
    resolve later); a userName or externalId that matches nobody yet is kept pending.
    ``unchanged``: the result is not written (a PATCH left the manager alone), so only
    what can refuse the request is checked."""
    if ref.lower() == username.lower() or (external_id and ref == external_id):
        raise PersonError("A person can't be their own manager.", attribute="manager")
    people = User.objects.for_company(company)
    try:
        as_id = uuid.UUID(ref)
    except ValueError:
        as_id = None
    if as_id is not None:
        if as_id == user.pk:
            raise PersonError("A person can't be their own manager.", attribute="manager")
        manager = _loaded(user, "manager") if unchanged else None
        if manager is None or manager.pk != as_id or manager.company_id != company.pk or manager.deleted_at:
            manager = next(iter(people.filter(pk=as_id).order_by()[:1]), None)
        if manager is None:
            raise PersonError(f"manager {ref!r} is not a user of this company.", attribute="manager")
        return manager, ""
    if unchanged:
        # A pending userName or externalId refuses nothing beyond the self-reference
        # checked above (a match on this person would equal their own userName or
        # externalId), and what it resolves to is not written.
        return None, ref
    manager = people.with_username(ref).first() or people.filter(external_id=ref).first()
    if manager is None:
        return None, ref
    if manager.pk == user.pk:
        raise PersonError("A person can't be their own manager.", attribute="manager")
    return manager, ""


def _resolve_pending_references_to(*, user: User) -> list:
    """People who named ``user`` as their manager before ``user`` was provisioned get them
    now; returns their ids."""
    if user.deleted_at is not None:
        return []
    match = Q(pending_manager_ref__iexact=user.username)
    if user.external_id:
        match |= Q(pending_manager_ref=user.external_id)
    waiting = list(
        User.objects.for_company(user.company).filter(match).exclude(pk=user.pk).values_list("pk", flat=True)
    )
    if waiting:
        User.objects.filter(pk__in=waiting).update(manager=user, pending_manager_ref="", updated_at=timezone.now())
    return waiting


__all__ = [
    "PersonData",
    "PersonError",
    "create_person",
    "deactivate_person",
    "delete_person",
    "reactivate_person",
    "replace_person",
    "update_person",
]
