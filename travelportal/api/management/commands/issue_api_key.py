"""Issue an API key for a company and print only the key."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from travelportal.audit.commands import AuditedCommand
from travelportal.companies.models import Company
from travelportal.tokens.models import Credential
from travelportal.tokens.services import issue_credential


class Command(AuditedCommand):
    help = "Issue a REST API key for the company with this slug; prints only the key (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The company's slug.")
        parser.add_argument("--name", default="issue_api_key", help="A name to tell the key apart in lists.")
        parser.add_argument(
            "--scopes",
            default=None,
            help="Comma-separated API scopes, for example users:read,trips:read. Default: all.",
        )

    def handle(self, *args, slug, name, scopes, **options):
        company = Company.objects.filter(slug=slug).first()
        if company is None:
            raise CommandError(f"No company has the slug {slug!r}.")
        wanted = None if scopes is None else scopes.split(",")
        try:
            _, raw = issue_credential(company=company, kind=Credential.Kind.API_KEY, name=name, scopes=wanted)
        except ValidationError as exc:
            raise CommandError(" ".join(m for messages in exc.message_dict.values() for m in messages)) from None
        self.stdout.write(raw)
