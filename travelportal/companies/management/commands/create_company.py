from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from travelportal.audit.commands import AuditedCommand
from travelportal.companies.management import describe
from travelportal.companies.services import create_company


class Command(AuditedCommand):
    help = (
        "Create a company (its SCIM API off unless --enable-scim). Running it again with the same "
        "arguments changes nothing; --enable-scim also switches SCIM on for an existing company."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the company's short name in URLs, e.g. acme")
        parser.add_argument("--name", required=True, help="the company's display name")
        parser.add_argument("--enable-scim", action="store_true", help="switch the company's SCIM API on")

    def handle(self, *args, slug: str, name: str, enable_scim: bool, **options):
        try:
            result = create_company(slug=slug, name=name, enable_scim=enable_scim)
        except ValidationError as exc:
            raise CommandError(describe(exc)) from None
        company = result.company
        scim = "on" if company.scim_enabled else "off"
        if result.created:
            self.stdout.write(f"Created company {company.slug} ({company.name}); SCIM API {scim}.")
        elif result.changed_fields:
            self.stdout.write(f"Updated company {company.slug} ({', '.join(result.changed_fields)}); SCIM API {scim}.")
        else:
            self.stdout.write(f"Company {company.slug} already exists; nothing changed. SCIM API {scim}.")
