"""The demo company's people, groups and trips, provisioned the way Entra provisions a
real company: SCIM requests with a bearer token of the company, through the portal's own
request stack (middleware, routing, authentication, the SCIM views and the provisioning
log), sent in-process. Nothing here writes a person or a group directly; what SCIM does
not carry is set through the same domain functions Company Settings and the approval
pages call (a group's travel policy, the approval settings, trips and their decisions).

The organisation, stated once in ``DEPARTMENTS``: a chief executive, four department
heads reporting to her and 35 people reporting to the heads (three levels, 40 people).
Each department is a SCIM group; the Sales group carries the Standard travel policy.
Finance and the Executive Office are cost centres the catalogue lacks, so provisioning
creates them by name. One person names a manager who is never provisioned (the
reference stays pending) and one request names a travel policy the company lacks (the
portal refuses it, and the refusal is in the provisioning log).

Running it again sends only what is missing, like an incremental cycle: the people and
groups already there are matched by userName and displayName, trips by traveller,
destination and purpose.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import timezone

from approvals.models import Trip
from approvals.services.approval_settings import configure_approvals
from approvals.services.chain_rebuilds import repair_approval_processes
from approvals.services.trips import approve_trip, create_trip, decline_trip
from travelportal.companies.catalogue import CatalogueImportResult, import_catalogue
from travelportal.companies.groups import set_group_policy
from travelportal.companies.models import Company, Group, TravelPolicy, User
from travelportal.companies.services import CompanyAdminResult, CompanyResult, create_company, create_company_admin
from travelportal.provisioning.models import ProvisioningLogEntry
from travelportal.tokens.models import Credential
from travelportal.tokens.services import issue_credential

DEMO_SLUG = "demo"
DEMO_NAME = "Demo Travel Co"
DEMO_ADMIN_EMAIL = "admin@demo.example"
# Printed by `make run`; the demo exists only on developers' machines.
DEMO_ADMIN_PASSWORD = "demo-admin-pass"  # noqa: S105
DEMO_CATALOGUE = {
    "cost_centres": [{"name": "Sales"}, {"name": "Engineering"}, {"name": "Operations"}],
    "invoice_profiles": [
        {
            "name": "Demo Travel Co GmbH",
            "legal_name": "Demo Travel Co GmbH",
            "vat_number": "DE123456789",
            "billing_address": "Musterstrasse 1\n10115 Berlin\nGermany",
            "currency": "EUR",
            "billing_period": "monthly",
        },
        {
            "name": "Demo Travel Co Ltd",
            "legal_name": "Demo Travel Co Ltd",
            "vat_number": "GB123456789",
            "billing_address": "1 Example Street\nLondon EC1A 1AA\nUnited Kingdom",
            "currency": "GBP",
            "billing_period": "per_booking",
        },
    ],
    "travel_policies": [
        {
            "name": "Standard",
            "max_flight_cabin": "economy",
            "max_hotel_price_per_night": "150.00",
            "hotel_price_currency": "EUR",
            "allow_out_of_policy": True,
        },
        {
            "name": "Executive",
            "max_flight_cabin": "business",
            "max_hotel_price_per_night": "350.00",
            "hotel_price_currency": "EUR",
            "allow_out_of_policy": True,
        },
        {
            "name": "Strict",
            "max_flight_cabin": "economy",
            "max_hotel_price_per_night": "100.00",
            "hotel_price_currency": "EUR",
            "allow_out_of_policy": False,
        },
    ],
}


DOMAIN = "demo.example"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
TRAVELPERK_USER = "urn:ietf:params:scim:schemas:extension:travelperk:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

# The token seed_demo provisions with; each run replaces the one before.
SEED_TOKEN_NAME = "Demo provisioning (seed_demo)"  # noqa: S105 (a name, not a secret)
DEMO_API_KEY_NAME = "Demo expense tool"
# SCIM carries no passwords: in a real company these people sign in through the identity
# provider. The demo gives two of them a password so their pages can be seen.
DEMO_MANAGER = ("sofia.marsh@demo.example", "demo-manager-pass")
DEMO_TRAVELLER = ("tom.berg@demo.example", "demo-traveller-pass")
# Never provisioned: the manager reference naming them stays pending.
DEPARTED_MANAGER = "former.manager@demo.example"
REFUSED_USER = "casey.contractor@demo.example"
UNKNOWN_POLICY = "First Class Unlimited"
GROUP_POLICY = ("Sales", "Standard")


@dataclass(frozen=True)
class Department:
    name: str
    cost_centre: str
    head: tuple[str, str]
    staff: tuple[tuple[str, str], ...]


CHIEF = ("Claire", "Chief")
DEPARTMENTS: tuple[Department, ...] = (
    Department(
        "Sales",
        "Sales",
        ("Sofia", "Marsh"),
        (
            ("Tom", "Berg"),
            ("Ana", "Costa"),
            ("Ben", "Doyle"),
            ("Chloe", "Evans"),
            ("Dan", "Fischer"),
            ("Ella", "Garcia"),
            ("Finn", "Hansen"),
            ("Gina", "Ito"),
            ("Hugo", "Jensen"),
        ),
    ),
    Department(
        "Engineering",
        "Engineering",
        ("Erik", "Lund"),
        (
            ("Iris", "Kowalski"),
            ("Jack", "Larsen"),
            ("Kira", "Moreau"),
            ("Leo", "Novak"),
            ("Maya", "Olsen"),
            ("Nils", "Petrov"),
            ("Olga", "Quinn"),
            ("Paul", "Rossi"),
            ("Rosa", "Schmidt"),
            ("Sam", "Tanaka"),
        ),
    ),
    Department(
        "Operations",
        "Operations",
        ("Omar", "Haddad"),
        (
            ("Tara", "Ueda"),
            ("Uma", "Vogel"),
            ("Victor", "Weber"),
            ("Wendy", "Xu"),
            ("Yusuf", "Young"),
            ("Zoe", "Zimmer"),
            ("Adam", "Alvarez"),
            ("Bea", "Brandt"),
        ),
    ),
    Department(
        "Finance",
        "Finance",
        ("Fiona", "Park"),
        (
            ("Carl", "Dahl"),
            ("Dina", "Engel"),
            ("Eric", "Falk"),
            ("Fay", "Gross"),
            ("Gus", "Holm"),
            ("Hana", "Ishii"),
            ("Ivan", "Jovanovic"),
            ("Jana", "Kraus"),
        ),
    ),
)


@dataclass(frozen=True)
class DemoPerson:
    given_name: str
    family_name: str
    title: str
    department: str
    cost_centre: str
    manager: str = ""  # the manager's userName
    travel_policy: str = ""

    @property
    def user_name(self) -> str:
        return f"{self.given_name}.{self.family_name}@{DOMAIN}".lower()


def user_name(name: tuple[str, str]) -> str:
    return f"{name[0]}.{name[1]}@{DOMAIN}".lower()


def demo_people() -> list[DemoPerson]:
    """Everyone, managers before the people who report to them."""
    chief = DemoPerson(*CHIEF, "Chief Executive", "Executive Office", "Executive Office", travel_policy="Executive")
    people = [chief]
    for department in DEPARTMENTS:
        people.append(
            DemoPerson(
                *department.head,
                f"Head of {department.name}",
                department.name,
                department.cost_centre,
                manager=chief.user_name,
                travel_policy="Executive",
            )
        )
    for department in DEPARTMENTS:
        for position, name in enumerate(department.staff):
            # The last of Operations names a manager who left before provisioning began.
            pending = department.name == "Operations" and position == len(department.staff) - 1
            people.append(
                DemoPerson(
                    *name,
                    f"{department.name} specialist",
                    department.name,
                    department.cost_centre,
                    manager=DEPARTED_MANAGER if pending else user_name(department.head),
                )
            )
    return people


def scim_user(person: DemoPerson, manager_id: str = "") -> dict:
    """The document Entra sends for a person (the TravelPerk attribute mapping)."""
    enterprise: dict = {"department": person.department, "costCenter": person.cost_centre}
    if person.manager:
        enterprise["manager"] = {"value": manager_id or person.manager}
    body: dict = {
        "schemas": [CORE_USER, ENTERPRISE_USER, TRAVELPERK_USER],
        "userName": person.user_name,
        "externalId": person.user_name.split("@")[0],
        "active": True,
        "displayName": f"{person.given_name} {person.family_name}",
        "name": {"givenName": person.given_name, "familyName": person.family_name},
        "title": person.title,
        "preferredLanguage": "en-GB",
        "emails": [{"primary": True, "type": "work", "value": person.user_name}],
        ENTERPRISE_USER: enterprise,
    }
    if person.travel_policy:
        body[TRAVELPERK_USER] = {"travelPolicy": person.travel_policy}
    return body


class ScimProvisioningError(Exception):
    """The portal refused a request of the demo that it should have taken."""


class InProcessScim:
    """A SCIM client of the portal itself: each request goes through Django's request
    handler (every middleware, the URL routing and the SCIM views), as Entra's would,
    without a network. Waits and retries when the company's rate limit answers 429."""

    def __init__(self, token: str) -> None:
        self.client = Client(SERVER_NAME=_host(), headers={"Authorization": f"Bearer {token}"})

    def send(self, method: str, path: str, body: dict | None = None, *, expect: tuple[int, ...] = (200, 201, 204)):
        url = f"/scim/v2/{path}"
        for _ in range(10):
            if body is None:
                response = getattr(self.client, method)(url)
            else:
                response = getattr(self.client, method)(
                    url, data=json.dumps(body), content_type="application/scim+json"
                )
            if response.status_code != 429:
                break
            time.sleep(float(response.get("Retry-After", "1")))
        if response.status_code not in expect:
            raise ScimProvisioningError(f"{method.upper()} {url} answered {response.status_code}: {response.content!r}")
        return response.json() if response.content else None


def _host() -> str:
    """A host name the portal accepts (ALLOWED_HOSTS), for the in-process requests."""
    for host in settings.ALLOWED_HOSTS:
        if host and "*" not in host and not host.startswith("."):
            return host
    return "localhost"


@dataclass
class DemoPopulation:
    people_created: int = 0
    groups_created: int = 0
    trips_created: int = 0
    refused_requests: int = 0
    logins: dict[str, str] = field(default_factory=dict)


def populate_demo_company(*, company: Company) -> DemoPopulation:
    """Provision the demo's people and groups over SCIM, switch on automatic approvals at
    depth 2, and file trips in each state. Safe to run again (see the module docstring)."""
    result = DemoPopulation()
    credentials = Credential.objects.for_company(company)
    credentials.of_kind(Credential.Kind.SCIM_TOKEN).filter(name=SEED_TOKEN_NAME).delete()
    _, token = issue_credential(company=company, kind=Credential.Kind.SCIM_TOKEN, name=SEED_TOKEN_NAME)
    scim = InProcessScim(token)

    result.people_created, result.refused_requests = _provision_people(scim, company)
    result.groups_created = _provision_groups(scim, company)
    group = Group.objects.for_company(company).named(GROUP_POLICY[0]).get()
    policy = TravelPolicy.objects.for_company(company).get(name=GROUP_POLICY[1])
    set_group_policy(group=group, travel_policy=policy, policy_rank=group.policy_rank)

    configure_approvals(company=company, automatic=True, chain_depth=2, trips=Company.TripsRequiringApproval.ALL)
    # Now rather than whenever a worker gets to it: the trips below need the processes.
    repair_approval_processes(company=company)

    for login, password in (DEMO_MANAGER, DEMO_TRAVELLER):
        _give_password(User.objects.for_company(company).with_username(login).get(), password)
        result.logins[login] = password
    if (
        not credentials.of_kind(Credential.Kind.API_KEY)
        .filter(name=DEMO_API_KEY_NAME, revoked_at__isnull=True)
        .exists()
    ):
        issue_credential(company=company, kind=Credential.Kind.API_KEY, name=DEMO_API_KEY_NAME, scopes=["trips:read"])
    result.trips_created = _file_trips(company)
    return result


def _provision_people(scim: InProcessScim, company: Company) -> tuple[int, int]:
    listed = scim.send("get", "Users?count=200&attributes=userName")
    ids = {resource["userName"].lower(): resource["id"] for resource in listed["Resources"]}
    created = 0
    for person in demo_people():
        if person.user_name in ids:
            continue
        body = scim_user(person, manager_id=ids.get(person.manager, ""))
        ids[person.user_name] = scim.send("post", "Users", body, expect=(201,))["id"]
        created += 1
    refused = 0
    already = ProvisioningLogEntry.objects.for_company(company).filter(user_name=REFUSED_USER, status=400).exists()
    if not already and REFUSED_USER not in ids:
        contractor = DemoPerson("Casey", "Contractor", "Contractor", "Operations", "Operations")
        body = scim_user(contractor) | {"userName": REFUSED_USER, "externalId": "casey.contractor"}
        body[TRAVELPERK_USER] = {"travelPolicy": UNKNOWN_POLICY}
        scim.send("post", "Users", body, expect=(400,))
        refused = 1
    return created, refused


def _provision_groups(scim: InProcessScim, company: Company) -> int:
    listed = scim.send("get", "Groups?count=200&excludedAttributes=members")
    existing = {resource["displayName"].lower() for resource in listed["Resources"]}
    members = {
        user.username.lower(): str(user.pk)
        for user in User.objects.for_company(company).filter(scim_managed=True).only("id", "username")
    }
    created = 0
    for department in DEPARTMENTS:
        if department.name.lower() in existing:
            continue
        # As Entra does: the group first, then its members in a PATCH.
        group = scim.send(
            "post",
            "Groups",
            {"schemas": [CORE_GROUP], "displayName": department.name, "externalId": f"dept-{department.name.lower()}"},
            expect=(201,),
        )
        names = [user_name(department.head), *(user_name(name) for name in department.staff)]
        value = [{"value": members[name]} for name in names if name in members]
        scim.send(
            "patch",
            f"Groups/{group['id']}",
            {"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": value}]},
        )
        created += 1
    return created


def _give_password(user: User, password: str) -> None:
    if not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])


@dataclass(frozen=True)
class DemoTrip:
    traveller: str
    destination: str
    purpose: str
    starts_in_days: int
    nights: int
    cost: str
    cabin: str = "economy"
    hotel: str | None = None
    # What happens after it is requested: who approves (in order), or who declines.
    approved_by: tuple[str, ...] = ()
    declined_by: str = ""


SALES_HEAD = user_name(DEPARTMENTS[0].head)
ENGINEERING_HEAD = user_name(DEPARTMENTS[1].head)
CHIEF_LOGIN = user_name(CHIEF)
DEMO_TRIPS: tuple[DemoTrip, ...] = (
    # Waiting for the Sales head (the demo manager's queue), one of them out of policy.
    DemoTrip(DEMO_TRAVELLER[0], "Lisbon", "Customer workshop", 21, 3, "1450.00", cabin="business", hotel="180.00"),
    DemoTrip("ana.costa@demo.example", "Madrid", "Trade fair", 30, 2, "620.00", hotel="120.00"),
    # Approved by the Sales head, now waiting for the chief executive (step 2).
    DemoTrip("ben.doyle@demo.example", "London", "Partner meeting", 14, 1, "480.00", approved_by=(SALES_HEAD,)),
    # Approved at both steps.
    DemoTrip(DEMO_TRAVELLER[0], "Paris", "Quarterly review", 7, 2, "540.00", approved_by=(SALES_HEAD, CHIEF_LOGIN)),
    DemoTrip(
        "iris.kowalski@demo.example",
        "Stockholm",
        "Conference talk",
        40,
        3,
        "900.00",
        approved_by=(ENGINEERING_HEAD, CHIEF_LOGIN),
    ),
    # Declined by the Engineering head.
    DemoTrip("jack.larsen@demo.example", "New York", "Meetup", 35, 4, "2300.00", declined_by=ENGINEERING_HEAD),
)


def _file_trips(company: Company) -> int:
    people = {user.username.lower(): user for user in User.objects.for_company(company)}
    today = timezone.localdate()
    created = 0
    for plan in DEMO_TRIPS:
        traveller = people[plan.traveller]
        if (
            Trip.objects.for_company(company)
            .filter(traveller=traveller, destination=plan.destination, purpose=plan.purpose)
            .exists()
        ):
            continue
        start = today + timedelta(days=plan.starts_in_days)
        trip = create_trip(
            traveller=traveller,
            requested_by=traveller,
            destination=plan.destination,
            start_date=start,
            end_date=start + timedelta(days=plan.nights),
            purpose=plan.purpose,
            estimated_cost=Decimal(plan.cost),
            currency="EUR",
            flight_cabin=plan.cabin,
            hotel_price_per_night=Decimal(plan.hotel) if plan.hotel else None,
        )
        for approver in plan.approved_by:
            trip = approve_trip(trip=trip, approver=people[approver], comment="Looks good.")
        if plan.declined_by:
            decline_trip(trip=trip, approver=people[plan.declined_by], comment="Please join online instead.")
        created += 1
    return created


@dataclass(frozen=True)
class DemoSeed:
    company: CompanyResult
    admin: CompanyAdminResult
    catalogue: CatalogueImportResult
    password: str
    population: DemoPopulation


@transaction.atomic
def seed_demo_company() -> DemoSeed:
    """Create (or bring back) the demo company: its admin login, a small catalogue, and
    its people, groups, approval processes and trips (``populate_demo_company``,
    provisioned over SCIM).

    Safe to run any number of times: the company, its admin and catalogue entries are
    matched by slug, userName and name, and the demo sends only what is missing. One
    transaction: a run that fails leaves the company as it was.
    """
    company = create_company(slug=DEMO_SLUG, name=DEMO_NAME, enable_scim=True)
    admin = create_company_admin(company=company.company, email=DEMO_ADMIN_EMAIL, password=DEMO_ADMIN_PASSWORD)
    catalogue = import_catalogue(company=company.company, data=DEMO_CATALOGUE)
    population = populate_demo_company(company=company.company)
    return DemoSeed(
        company=company, admin=admin, catalogue=catalogue, password=DEMO_ADMIN_PASSWORD, population=population
    )
