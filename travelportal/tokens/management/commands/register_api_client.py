"""Register an OAuth client of a company and print its client id and secret."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from travelportal.audit.commands import AuditedCommand
from travelportal.companies.models import Company
from travelportal.tokens.applications import GRANT_TYPES, register_company_application
from travelportal.tokens.scopes import API_SCOPES


class Command(AuditedCommand):
    help = (
        "Register an OAuth client of the company with this slug; prints the client id and the client secret "
        "(shown once), one per line."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The company's slug.")
        parser.add_argument("--name", required=True, help="The integration's name, shown on the consent page.")
        parser.add_argument("--grant", choices=GRANT_TYPES, default="client-credentials")
        parser.add_argument("--scopes", default=",".join(API_SCOPES), help="Comma-separated scopes. Default: all API.")
        parser.add_argument("--redirect-uri", action="append", default=[], help="https redirect URI (repeatable).")

    def handle(self, *args, slug, name, grant, scopes, redirect_uri, **options):
        company = Company.objects.filter(slug=slug).first()
        if company is None:
            raise CommandError(f"No company has the slug {slug!r}.")
        try:
            client = register_company_application(
                company=company, name=name, grant=grant, scopes=scopes.split(","), redirect_uris=redirect_uri
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(client.client_id)
        self.stdout.write(client.client_secret)
