"""A company's catalogue: its cost centres, invoice profiles and travel policies. Every
write of an entry is a function here, which Company Settings, the REST API, Django admin,
the SCIM API (a cost centre named by a person) and the management commands call:
``create_catalogue_entry``, ``update_catalogue_entry``, ``archive_catalogue_entry`` /
``restore_catalogue_entry`` and their bulk form ``archive_catalogue_entries``, and
loading a file when the company joins (``import_catalogue``); a cost centre's members
are a field of each person (``people.replace_cost_centre_members``). Each write ends in
``report_catalogue_changes`` with what it created and changed, bulk writes included, so
webhooks hear of every change.

A catalogue file is a JSON object shaped
``{"cost_centres": [...], "invoice_profiles": [...], "travel_policies": [...]}`` whose
entries each need a ``name`` and may carry any other field of their model. Entries match
existing ones by name, so loading the same file twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from travelportal.companies.models import CatalogueEntry, Company, CostCentre, InvoiceProfile, TravelPolicy
from travelportal.companies.signals import report_catalogue_changes

SECTIONS: dict[str, type[CatalogueEntry]] = {
    "cost_centres": CostCentre,
    "invoice_profiles": InvoiceProfile,
    "travel_policies": TravelPolicy,
}
# Set by the portal, never by a file: the row's identity, its tenant and its timestamps.
NOT_IMPORTABLE = frozenset({"id", "company", "created_at", "updated_at"})
# Never changed by update_catalogue_entry: the row's identity and tenant, its timestamps,
# and archiving, which has functions of its own.
NOT_EDITABLE = frozenset({"id", "company", "created_at", "updated_at", "archived_at"})


class InvalidCatalogue(Exception):
    """The catalogue was refused whole; ``problems`` names each entry and field at fault."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class SectionCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        # The one wording import_catalogue and seed_demo print.
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


@dataclass
class CatalogueImportResult:
    sections: dict[str, SectionCounts] = field(default_factory=lambda: {s: SectionCounts() for s in SECTIONS})


@dataclass
class _Planned:
    entry: CatalogueEntry
    created: bool
    changed_fields: list[str]


def importable_fields(model: type[CatalogueEntry]) -> dict[str, models.Field]:
    """The fields a catalogue file may set on ``model``, by name."""
    return {
        f.name: f
        for f in model._meta.concrete_fields
        if f.editable and not f.auto_created and f.name not in NOT_IMPORTABLE
    }


def import_catalogue(
    *,
    company: Company,
    data: object,
    progress: Callable[[list], Iterable] | None = None,
) -> CatalogueImportResult:
    """Create or update ``company``'s catalogue entries from ``data`` (a parsed file).

    Everything is checked before anything is written: on any problem InvalidCatalogue is
    raised listing every entry and field at fault (``invoice_profiles[1] "Acme Ltd":
    currency: ...``), and the database is untouched. Entries are matched by name within
    the company; an existing entry is updated only in the fields the file gives.
    ``progress`` wraps the checked entries as they are written (a progress bar).
    """
    with transaction.atomic():
        plan = _plan(company=company, data=data)
        result = CatalogueImportResult()
        written: dict[type[CatalogueEntry], tuple[list, list]] = {model: ([], []) for model in SECTIONS.values()}
        for section, planned in progress(plan) if progress is not None else plan:
            counts = result.sections[section]
            created, changed = written[type(planned.entry)]
            if planned.created:
                planned.entry.save()
                counts.created += 1
                created.append(planned.entry.pk)
            elif planned.changed_fields:
                planned.entry.save(update_fields=[*planned.changed_fields, "updated_at"])
                counts.updated += 1
                changed.append(planned.entry.pk)
            else:
                counts.unchanged += 1
        for model, (created, changed) in written.items():
            report_catalogue_changes(company_id=company.pk, model=model, created=created, changed=changed)
        return result


def _plan(*, company: Company, data: object) -> list[tuple[str, _Planned]]:
    if not isinstance(data, dict):
        raise InvalidCatalogue([f"The catalogue must be a JSON object with the keys {', '.join(SECTIONS)}."])
    problems: list[str] = []
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        problems.extend(f"{key}: not a catalogue section (expected {', '.join(SECTIONS)})." for key in unknown)

    plan: list[tuple[str, _Planned]] = []
    for section, model in SECTIONS.items():
        entries = data.get(section, [])
        if not isinstance(entries, list):
            problems.append(f"{section}: must be a list of entries.")
            continue
        existing = {e.name: e for e in model.objects.for_company(company)}
        fields = importable_fields(model)
        seen: dict[str, int] = {}
        for index, raw in enumerate(entries):
            planned, entry_problems = _plan_entry(
                company=company, section=section, index=index, raw=raw, model=model, fields=fields, existing=existing
            )
            if planned is not None:
                name = planned.entry.name
                if name in seen:
                    entry_problems.append(
                        f'{section}[{index}] "{name}": name: also given by {section}[{seen[name]}]; '
                        "names are unique within a company."
                    )
                seen.setdefault(name, index)
            problems.extend(entry_problems)
            if planned is not None and not entry_problems:
                plan.append((section, planned))
    if problems:
        raise InvalidCatalogue(problems)
    return plan


def _plan_entry(
    *,
    company: Company,
    section: str,
    index: int,
    raw: object,
    model: type[CatalogueEntry],
    fields: dict[str, models.Field],
    existing: dict[str, CatalogueEntry],
) -> tuple[_Planned | None, list[str]]:
    where = f"{section}[{index}]"
    if not isinstance(raw, dict):
        return None, [f"{where}: must be an object with at least a name."]
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        return None, [f"{where}: name: required, a non-empty string."]
    name = name.strip()
    where = f'{where} "{name}"'

    problems = []
    values = {}
    for key, value in raw.items():
        if key == "name":
            continue
        if key not in fields:
            allowed = ", ".join(sorted(fields))
            problems.append(f"{where}: {key}: not a field of {model._meta.verbose_name} (allowed: {allowed}).")
        elif isinstance(value, dict | list):
            problems.append(f"{where}: {key}: must be a single value, not {type(value).__name__}.")
        else:
            values[key] = value
    if problems:
        return None, problems

    entry = existing.get(name)
    created = entry is None
    if created:
        entry = model(company=company, name=name)
    before = {key: getattr(entry, key) for key in values}
    for key, value in values.items():
        setattr(entry, key, value)
    try:
        # Converts each value to its Python type in place and checks choices,
        # validators and the model's constraints (names unique per company).
        entry.full_clean()
    except ValidationError as exc:
        return None, [
            f"{where}: {key if key != '__all__' else 'entry'}: {' '.join(messages)}"
            for key, messages in exc.message_dict.items()
        ]
    changed = [key for key in values if getattr(entry, key) != before[key]]
    return _Planned(entry=entry, created=created, changed_fields=changed), []


# --- Writing entries -----------------------------------------------------------------


def duplicate_name_error(model: type[CatalogueEntry]) -> ValidationError:
    """The one refusal of a name the company already gives another entry of ``model``."""
    return ValidationError({"name": f"There is already a {model._meta.verbose_name} with this name."})


def name_taken(
    *, model: type[CatalogueEntry], company: Company, name: str, excluding: object = None, ignore_case: bool = False
) -> bool:
    """Whether another entry of ``model`` of ``company`` has this name (``excluding`` the
    entry being edited, by pk), so forms can show the clash next to the name before the
    unique constraint refuses it. ``ignore_case`` also counts "sales" against "Sales"."""
    clash = model.objects.for_company(company).filter(**{"name__iexact" if ignore_case else "name": name})
    if excluding is not None:
        clash = clash.exclude(pk=excluding)
    return clash.exists()


def _save_entry(entry: CatalogueEntry, *, fields: list[str] | None = None) -> None:
    try:
        # A savepoint: the constraint catches two writers saving one name at once, which
        # no check before the write can, and the caller's transaction goes on.
        with transaction.atomic():
            entry.save(update_fields=fields)
    except IntegrityError:
        raise duplicate_name_error(type(entry)) from None


@transaction.atomic
def create_catalogue_entry(
    *, company: Company, model: type[CatalogueEntry], values: Mapping[str, object], archived: bool = False
) -> CatalogueEntry:
    """A new cost centre, invoice profile or travel policy (``model``) of ``company``.

    ``values`` are the entry's fields by name, already converted by the caller's form or
    serializer; a name the company already uses for that kind is refused with
    ValidationError. ``archived`` creates it archived (the API's ``archive`` flag)."""
    refused = set(values) & NOT_EDITABLE
    if refused:
        raise ValueError(f"These fields are set by the portal: {', '.join(sorted(refused))}")
    # Stored as given: forms and serializers trim what people type, and a cost centre
    # SCIM names is kept exactly as Entra sends it, so its read-back compares equal.
    entry = model(company=company, **values)
    if archived:
        entry.archived_at = timezone.now()
    _save_entry(entry)
    report_catalogue_changes(company_id=company.pk, model=model, created=[entry.pk])
    return entry


@transaction.atomic
def update_catalogue_entry(
    *, entry: CatalogueEntry, changes: Mapping[str, object], archived: bool | None = None
) -> list[str]:
    """Write the values an editor chose to the entry's current row, read under its lock:
    only those that differ from it, and only those columns, so two admins editing
    different fields of one policy both keep their change. ``archived`` True or False
    archives or restores it in the same write (the API's ``archive`` flag); None leaves
    it as it is. One write, one report. Returns the fields that changed; ``entry`` is
    brought up to date with them."""
    refused = set(changes) & NOT_EDITABLE
    if refused:
        raise ValueError(f"These fields can't be edited: {', '.join(sorted(refused))}")
    model = type(entry)
    fresh = model.objects.select_for_update().get(pk=entry.pk)
    changed = [name for name, value in changes.items() if getattr(fresh, name) != value]
    for name in changed:
        setattr(fresh, name, changes[name])
    if archived is not None and fresh.is_archived != archived:
        fresh.archived_at = timezone.now() if archived else None
        changed.append("archived_at")
    if changed:
        _save_entry(fresh, fields=[*changed, "updated_at"])
        report_catalogue_changes(company_id=fresh.company_id, model=model, changed=[fresh.pk])
    for name in [*changed, "updated_at"]:
        setattr(entry, name, getattr(fresh, name))
    return changed


def archive_catalogue_entry(*, entry: CatalogueEntry) -> bool:
    """Archive a cost centre, invoice profile or travel policy; returns whether it changed.

    Archived entries stay linked to the people who have them (history stays readable) but
    are no longer offered in choices."""
    return bool(update_catalogue_entry(entry=entry, changes={}, archived=True))


def restore_catalogue_entry(*, entry: CatalogueEntry) -> bool:
    """Bring an archived catalogue entry back into use; returns whether it changed."""
    return bool(update_catalogue_entry(entry=entry, changes={}, archived=False))


@transaction.atomic
def archive_catalogue_entries(
    *, company: Company, model: type[CatalogueEntry], ids: Iterable[int], archive: bool
) -> int:
    """Archive (or restore) the company's entries of ``model`` with these ids in one
    UPDATE; returns how many changed, each of which is reported. Ids of other companies,
    unknown ids and entries already in that state are left alone and not counted."""
    entries = model.objects.for_company(company).filter(pk__in=list(ids), archived_at__isnull=archive)
    # Locked while listed, so a concurrent bulk write of the same entries waits and then
    # finds them already changed, instead of both reporting them.
    changing = list(entries.select_for_update().order_by("pk").values_list("pk", flat=True))
    if not changing:
        return 0
    now = timezone.now()
    model.objects.filter(pk__in=changing).update(archived_at=now if archive else None, updated_at=now)
    report_catalogue_changes(company_id=company.pk, model=model, changed=changing)
    return len(changing)


def cost_centre_named(*, company: Company, name: str) -> CostCentre:
    """The company's cost centre of this name, created when there is none: a person
    provisioned with an unknown cost centre gets a new one, as TravelPerk does. One read
    when it exists (no savepoint: the person's write is atomic); a new one is created by
    ``create_catalogue_entry``, as from Company Settings and the API. Of two provisioning
    writes naming the same new centre at once, the second finds the first's."""
    centre = CostCentre.objects.for_company(company).filter(name=name).order_by().first()
    if centre is not None:
        return centre
    try:
        return create_catalogue_entry(company=company, model=CostCentre, values={"name": name})
    except ValidationError:
        return CostCentre.objects.for_company(company).get(name=name)
