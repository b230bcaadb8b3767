"""seed_demo builds a living demo company through the SCIM path Entra uses, and running
it again gives the same company."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from approvals.models import ApprovalProcess, Trip
from travelportal.audit.models import AuditEntry
from travelportal.companies.models import Company, CostCentre, Group, User
from travelportal.demo import seed as demo
from travelportal.provisioning.models import ProvisioningLogEntry
from travelportal.tokens.models import Credential

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def state(company: Company) -> dict:
    return {
        "people": sorted(User.objects.for_company(company).values_list("username", "manager__username", "is_active")),
        "groups": sorted(
            (group.display_name, sorted(m.username for m in group.members.all()), group.travel_policy_id)
            for group in Group.objects.for_company(company).prefetch_related("members")
        ),
        "cost_centres": sorted(CostCentre.objects.for_company(company).values_list("name", flat=True)),
        "processes": sorted(ApprovalProcess.objects.for_company(company).values_list("name", "kind")),
        "trips": sorted(Trip.objects.for_company(company).values_list("destination", "status", "current_step")),
        "tokens": Credential.objects.filter(company=company, kind=Credential.Kind.SCIM_TOKEN).count(),
    }


@pytest.fixture
def seeded() -> Company:
    seed()
    return Company.objects.get(slug="demo")


def test_the_people_arrive_through_scim_with_their_provisioning_log_entries(seeded):
    people = User.objects.for_company(seeded).filter(scim_managed=True)

    assert people.count() == 40
    created = ProvisioningLogEntry.objects.for_company(seeded).filter(
        operation="create", resource_type="User", method="POST", status=201
    )
    assert set(created.values_list("user_name", flat=True)) == set(people.values_list("username", flat=True))
    assert set(created.values_list("user_id", flat=True)) == set(people.values_list("pk", flat=True))


def test_the_people_form_three_levels(seeded):
    chief = User.objects.get(username="claire.chief@demo.example")
    heads = User.objects.filter(manager=chief)
    staff = User.objects.filter(manager__in=heads)

    assert chief.manager is None
    assert heads.count() == 4
    assert staff.count() == 34
    assert not User.objects.filter(manager__in=staff).exists()


def test_one_manager_reference_stays_pending(seeded):
    pending = User.objects.for_company(seeded).exclude(pending_manager_ref="")

    assert list(pending.values_list("username", "pending_manager_ref", "manager")) == [
        ("bea.brandt@demo.example", demo.DEPARTED_MANAGER, None)
    ]


def test_a_request_naming_an_unknown_travel_policy_is_refused_in_the_log(seeded):
    refused = ProvisioningLogEntry.objects.for_company(seeded).filter(status__gte=400)

    assert list(refused.values_list("user_name", "status", "scim_type")) == [(demo.REFUSED_USER, 400, "invalidValue")]
    assert demo.UNKNOWN_POLICY in refused.get().detail
    assert not User.objects.filter(username=demo.REFUSED_USER).exists()


def test_departments_are_scim_groups_one_with_a_travel_policy(seeded):
    groups = Group.objects.for_company(seeded).select_related("travel_policy")

    assert sorted(g.display_name for g in groups) == ["Engineering", "Finance", "Operations", "Sales"]
    assert all(g.scim_managed for g in groups)
    assert {g.display_name: g.travel_policy.name for g in groups if g.travel_policy} == {"Sales": "Standard"}
    sales = groups.get(display_name="Sales")
    assert sales.members.count() == 10
    assert ProvisioningLogEntry.objects.for_company(seeded).filter(resource_type="Group", status=201).count() == 4


def test_cost_centres_the_catalogue_lacks_are_created_by_name(seeded):
    names = set(CostCentre.objects.for_company(seeded).values_list("name", flat=True))

    assert {"Finance", "Executive Office"} <= names
    assert User.objects.get(username="fiona.park@demo.example").cost_centre.name == "Finance"


def test_automatic_approvals_run_at_depth_two(seeded):
    assert seeded.approvals_automated
    assert seeded.approval_chain_depth == 2
    tom = User.objects.get(username=demo.DEMO_TRAVELLER[0])
    process = ApprovalProcess.objects.for_company(seeded).automatic().get(requesters=tom)
    steps = [[a.username for a in step.approvers.all()] for step in process.steps.order_by("position")]
    assert steps == [[demo.DEMO_MANAGER[0]], ["claire.chief@demo.example"]]


def test_trips_are_pending_approved_and_declined(seeded):
    statuses = set(Trip.objects.for_company(seeded).values_list("status", flat=True))

    assert statuses == {Trip.Status.PENDING, Trip.Status.APPROVED, Trip.Status.DECLINED}


def test_the_demo_manager_has_a_queue_and_signs_in(seeded, client):
    login, password = demo.DEMO_MANAGER

    assert client.post("/accounts/login/", {"username": login, "password": password}).status_code == 302
    response = client.get("/approvals/queue/")

    assert response.status_code == 200
    manager = User.objects.get(username=login)
    assert Trip.objects.filter(current_approvers=manager).count() == 2
    assert b"Lisbon" in response.content and b"Madrid" in response.content


def test_the_demo_traveller_signs_in_and_sees_their_trips(seeded, client):
    login, password = demo.DEMO_TRAVELLER

    assert client.post("/accounts/login/", {"username": login, "password": password}).status_code == 302
    response = client.get("/trips/")

    assert response.status_code == 200
    assert b"Lisbon" in response.content and b"Paris" in response.content


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/company/integrations/scim", demo.SEED_TOKEN_NAME),
        ("/company/developers/", demo.DEMO_API_KEY_NAME),
        ("/company/people/", "Sofia"),
        ("/company/groups/", "Engineering"),
        ("/company/cost-centres/", "Executive Office"),
        ("/company/invoice-profiles/", "Demo Travel Co GmbH"),
        ("/company/travel-policies/", "Executive"),
        ("/company/approval-processes/", "Sofia"),
        ("/company/provisioning-activity/", demo.REFUSED_USER),
        ("/company/audit/", "manage.py seed_demo"),
    ],
)
def test_every_company_settings_page_has_content(seeded, client, url, expected):
    client.post("/accounts/login/", {"username": "admin@demo.example", "password": "demo-admin-pass"})

    response = client.get(url, follow=True)

    assert response.status_code == 200
    assert expected in response.content.decode()


def test_the_activity_chart_has_bars(seeded, client):
    client.post("/accounts/login/", {"username": "admin@demo.example", "password": "demo-admin-pass"})

    response = client.get("/company/provisioning-activity/")

    assert response.status_code == 200
    totals = {item["key"]: item["total"] for item in response.context["totals"]}
    assert totals["creates"] >= 44
    assert totals["errors"] == 1


def test_a_second_run_gives_the_same_company(seeded):
    before = state(seeded)
    log_before = ProvisioningLogEntry.objects.for_company(seeded).count()

    output = seed()

    assert Company.objects.filter(slug="demo").count() == 1
    assert state(seeded) == before
    assert "0 people and 0 groups created, 0 request refused; 0 trips filed" in output
    # Like an incremental cycle with nothing to change: the two list reads, no write.
    assert ProvisioningLogEntry.objects.for_company(seeded).count() == log_before + 2
    assert (
        not ProvisioningLogEntry.objects.for_company(seeded)
        .filter(status__gte=400)
        .exclude(user_name=demo.REFUSED_USER)
        .exists()
    )


def test_it_prints_the_demo_logins(db):
    lines = seed().splitlines()

    assert "Admin login: admin@demo.example / demo-admin-pass" in lines
    assert f"Demo login: {demo.DEMO_MANAGER[0]} / {demo.DEMO_MANAGER[1]}" in lines
    assert f"Demo login: {demo.DEMO_TRAVELLER[0]} / {demo.DEMO_TRAVELLER[1]}" in lines


def test_its_changes_are_in_the_audit_trail(seeded):
    entries = AuditEntry.objects.for_company(seeded)

    assert entries.filter(source="command", command="seed_demo").count() == entries.count() > 40


@pytest.mark.django_db(databases=[])
def test_the_readme_and_make_run_name_the_demo_logins():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readme, makefile = (root / "README.md").read_text(), (root / "Makefile").read_text()
    for login, password in [("admin@demo.example", "demo-admin-pass"), demo.DEMO_MANAGER, demo.DEMO_TRAVELLER]:
        assert f"`{login}` / `{password}`" in readme
        assert f"{login} / {password}" in makefile
