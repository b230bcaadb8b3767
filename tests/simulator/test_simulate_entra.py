"""The Entra simulator (``simulate_entra``, the benchmark's load generator) against a live
portal: what it sends is provisioned, read back field by field, and a failure is loud."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from approvals.models import ApprovalProcess
from travelportal.companies.models import InvoiceProfile, TravelPolicy, User
from travelportal.provisioning.models import ProvisioningLogEntry
from travelportal.simulator.entra_cycle import ENTERPRISE, TRAVELPERK, Population


def test_the_population_is_a_tree_of_five_to_eight_reports_per_manager():
    people = Population(200)
    reports: dict[int, int] = {}
    for n in range(1, 200):
        manager = people.manager_of(n)
        assert manager is not None and manager < n
        reports[manager] = reports.get(manager, 0) + 1

    assert people.manager_of(0) is None
    assert all(5 <= count <= 8 for manager, count in reports.items() if manager < max(reports))


def test_a_user_carries_every_attribute_of_the_tutorials_mapping():
    document = Population(3, travel_policy="Standard", invoice_profile="Acme Ltd").document(2)

    assert {"userName", "externalId", "active", "name", "title", "phoneNumbers", "emails", "locale"} <= set(document)
    assert set(document["name"]) == {"honorificPrefix", "givenName", "middleName", "familyName"}
    assert set(document[ENTERPRISE]) == {"costCenter", "department"}
    assert document[TRAVELPERK]["travelPolicy"] == "Standard"
    assert document[TRAVELPERK]["invoiceProfiles"] == [{"value": "Acme Ltd"}]
    assert "travelPolicy" not in Population(3, travel_policy="").document(2)[TRAVELPERK]


@pytest.mark.django_db(transaction=True)
def test_a_cycle_against_a_live_portal_provisions_everyone_with_their_manager(live_server, company, scim_token):
    TravelPolicy.objects.create(company=company, name="Standard")
    InvoiceProfile.objects.create(company=company, name="Acme Ltd")
    company.approvals_through_idp = company.auto_approval_processes = True
    company.approval_chain_depth = 2
    company.save()
    out = io.StringIO()
    base = f"{live_server.url}/scim/v2"
    # The test database on SQLite is in memory with a shared cache, whose table locks do not
    # wait (a file database, as `make run` uses, does: travelportal.settings); PostgreSQL
    # takes the job's concurrency.
    concurrency = "4" if connection.vendor == "postgresql" else "1"
    options = ["--users", "30", "--travel-policy", "Standard", "--invoice-profile", "Acme Ltd"]
    options += ["--concurrency", concurrency]

    call_command("simulate_entra", base, scim_token, *options, stdout=out)

    people = User.objects.for_company(company).filter(username__startswith="entra.user")
    assert people.count() == 30
    assert people.filter(manager__isnull=False).count() == 29
    assert people.filter(travel_policy__name="Standard", title="Engineer").count() == 29
    assert ProvisioningLogEntry.objects.for_company(company).filter(operation="create", status=201).count() == 30
    # The chief executive's seven direct reports are one automatic process's requesters.
    chief = people.get(manager__isnull=True)
    assert ApprovalProcess.objects.get(kind="automatic", owner=chief).requesters.count() == 5
    assert "30 users" in out.getvalue() and "read back" in out.getvalue()

    call_command("simulate_entra", base, scim_token, *options, "--incremental", stdout=out)

    assert people.filter(is_active=False).count() == 1  # 5% of 30
    assert people.filter(title__startswith="Senior Engineer").count() == 6  # 20% of 30


@pytest.mark.django_db(transaction=True)
def test_a_refused_token_fails_the_command_saying_why(live_server, company):
    with pytest.raises(CommandError, match="requests failed"):
        call_command(
            "simulate_entra", f"{live_server.url}/scim/v2", "tps_not-a-token", "--users", "2", stdout=io.StringIO(),
            stderr=io.StringIO(),
        )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_an_incremental_cycle_naming_no_policy_keeps_the_one_people_have(live_server, company, scim_token):
    TravelPolicy.objects.create(company=company, name="Standard")
    base = f"{live_server.url}/scim/v2"
    one = "4" if connection.vendor == "postgresql" else "1"
    call_command("simulate_entra", base, scim_token, "--users", "10", "--travel-policy", "Standard",
                 "--concurrency", one, stdout=io.StringIO())  # fmt: skip

    call_command("simulate_entra", base, scim_token, "--users", "10", "--incremental", "--concurrency", one,
                 stdout=io.StringIO())  # fmt: skip

    assert User.objects.for_company(company).filter(travel_policy__name="Standard").count() == 10


@pytest.mark.django_db(transaction=True)
def test_a_second_incremental_cycle_does_not_trip_over_the_people_it_deleted(live_server, company, scim_token):
    base = f"{live_server.url}/scim/v2"
    one = "4" if connection.vendor == "postgresql" else "1"
    options = ["--users", "100", "--concurrency", one]
    call_command("simulate_entra", base, scim_token, *options, stdout=io.StringIO())
    call_command("simulate_entra", base, scim_token, *options, "--incremental", stdout=io.StringIO())

    call_command("simulate_entra", base, scim_token, *options, "--incremental", stdout=io.StringIO())

    assert User.objects.for_company(company).filter(username__startswith="entra.user").count() == 99  # 1% gone
