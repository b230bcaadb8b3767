"""Issue a secret SCIM token for a company and print only the token."""

from __future__ import annotations

from django.core.management.base import CommandError

from travelportal.audit.commands import AuditedCommand
from travelportal.companies.models import Company
from travelportal.tokens.services import issue_secret_token


class Command(AuditedCommand):
    help = "Issue a SCIM bearer token for the company with this slug; prints only the token (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The company's slug.")
        parser.add_argument("--name", default="issue_scim_token", help="A name to tell the token apart in lists.")

    def handle(self, *args, slug, name, **options):
        company = Company.objects.filter(slug=slug).first()
        if company is None:
            raise CommandError(f"No company has the slug {slug!r}.")
        name = name.strip()
        if not name or len(name) > 100:
            raise CommandError("The token name must be 1 to 100 characters.")
        _, raw = issue_secret_token(company=company, name=name)
        self.stdout.write(raw)
