from __future__ import annotations

import argparse

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from approvals.services.approval_settings import configure_approvals
from travelportal.audit.commands import AuditedCommand
from travelportal.companies.models import Company


class Command(AuditedCommand):
    help = (
        "Set a company's approval settings (Company Settings > SCIM > Approvals): automatic approval "
        "processes from the manager hierarchy, the chain depth and which trips need approval. Settings "
        "left out stay as they are; running it again with the same arguments changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", help="The company's slug.")
        parser.add_argument(
            "--automatic",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="Build approval processes from the manager hierarchy (--no-automatic: stop, keeping them as manual).",
        )
        parser.add_argument("--depth", type=int, choices=(1, 2, 3), help="How many managers up each chain goes.")
        parser.add_argument(
            "--trips",
            choices=Company.TripsRequiringApproval.values,
            help="Which trips of automatic processes need approval.",
        )

    def handle(self, *args, slug: str, automatic: bool | None, depth: int | None, trips: str | None, **options):
        company = Company.objects.filter(slug=slug).first()
        if company is None:
            raise CommandError(f"No company has the slug {slug!r}.")
        try:
            changed = configure_approvals(company=company, automatic=automatic, chain_depth=depth, trips=trips)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        summary = (
            f"automatic processes {'on' if company.approvals_automated else 'off'}, "
            f"chain depth {company.approval_chain_depth}, {company.get_auto_process_trips_display().lower()}"
        )
        if changed:
            self.stdout.write(f"{company.slug}: changed {', '.join(changed)}; now {summary}.")
        else:
            self.stdout.write(f"{company.slug}: nothing changed; {summary}.")
