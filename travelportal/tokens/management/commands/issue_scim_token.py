"""Issue a secret SCIM token for a company and print only the token."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from travelportal.audit.commands import AuditedCommand
from travelportal.companies.models import Company
from travelportal.tokens.models import Credential
from travelportal.tokens.services import issue_credential


class Command(AuditedCommand):
    help = "Issue a SCIM bearer token for the company with this slug; prints only the token (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The company's slug.")
        parser.add_argument("--name", default="issue_scim_token", help="A name to tell the token apart in lists.")

    def handle(self, *args, slug, name, **options):
        company = Company.objects.filter(slug=slug).first()
        if company is None:
            raise CommandError(f"No company has the slug {slug!r}.")
        try:
            _, raw = issue_credential(company=company, kind=Credential.Kind.SCIM_TOKEN, name=name)
        except ValidationError as exc:
            raise CommandError(" ".join(m for messages in exc.message_dict.values() for m in messages)) from None
        self.stdout.write(raw)
