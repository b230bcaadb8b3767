"""Every group request is in the provisioning log, as resource type Group with the
group's displayName, and counted in the activity chart like a user request."""

from __future__ import annotations

import uuid

import pytest

from tests.scim.conftest import CORE_GROUP
from travelportal.provisioning.models import ProvisioningLogEntry

pytestmark = pytest.mark.django_db

ACTIVITY = "/company/provisioning-activity/"


def _last() -> ProvisioningLogEntry:
    return ProvisioningLogEntry.objects.order_by("-id").first()


def _row(entry: ProvisioningLogEntry) -> tuple:
    return entry.resource_type, entry.operation, entry.method, entry.status, entry.user_name


def test_every_group_operation_is_logged_as_a_group_with_its_name(scim, company, acme_admin):
    created = scim.post("Groups", {"schemas": [CORE_GROUP], "displayName": "Sales", "externalId": "s-1"}).json()
    assert _row(_last()) == ("Group", "create", "POST", 201, "Sales")
    assert _last().user_id is None
    assert _last().request_body["displayName"] == "Sales"
    gid = created["id"]

    scim.get(f"Groups/{gid}")
    assert _row(_last()) == ("Group", "read", "GET", 200, "Sales")

    scim.client.get("/scim/v2/Groups", {"filter": 'displayName eq "Sales"'}, HTTP_AUTHORIZATION=f"Bearer {scim.token}")
    assert _row(_last())[:4] == ("Group", "read", "GET", 200)

    scim.patch(f"Groups/{gid}", [{"op": "add", "path": "members", "value": [{"value": str(acme_admin.pk)}]}])
    assert _row(_last()) == ("Group", "update", "PATCH", 204, "Sales")

    scim.patch(f"Groups/{gid}", [{"op": "replace", "path": "displayName", "value": "Sales EMEA"}])
    assert _row(_last()) == ("Group", "update", "PATCH", 204, "Sales EMEA")

    scim.put(f"Groups/{gid}", {"schemas": [CORE_GROUP], "displayName": "Sales World", "members": []})
    assert _row(_last()) == ("Group", "update", "PUT", 200, "Sales World")

    scim.post(
        "Groups/.search",
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "displayName pr"},
    )
    assert _row(_last())[:4] == ("Group", "read", "POST", 200)

    scim.delete(f"Groups/{gid}")
    assert _row(_last()) == ("Group", "delete", "DELETE", 204, "Sales World")

    assert ProvisioningLogEntry.objects.filter(company=company, resource_type="Group").count() == 8
    assert not ProvisioningLogEntry.objects.filter(resource_type="User").exists()


def test_user_requests_stay_logged_as_users(scim, created):
    assert _last().resource_type == "User"
    scim.get(f"Users/{created['id']}")
    assert (_last().resource_type, _last().user_name) == ("User", created["userName"])


@pytest.mark.parametrize(
    ("method", "path", "payload", "status"),
    [
        ("GET", "Groups/{unknown}", None, 404),
        ("GET", "Groups/not-a-uuid", None, 404),
        ("PUT", "Groups/{unknown}", {"displayName": "x"}, 404),
        ("PATCH", "Groups/{unknown}", {"Operations": [{"op": "remove", "path": "members"}]}, 404),
        ("DELETE", "Groups/{unknown}", None, 404),
        ("POST", "Groups", {"displayName": 7}, 400),
        ("POST", "Groups", {"displayName": "Sales", "members": [{"value": "nobody"}]}, 400),
        ("GET", "Groups?filter=displayName+zz+%22x%22", None, 400),
        ("POST", "Groups/.search", {"filter": "displayName pr"}, 400),
    ],
)
def test_failed_group_requests_are_logged_as_groups(scim, method, path, payload, status):
    response = scim.request(method, path.replace("{unknown}", str(uuid.uuid4())), payload)

    assert response.status_code == status, response.content
    entry = _last()
    assert (entry.resource_type, entry.status, entry.method) == ("Group", status, method)
    assert entry.is_error
    assert entry.detail == response.json()["detail"]


def test_a_failed_group_request_names_the_group(scim, make_group):
    sales = make_group("Sales")

    scim.patch(f"Groups/{sales['id']}", [{"op": "add", "path": "members", "value": [{"value": "nobody"}]}])

    entry = _last()
    assert (entry.resource_type, entry.status, entry.scim_type, entry.user_name) == (
        "Group",
        400,
        "invalidValue",
        "Sales",
    )
    assert "nobody" in entry.detail


def test_a_refused_group_create_names_the_group(scim, make_group):
    make_group("Sales")

    scim.post("Groups", {"schemas": [CORE_GROUP], "displayName": "SALES"})

    assert (_last().resource_type, _last().status, _last().scim_type, _last().user_name) == (
        "Group",
        409,
        "uniqueness",
        "SALES",
    )


def test_group_operations_are_counted_in_the_activity_chart(scim, acme_admin_client, acme_admin, catalogue):
    from tests.scim.conftest import entra_user

    scim.post("Users", entra_user())  # a user create, for comparison
    sales = scim.post("Groups", {"schemas": [CORE_GROUP], "displayName": "Sales"}).json()
    scim.patch(f"Groups/{sales['id']}", [{"op": "add", "path": "members", "value": [{"value": str(acme_admin.pk)}]}])
    scim.put(f"Groups/{sales['id']}", {"schemas": [CORE_GROUP], "displayName": "Sales", "members": []})
    scim.post("Groups", {"schemas": [CORE_GROUP], "displayName": "sales"})  # 409
    scim.get(f"Groups/{sales['id']}")  # reads are not charted
    scim.delete(f"Groups/{sales['id']}")

    response = acme_admin_client.get(ACTIVITY, {"period": "1", "bucket": "hour"})

    assert response.status_code == 200
    totals = {t["key"]: t["total"] for t in response.context["totals"]}
    assert totals == {"creates": 2, "updates": 2, "deactivations": 1, "errors": 1}


def test_the_activity_page_shows_what_each_request_was_about(scim, acme_admin_client, catalogue):
    from tests.scim.conftest import entra_user

    scim.post("Users", entra_user())
    scim.post("Groups", {"schemas": [CORE_GROUP], "displayName": "Sales"})

    response = acme_admin_client.get(ACTIVITY)

    html = response.content.decode()
    assert '<th scope="col">Resource</th>' in html
    assert '<td data-label="Resource">Group</td>' in html
    assert '<td data-label="Resource">User</td>' in html
    assert [(e.resource_type, e.user_name) for e in response.context["page"].object_list] == [
        ("Group", "Sales"),
        ("User", "ann.smith@acme.example"),
    ]


def test_the_activity_page_finds_a_group_by_name(scim, acme_admin_client, catalogue):
    from tests.scim.conftest import entra_user

    scim.post("Users", entra_user())
    scim.post("Groups", {"schemas": [CORE_GROUP], "displayName": "Sales EMEA"})

    response = acme_admin_client.get(ACTIVITY, {"person": "emea"})

    assert [e.user_name for e in response.context["page"].object_list] == ["Sales EMEA"]
