from __future__ import annotations

from django.core.management.base import CommandError

from approvals.services.chain_rebuilds import repair_approval_processes
from travelportal.audit.commands import AuditedCommand
from travelportal.companies.models import Company
from travelportal.progress import with_progress, write_line


class Command(AuditedCommand):
    help = "Recompute the automatic approval processes of one company (by slug), or of all with --all."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", nargs="?", help="The company's slug.")
        parser.add_argument("--all", action="store_true", help="Every company.")

    def handle(self, *args, slug: str | None = None, all: bool = False, **options) -> None:
        if bool(slug) == all:
            raise CommandError("Name one company's slug, or pass --all.")
        companies = Company.objects.order_by("slug") if all else Company.objects.filter(slug=slug)
        if not all and not companies.exists():
            raise CommandError(f"No company has the slug {slug!r}.")
        rebuilding = with_progress(
            companies, command=self, description="Rebuilding", total=companies.count(), unit="company"
        )
        for company in rebuilding:
            result = repair_approval_processes(company=company)
            write_line(
                f"{company.slug}: {len(result.created)} created, {len(result.updated)} updated, "
                f"{len(result.deleted)} deleted, {result.trips_reassigned} pending trip(s) moved, "
                f"{result.cycles_reported} cycle(s) reported",
                command=self,
                items=rebuilding,
            )
