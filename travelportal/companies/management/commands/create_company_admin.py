from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from travelportal.audit.commands import AuditedCommand
from travelportal.companies.management import describe
from travelportal.companies.models import Company
from travelportal.companies.services import create_company_admin


class Command(AuditedCommand):
    help = (
        "Create a company admin who signs in with EMAIL and PASSWORD. Running it again makes sure "
        "that person is an active admin with that password."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the company's slug")
        parser.add_argument("email", help="the admin's email address, which is also their userName")
        parser.add_argument("--password", required=True, help="the password they sign in with")

    def handle(self, *args, slug: str, email: str, password: str, **options):
        company = Company.objects.filter(slug=slug).first()
        if company is None:
            raise CommandError(f"No company with the slug {slug!r}.")
        try:
            result = create_company_admin(company=company, email=email, password=password)
        except ValidationError as exc:
            raise CommandError(describe(exc)) from None
        user = result.user
        if result.created:
            self.stdout.write(f"Created admin {user.username} of company {company.slug}.")
        elif result.changed_fields:
            self.stdout.write(
                f"Updated admin {user.username} of company {company.slug} ({', '.join(result.changed_fields)})."
            )
        else:
            self.stdout.write(f"{user.username} is already an admin of company {company.slug}; nothing changed.")
