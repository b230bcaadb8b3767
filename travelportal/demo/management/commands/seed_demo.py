from __future__ import annotations

from django.test.utils import override_settings

from travelportal.audit.commands import AuditedCommand
from travelportal.demo.seed import seed_demo_company


class Command(AuditedCommand):
    help = (
        "Create the demo company: its admin login, a small catalogue, and 40 people and their groups "
        "provisioned over SCIM, automatic approvals and trips. Safe to run again."
    )

    def handle(self, *args, **options):
        # The demo's people are made up; the trip emails their approvals send go nowhere.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            seed = seed_demo_company()
        company = seed.company.company
        population = seed.population
        verb = "Created" if seed.company.created else "Refreshed"
        self.stdout.write(f"{verb} demo company {company.slug} ({company.name}); SCIM API enabled.")
        self.stdout.write(f"Admin login: {seed.admin.user.username} / {seed.password}")
        for login, password in population.logins.items():
            self.stdout.write(f"Demo login: {login} / {password}")
        catalogue = ", ".join(f"{section}: {counts}" for section, counts in seed.catalogue.sections.items())
        self.stdout.write(f"Catalogue: {catalogue}")
        self.stdout.write(
            f"Provisioned over SCIM: {population.people_created} people and {population.groups_created} groups "
            f"created, {population.refused_requests} request refused; {population.trips_created} trips filed."
        )
