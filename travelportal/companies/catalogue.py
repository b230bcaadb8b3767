"""A company's catalogue: its cost centres, invoice profiles and travel policies, and
loading them from a file when the company joins (``import_catalogue``).

A catalogue file is a JSON object shaped
``{"cost_centres": [...], "invoice_profiles": [...], "travel_policies": [...]}`` whose
entries each need a ``name`` and may carry any other field of their model. Entries match
existing ones by name, so loading the same file twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models, transaction

from travelportal.companies.models import CatalogueEntry, Company, CostCentre, InvoiceProfile, TravelPolicy

SECTIONS: dict[str, type[CatalogueEntry]] = {
    "cost_centres": CostCentre,
    "invoice_profiles": InvoiceProfile,
    "travel_policies": TravelPolicy,
}
# Set by the portal, never by a file: the row's identity, its tenant and its timestamps.
NOT_IMPORTABLE = frozenset({"id", "company", "created_at", "updated_at"})


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
        for section, planned in progress(plan) if progress is not None else plan:
            counts = result.sections[section]
            if planned.created:
                planned.entry.save()
                counts.created += 1
            elif planned.changed_fields:
                planned.entry.save(update_fields=[*planned.changed_fields, "updated_at"])
                counts.updated += 1
            else:
                counts.unchanged += 1
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
