from __future__ import annotations

from travelportal.audit.commands import AuditedCommand
from travelportal.companies.services import seed_demo_company


class Command(AuditedCommand):
    help = "Create the demo company, its admin login and a small catalogue. Safe to run again."

    def handle(self, *args, **options):
        seed = seed_demo_company()
        company = seed.company.company
        verb = "Created" if seed.company.created else "Refreshed"
        self.stdout.write(f"{verb} demo company {company.slug} ({company.name}); SCIM API enabled.")
        self.stdout.write(f"Admin login: {seed.admin.user.username} / {seed.password}")
        catalogue = ", ".join(f"{section}: {counts}" for section, counts in seed.catalogue.sections.items())
        self.stdout.write(f"Catalogue: {catalogue}")
