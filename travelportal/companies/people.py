"""Writing people: the domain functions the SCIM API, Company Settings, the REST API,
Django admin and the management commands call.

Provisioning writes (``create_person``, ``replace_person``, ``update_person``,
``deactivate_person``, ``delete_person``) take a ``PersonData`` parsed from SCIM; a
company admin's writes (Company Settings, the REST API's cost centre members) go through
``set_person_fields``, which refuses what the identity provider owns
(``IDP_OWNED_FIELDS``) on a SCIM-managed person; support staff in Django admin may change
any field, through ``save_person_changes``, which both of the others end in.

Every function is keyword-only and atomic: it validates everything first and writes
nothing when any value is refused. Every write of an existing person reads the row
under its lock, applies the change to that fresh row and saves only the columns that
changed, so two writers changing different attributes at the same moment both keep
their change. Each write ends in ``report_person_changes`` with the fields it changed,
which decides whether approval chains are rebuilt (and sessions ended).

Values are stored exactly as received (Entra compares what it would send with what it
reads back, so any reformatting makes it re-send the value every cycle).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower, Upper
from django.utils import timezone

from travelportal.companies.catalogue import cost_centre_named
from travelportal.companies.models import Company, CostCentre, GroupMembership, InvoiceProfile, TravelPolicy, User
from travelportal.companies.signals import report_catalogue_changes, report_person_changes
from travelportal.querysets import only_match

# The gender codes the portal stores (a schema's canonical values).
GENDERS: tuple[str, ...] = tuple(User.Gender.values)
REFERENCES: frozenset[str] = frozenset({"cost_centre", "travel_policy", "invoice_profiles", "manager"})
# Identity values other people's pending manager references may name.
IDENTITY_FIELDS: tuple[str, ...] = ("username", "external_id", "employee_number")

# The person fields the identity provider writes (the SCIM attribute map's writable,
# IdP-owned entries, ``scim.mapping``; tests/scim/test_attribute_map.py checks that the
# two agree). On a SCIM-managed person nobody else changes them: the next provisioning
# cycle would undo it.
IDP_OWNED_FIELDS: tuple[str, ...] = (
    "external_id",
    "username",
    "family_name",
    "given_name",
    "middle_name",
    "honorific_prefix",
    "display_name",
    "title",
    "preferred_language",
    "locale",
    "is_active",
    "work_email",
    "work_email_primary",
    "work_phone",
    "work_phone_primary",
    "employee_number",
    "department",
    "cost_centre",
    "manager",
    "gender",
    "date_of_birth",
    "invoice_profiles",
    "emergency_contact_name",
    "emergency_contact_phone",
    "travel_policy",
)

# What an admin may edit on a person the portal owns. userName and externalId are the
# person's identity towards sign-in and the identity provider, so they are never edited.
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

    ``fields`` holds ``User`` field values, checked against the model field (type and
    length). The references are names or identifiers resolved here: ``cost_centre`` (a
    name, created when unknown), ``travel_policy`` (a name that must exist),
    ``invoice_profiles`` (names that must exist) and ``manager`` (a user id, userName or
    externalId or employee number). ``""``/``None``/``[]`` clear. Only the keys present in ``fields`` and the
    references listed in ``present`` change.
    """

    fields: dict[str, object] = field(default_factory=dict)
    cost_centre: str = ""
    travel_policy: str = ""
    invoice_profiles: list[str] = field(default_factory=list)
    manager: str = ""
    present: set[str] = field(default_factory=lambda: set(REFERENCES))


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


def lock_person(user: User) -> User:
    """The person's current row, locked until the transaction ends, with the relations a
    write compares against. Concurrent writers of one person queue here, and each then
    changes the row as the previous one left it.

    The lock is taken first, on the row alone, and the row read afterwards: a locking
    read that joins the relations would, once it got the lock, show the new row beside
    the relations as they were before the wait (PostgreSQL re-checks only the locked row
    under READ COMMITTED)."""
    list(User.objects.select_for_update().filter(pk=user.pk).order_by().values_list("pk", flat=True))
    return (
        User.objects.select_related("company", "manager", "cost_centre", "travel_policy")
        .prefetch_related("invoice_profiles")
        .get(pk=user.pk)
    )


@transaction.atomic
def create_person(*, company: Company, data: PersonData) -> User:
    """Create a provisioned person of ``company`` and resolve pending manager references
    that named them. Raises ``PersonError`` (nothing written) on a refused value."""
    user = User(company=company, scim_managed=True)
    user.set_unusable_password()
    _apply(user=user, data=data, creating=True)
    return user


@transaction.atomic
def replace_person(*, user: User, data: PersonData) -> User:
    """Replace everything provisioned about ``user`` (SCIM PUT): ``data`` holds every
    attribute, empty where the request left it out, and every reference is set."""
    fresh = lock_person(user)
    _apply(user=fresh, data=PersonData(**{**data.__dict__, "present": set(REFERENCES)}), creating=False)
    return fresh


@transaction.atomic
def edit_person(*, user: User, edit: Callable[[User], PersonData]) -> User:
    """Change a person by what ``edit`` computes from their current, locked row (a SCIM
    PATCH is applied to the person as they are now, not as a request read them)."""
    fresh = lock_person(user)
    _apply(user=fresh, data=edit(fresh), creating=False)
    return fresh


def update_person(*, user: User, data: PersonData) -> User:
    """Change only what ``data`` carries."""
    return edit_person(user=user, edit=lambda fresh: data)


def deactivate_person(*, user: User) -> User:
    """Keep every piece of the person's data but stop them signing in or travelling."""
    return update_person(user=user, data=PersonData(fields={"is_active": False}, present=set()))


def reactivate_person(*, user: User) -> User:
    return update_person(user=user, data=PersonData(fields={"is_active": True}, present=set()))


@transaction.atomic
def save_person_changes(*, user: User, changes: dict[str, object]) -> list[str]:
    """Write model values an editor chose (Company Settings, Django admin) to the
    person's current, locked row: only those that differ from it, and only those columns.
    Many-to-many fields take a list of rows. Returns the fields that changed."""
    fresh = lock_person(user)
    changed: list[str] = []
    many: dict[str, list] = {}
    for name, value in changes.items():
        model_field = User._meta.get_field(name)
        if model_field.many_to_many:
            many[name] = list(value or [])
        elif getattr(fresh, model_field.attname if model_field.is_relation else name) != (
            _pk(value) if model_field.is_relation else value
        ):
            setattr(fresh, name, value)
            changed.append(name)
    if changed:
        fresh.save(update_fields=[*changed, "updated_at"])
    for name, rows in many.items():
        related = getattr(fresh, name)
        if set(related.values_list("pk", flat=True)) != {row.pk for row in rows}:
            related.set(rows)
            changed.append(name)
    report_person_changes(company_id=fresh.company_id, changes={fresh.pk: changed})
    return changed


def editable_fields_for(person: User) -> tuple[str, ...]:
    """The fields an editor (Company Settings, the REST API) may change on ``person``."""
    if person.scim_managed:
        return tuple(f for f in LOCALLY_EDITABLE_FIELDS if f not in IDP_OWNED_FIELDS)
    return LOCALLY_EDITABLE_FIELDS


def set_person_fields(*, person: User, changes: dict[str, object]) -> list[str]:
    """Apply an editor's changes to a person; returns the names of the fields that changed.

    Only fields in ``editable_fields_for(person)`` may change (what the identity provider
    owns on a SCIM-managed person never does). ``changes`` holds only what the editor
    changed, and only that is written, to the person's current row under its lock
    (``save_person_changes``), so a provisioning write racing the edit keeps its own
    change; the report that follows decides whether approval chains are rebuilt."""
    allowed = set(editable_fields_for(person))
    refused = set(changes) - allowed
    if refused:
        raise ValueError(f"These fields can't be edited here: {', '.join(sorted(refused))}")
    return save_person_changes(user=person, changes=changes)


@transaction.atomic
def replace_cost_centre_members(*, centre: CostCentre, people: list[User]) -> list[User]:
    """Make ``people`` (of the centre's company) exactly the centre's members: the others
    leave it (no cost centre), the new ones join it. Refused whole, naming them, when a
    person's cost centre is owned by the identity provider (SCIM-managed: the next
    provisioning cycle would undo it) or the centre is archived and would gain members.
    Each person's row is written under its lock (``set_person_fields``). The centre's
    ``updated_at`` moves when its members change, so cursor syncs see it. Returns the
    people whose cost centre changed."""
    # The centre's row under its lock first: two replacements of its members queue (each
    # sees the members the other left), and an archive waits for the members to settle.
    fresh = CostCentre.objects.select_for_update().get(pk=centre.pk)
    centre.archived_at = fresh.archived_at
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
        set_person_fields(person=person, changes={"cost_centre": centre})
    for person in leaving:
        set_person_fields(person=person, changes={"cost_centre": None})
    if joining or leaving:
        centre.save(update_fields=["updated_at"])
        report_catalogue_changes(company_id=centre.company_id, model=CostCentre, changed=[centre.pk])
    return [*joining, *leaving]


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


def _pk(value):
    return value.pk if isinstance(value, models.Model) else value


@transaction.atomic
def delete_person(*, user: User) -> None:
    """Soft-delete (SCIM DELETE): the person disappears from SCIM and sign-in, their
    userName and externalId are free again, trips and approval history stay readable.
    Their direct reports lose them as manager (a deleted person approves nothing)."""
    fresh = lock_person(user)
    if fresh.deleted_at is not None:
        return
    now = timezone.now()
    fresh.deleted_at = now
    fresh.save(update_fields=["deleted_at", "updated_at"])
    company = fresh.company
    reports = list(User.objects.for_company(company).filter(manager=fresh).values_list("pk", flat=True))
    if reports:
        User.objects.filter(pk__in=reports).update(manager=None, updated_at=now)
    # A deleted person leaves every group (a deactivated one stays, so reactivation
    # restores their memberships).
    left_groups = GroupMembership.objects.filter(user=fresh).delete()[0] > 0
    report_person_changes(
        company_id=company.pk,
        changes={
            fresh.pk: ["deleted_at", *(["groups"] if left_groups else [])],
            **dict.fromkeys(reports, ("manager",)),
        },
    )
    user.deleted_at = now


def _apply(*, user: User, data: PersonData, creating: bool) -> None:
    """Validate ``data`` against ``user`` (a new row, or the current locked one), then
    write what differs from it."""
    company = user.company
    values = _clean_fields(data.fields)
    username = values.get("username", user.username)
    if not username:
        raise PersonError("userName is required.", attribute="userName")
    identity = {name: values.get(name, getattr(user, name)) for name in IDENTITY_FIELDS}
    _check_unique(user=user, company=company, identity=identity)
    present = set(data.present)
    # A pending manager reference is matched against the stored identity too, so the
    # shortcut for an unchanged manager needs the identity unchanged as well.
    identity_changed = any(identity[name] != getattr(user, name) for name in IDENTITY_FIELDS)
    resolved = _resolve_references(
        user=user,
        company=company,
        data=data,
        identity=identity,
        present=present | {"manager"} if identity_changed else present,
    )

    changed = [name for name, value in values.items() if creating or getattr(user, name) != value]
    for name in changed:
        setattr(user, name, values[name])
    if "cost_centre" in present:
        if resolved.cost_centre_name:
            resolved.cost_centre = cost_centre_named(company=company, name=resolved.cost_centre_name)
        _set_relation(user, "cost_centre", resolved.cost_centre, changed)
    if "travel_policy" in present:
        _set_relation(user, "travel_policy", resolved.travel_policy, changed)
    if "manager" in present:
        _set_relation(user, "manager", resolved.manager, changed)
        if user.pending_manager_ref != resolved.pending_manager_ref:
            user.pending_manager_ref = resolved.pending_manager_ref
            changed.append("pending_manager_ref")
    if not user.scim_managed:
        user.scim_managed = True
        changed.append("scim_managed")
    try:
        # No savepoint of its own: every caller runs this in the write's atomic block, which
        # a PersonError rolls back whole, so a savepoint would only add two round trips.
        if creating:
            user.save()
        elif changed:
            user.save(update_fields=[*dict.fromkeys(changed), "updated_at"])
    except IntegrityError as exc:
        # A concurrent request took a unique value between check and save.
        raise PersonError(f"userName {username!r} or externalId is already taken.", code="conflict") from exc
    if creating:
        # A new person is in no group; the SCIM answer reads this instead of the database.
        _remember_related(user, "scim_groups", [])
    if "invoice_profiles" in present:
        wanted = resolved.invoice_profiles
        if creating:
            # A new person has no profiles yet: set() would first read the (empty) links.
            user.invoice_profiles.add(*wanted)
            _remember_related(user, "invoice_profiles", wanted)
        elif {p.pk for p in user.invoice_profiles.all()} != {p.pk for p in wanted}:
            user.invoice_profiles.set(wanted)
            changed.append("invoice_profiles")

    waiting = _resolve_pending_references_to(user=user) if creating or identity_changed else []
    report_person_changes(
        company_id=company.pk, changes={user.pk: None if creating else changed, **dict.fromkeys(waiting, ("manager",))}
    )


def _remember_related(user: User, relation: str, rows: list) -> None:
    """Hold ``rows`` as ``user``'s many-to-many ``relation``, as prefetch_related would, for
    rows this write has just stored: reading them back would cost a query per relation.
    (Django has no public API for filling the prefetch cache; this is what it does.)"""
    related = getattr(user, relation).all()
    related._result_cache = list(rows)
    related._prefetch_done = True
    if not hasattr(user, "_prefetched_objects_cache"):
        user._prefetched_objects_cache = {}
    user._prefetched_objects_cache[getattr(user, relation).prefetch_cache_name] = related


def _set_relation(user: User, name: str, value, changed: list[str]) -> None:
    if getattr(user, f"{name}_id") != (value.pk if value is not None else None):
        setattr(user, name, value)
        changed.append(name)


def _clean_fields(fields: dict[str, object]) -> dict[str, object]:
    """Each value checked against its model field: text of at most its length, booleans,
    dates; a field that is no provisioned attribute is a programming error."""
    values: dict[str, object] = {}
    for name, value in fields.items():
        try:
            model_field = User._meta.get_field(name)
        except Exception as exc:
            raise ValueError(f"{name} is not a field of a person") from exc
        if name == "gender":
            values[name] = parse_gender(value or "")
        elif isinstance(model_field, models.DateField):
            values[name] = value if isinstance(value, date) or value is None else parse_date_of_birth(value)
        elif isinstance(model_field, models.BooleanField):
            if value is None and model_field.null:
                values[name] = None
            elif not isinstance(value, bool):
                raise PersonError(f"{name} must be true or false.", attribute=name)
            else:
                values[name] = value
        elif isinstance(model_field, models.CharField):
            text = "" if value is None else value
            if not isinstance(text, str):
                raise PersonError(f"{name} must be a string.", attribute=name)
            if len(text) > model_field.max_length:
                raise PersonError(f"{name} is longer than {model_field.max_length} characters.", attribute=name)
            values[name] = text
        else:
            raise ValueError(f"{name} is not a provisioned attribute")
    return values


# Unique among a company's live people when set, as the database's constraints say; the
# label is the attribute's name in the detail.
COMPANY_UNIQUE_FIELDS: dict[str, str] = {"external_id": "externalId", "employee_number": "employeeNumber"}


def _check_unique(*, user: User, company: Company, identity: dict[str, str]) -> None:
    """Refuse (409) a userName taken on the platform or an externalId or employeeNumber
    taken in the company, by a live person other than ``user``; one read for all three."""
    # A live person keeping the value they have cannot clash: the database's unique
    # constraints (user_username_unique_ci, user_external_id_unique_per_company...) already
    # hold for it, so those values are not looked up (most PATCHes change none of them).
    kept = not user._state.adding and user.deleted_at is None
    username = identity["username"]
    clashes = Q()
    # userName is unique across the platform (it is how people sign in), case-insensitively.
    if not (kept and username == user.username):
        clashes |= Q(username_lower=username.lower())
    checked = {}
    for name in COMPANY_UNIQUE_FIELDS:
        value = identity.get(name, getattr(user, name))
        if value and not (kept and value == getattr(user, name)):
            checked[name] = value
            clashes |= Q(company=company, **{name: value})
    if not clashes:
        return
    taken = list(
        User.objects.live()
        .exclude(pk=user.pk)
        .annotate(username_lower=Lower("username"))
        .filter(clashes)
        .order_by()
        .values("username_lower", "company_id", *COMPANY_UNIQUE_FIELDS)[:4]
    )
    if any(row["username_lower"] == username.lower() for row in taken):
        raise PersonError(f"userName {username!r} is already taken.", code="conflict", attribute="userName")
    for name, value in checked.items():
        if any(row["company_id"] == company.pk and row[name] == value for row in taken):
            label = COMPANY_UNIQUE_FIELDS[name]
            raise PersonError(f"{label} {value!r} is already used in this company.", code="conflict", attribute=label)


def _resolve_references(
    *, user: User, company: Company, data: PersonData, identity: dict[str, str], present: set[str]
) -> _Resolved:
    """Look up the references ``data`` names. Those in ``present`` are read afresh (they
    are to be written); the others (a PATCH's unchanged ones) are still checked, but from
    the person's loaded related rows when those show the check passes, saving a read each."""
    resolved = _Resolved()
    if data.cost_centre:
        limit = CostCentre._meta.get_field("name").max_length
        if len(data.cost_centre) > limit:
            raise PersonError(f"costCenter is longer than {limit} characters.", attribute="costCenter")
        # Found or created by name when written (``_apply``), after every check passed.
        resolved.cost_centre_name = data.cost_centre
    if data.travel_policy:
        kept = _loaded(user, "travel_policy")
        if "travel_policy" in present or not _is_live_entry(kept, company=company, name=data.travel_policy):
            # Names are unique per company.
            kept = only_match(TravelPolicy.objects.for_company(company).live().filter(name=data.travel_policy))
        resolved.travel_policy = kept
        if resolved.travel_policy is None:
            raise PersonError(f"travelPolicy {data.travel_policy!r} does not exist.", attribute="travelPolicy")
    if data.invoice_profiles:
        names = list(dict.fromkeys(data.invoice_profiles))
        found = {}
        if "invoice_profiles" not in present and not user._state.adding:
            # Loaded with the locked row (lock_person prefetches them).
            found = {p.name: p for p in user.invoice_profiles.all() if _is_live_entry(p, company=company, name=p.name)}
        if set(names) - found.keys():
            found = {p.name: p for p in InvoiceProfile.objects.for_company(company).live().filter(name__in=names)}
        for name in names:
            if name not in found:
                raise PersonError(f"invoiceProfiles {name!r} does not exist.", attribute="invoiceProfiles")
        resolved.invoice_profiles = [found[n] for n in names]
    if data.manager:
        resolved.manager, resolved.pending_manager_ref = _resolve_manager(
            user=user, company=company, ref=data.manager, identity=identity, unchanged="manager" not in present
        )
    return resolved


def _loaded(user: User, relation: str):
    """The related row already loaded on ``user`` (select_related), else None: no read."""
    field = User._meta.get_field(relation)
    return field.get_cached_value(user, default=None) if field.is_cached(user) else None


def _is_live_entry(entry, *, company: Company, name: str) -> bool:
    return entry is not None and entry.company_id == company.pk and entry.name == name and entry.archived_at is None


def _names_self(ref: str, identity: dict[str, str]) -> bool:
    return ref.lower() == identity["username"].lower() or any(
        ref == value for name, value in identity.items() if name != "username" and value
    )


def _resolve_manager(
    *, user: User, company: Company, ref: str, identity: dict[str, str], unchanged: bool = False
) -> tuple[User | None, str]:
    """A manager is named by id, or by the userName (any case) or another identity value
    (``IDENTITY_FIELDS``) of a live person of the company.

    An id that matches nobody is refused (ids are assigned by the portal, so it can never
    resolve later); another reference that matches nobody yet is kept pending.
    ``unchanged``: the result is not written (a PATCH left the manager alone), so only
    what can refuse the request is checked."""
    if _names_self(ref, identity):
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
            manager = only_match(people.filter(pk=as_id))
        if manager is None:
            raise PersonError(f"manager {ref!r} is not a user of this company.", attribute="manager")
        return manager, ""
    if unchanged:
        # A pending reference refuses nothing beyond the self-reference checked above (a
        # match on this person would equal their own identity), and what it resolves to
        # is not written.
        return None, ref
    manager = people.with_username(ref).first()
    for name in IDENTITY_FIELDS[1:]:
        if manager is None:
            manager = people.filter(**{name: ref}).first()
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
    # A reference names the person by userName in any case, or by another identity value
    # exactly. The candidates are found case-insensitively through the partial index
    # user_pending_manager_ref_idx (a company of 100,000 people has few pending references)
    # and the exact rule is applied to those few here.
    exact = {getattr(user, name) for name in IDENTITY_FIELDS[1:] if getattr(user, name)}
    keys = {user.username.upper(), *(value.upper() for value in exact)}
    candidates = (
        User.objects.for_company(user.company)
        .exclude(pending_manager_ref="")
        .annotate(ref_upper=Upper("pending_manager_ref"))
        .filter(ref_upper__in=keys)
        .exclude(pk=user.pk)
        .order_by()
        .values_list("pk", "pending_manager_ref")
    )
    waiting = [pk for pk, ref in candidates if ref.upper() == user.username.upper() or ref in exact]
    if waiting:
        User.objects.filter(pk__in=waiting).update(manager=user, pending_manager_ref="", updated_at=timezone.now())
    return waiting


__all__ = [
    "PersonData",
    "PersonError",
    "create_person",
    "deactivate_person",
    "delete_person",
    "edit_person",
    "lock_person",
    "reactivate_person",
    "replace_person",
    "save_person_changes",
    "update_person",
]
