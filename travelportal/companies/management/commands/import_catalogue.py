from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from django.core.management.base import CommandError

from travelportal.audit.commands import AuditedCommand
from travelportal.companies.catalogue import InvalidCatalogue, import_catalogue
from travelportal.companies.models import Company
from travelportal.progress import with_progress


class Command(AuditedCommand):
    help = (
        "Load a company's cost centres, invoice profiles and travel policies from a JSON file. "
        "Entries match by name, so loading the same file twice changes nothing; an invalid file "
        "is refused whole and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the company's slug")
        parser.add_argument("file", help='a JSON file: {"cost_centres": [...], "invoice_profiles": [...], ...}')

    def handle(self, *args, slug: str, file: str, **options):
        company = Company.objects.filter(slug=slug).first()
        if company is None:
            raise CommandError(f"No company with the slug {slug!r}.")
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(f"{file} is not valid JSON: {exc}") from None
        try:
            result = import_catalogue(company=company, data=data, progress=self._progress)
        except InvalidCatalogue as exc:
            raise CommandError(f"{file} was refused; nothing was written:\n" + "\n".join(exc.problems)) from None
        for section, counts in result.sections.items():
            self.stdout.write(f"{section}: {counts}")

    def _progress(self, entries: list) -> Iterable:
        return with_progress(entries, command=self, description="Writing entries", total=len(entries), unit="entry")
