"""SCIM test helpers: a client that speaks application/scim+json with a bearer token."""

from __future__ import annotations

import json

import pytest

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
TRAVELPERK = "urn:ietf:params:scim:schemas:extension:travelperk:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def log_write_queries() -> int:
    """The queries of the provisioning log entry every SCIM request writes: its INSERT,
    and on PostgreSQL the ``SET LOCAL synchronous_commit`` that spares the request waiting
    for the disk (travelportal.provisioning.services.without_waiting_for_the_disk)."""
    from django.db import connection

    return 2 if connection.vendor == "postgresql" else 1


class ScimClient:
    def __init__(self, client, token: str | None) -> None:
        self.client = client
        self.token = token

    def _headers(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def request(self, method: str, path: str, body=None, raw: bytes | None = None, **extra):
        url = path if path.startswith("/") else f"/scim/v2/{path}"
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        call = getattr(self.client, method.lower())
        kwargs = {**self._headers(), **extra}
        if method.upper() in ("GET", "DELETE") and raw is None and body is None:
            return call(url, **kwargs)
        return call(url, data=data, content_type="application/scim+json", **kwargs)

    def get(self, path, **extra):
        return self.request("GET", path, **extra)

    def post(self, path, body=None, **extra):
        return self.request("POST", path, body, **extra)

    def put(self, path, body=None, **extra):
        return self.request("PUT", path, body, **extra)

    def patch(self, path, operations=None, body=None, **extra):
        payload = body if body is not None else {"schemas": [PATCH_OP], "Operations": operations}
        return self.request("PATCH", path, payload, **extra)

    def delete(self, path, **extra):
        return self.request("DELETE", path, **extra)


@pytest.fixture
def scim(client, scim_token):
    return ScimClient(client, scim_token)


@pytest.fixture
def other_scim(client, other_scim_token):
    return ScimClient(client, other_scim_token)


@pytest.fixture
def anonymous_scim(client):
    return ScimClient(client, None)


@pytest.fixture
def catalogue(company):
    """Acme's travel policy and invoice profiles, which provisioning may name."""
    from travelportal.companies.models import InvoiceProfile, TravelPolicy

    return {
        "policy": TravelPolicy.objects.create(company=company, name="Standard"),
        "executive": TravelPolicy.objects.create(company=company, name="Executive"),
        "acme_ltd": InvoiceProfile.objects.create(company=company, name="Acme Ltd"),
        "acme_inc": InvoiceProfile.objects.create(company=company, name="Acme Inc"),
    }


def entra_user(user_name: str = "ann.smith@acme.example", **overrides) -> dict:
    """A POST body with every attribute of the TravelPerk mapping, as Entra sends it."""
    body = {
        "schemas": [CORE, ENTERPRISE, TRAVELPERK],
        "userName": user_name,
        "externalId": "ext-" + user_name.split("@")[0],
        "active": True,
        "name": {"honorificPrefix": "Ms", "givenName": "Ann", "middleName": "May", "familyName": "Smith"},
        "preferredLanguage": "en-GB",
        "locale": "en-GB",
        "title": "Engineer",
        "phoneNumbers": [{"type": "work", "value": "+44 20 7946 0000"}],
        "emails": [{"primary": True, "type": "work", "value": user_name}],
        ENTERPRISE: {"costCenter": "Engineering"},
        TRAVELPERK: {
            "gender": "F",
            "dateOfBirth": "1985-04-12",
            "travelPolicy": "Standard",
            "invoiceProfiles": [{"value": "Acme Ltd"}],
            "emergencyContact": {"name": "Bob Smith", "phone": "+34 600 000 000"},
        },
        "meta": {"resourceType": "User"},
        "roles": [],
    }
    body.update(overrides)
    return body


def db_state() -> tuple:
    """Everything a failed SCIM request must leave untouched."""
    from travelportal.companies.models import CostCentre, User

    people = tuple(
        User.objects.order_by("pk").values_list(
            "pk",
            "username",
            "external_id",
            "updated_at",
            "manager_id",
            "pending_manager_ref",
            "is_active",
            "deleted_at",
        )
    )
    profiles = tuple(User.invoice_profiles.through.objects.order_by("pk").values_list("user_id", "invoiceprofile_id"))
    centres = tuple(CostCentre.objects.order_by("pk").values_list("company_id", "name"))
    return people, profiles, centres


@pytest.fixture
def created(scim, catalogue):
    """Ann, provisioned over SCIM with every attribute; returns her SCIM resource."""
    response = scim.post("Users", entra_user())
    assert response.status_code == 201, response.content
    return response.json()


# --- Groups ------------------------------------------------------------------------

CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def bulk_people(company, count: int, prefix: str = "member") -> list:
    """``count`` people of ``company`` in one INSERT (fast enough for 10,000)."""
    from travelportal.companies.models import User

    return User.objects.bulk_create(
        [
            User(company=company, username=f"{prefix}{n}@{company.slug}.example", display_name=f"{prefix.title()} {n}")
            for n in range(count)
        ]
    )


def group_state() -> tuple:
    """Every group and membership, for asserting that a failed request wrote nothing."""
    from travelportal.companies.models import Group, GroupMembership

    groups = tuple(
        Group.objects.order_by("pk").values_list("pk", "company_id", "display_name", "external_id", "updated_at")
    )
    memberships = tuple(GroupMembership.objects.order_by("group_id", "user_id").values_list("group_id", "user_id"))
    return groups, memberships


@pytest.fixture
def make_group(scim):
    """Create a group over SCIM and return its resource."""

    def make(display_name: str = "Sales", members=(), **extra) -> dict:
        payload = {
            "schemas": [CORE_GROUP],
            "displayName": display_name,
            "members": [{"value": str(m)} for m in members],
            **extra,
        }
        response = scim.post("Groups", payload)
        assert response.status_code == 201, response.content
        return response.json()

    return make
