"""Over the real SCIM API (in-process tasks): chains appear, and pending trips move when
Entra deactivates their approver."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from approvals.models import ApprovalProcess, TripEvent
from approvals.services.trips import create_trip
from travelportal.companies.models import User

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def test_scim_changes_keep_chains_and_pending_trips_right(
    client, automated, acme_admin, scim_token, django_capture_on_commit_callbacks
):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {scim_token}"}

    def scim(method, path, body):
        with django_capture_on_commit_callbacks(execute=True):
            response = getattr(client, method)(path, body, content_type="application/scim+json", **headers)
        assert response.status_code in (200, 201, 204), response.content
        return response

    def create(user_name, manager_id=None):
        body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name, "active": True,
                "name": {"givenName": user_name.split("@")[0].capitalize(), "familyName": "Test"}}  # fmt: skip
        if manager_id:
            body["schemas"].append(ENTERPRISE)
            body[ENTERPRISE] = {"manager": {"value": manager_id}}
        return scim("post", "/scim/v2/Users", body).json()["id"]

    boss_id = create("boss@acme.example")
    report_id = create("rita@acme.example", boss_id)
    process = ApprovalProcess.objects.get(kind="automatic")
    assert str(process.owner_id) == boss_id
    assert [str(pk) for pk in process.requesters.values_list("pk", flat=True)] == [report_id]

    report = User.objects.get(pk=report_id)
    trip = create_trip(
        traveller=report, requested_by=report, destination="Oslo", start_date=date(2027, 5, 1),
        end_date=date(2027, 5, 2), purpose="Fair", estimated_cost=Decimal("300"), currency="EUR",
    )  # fmt: skip
    assert [str(u.pk) for u in trip.current_approvers.all()] == [boss_id]

    scim(
        "patch",
        f"/scim/v2/Users/{boss_id}",
        {"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]},
    )
    # Nobody is left above the boss, so the company admins approve; the trip followed.
    process.refresh_from_db()
    assert [list(step.approvers.all()) for step in process.steps.all()] == [[acme_admin]]
    assert list(trip.current_approvers.all()) == [acme_admin]
    assert trip.events.filter(kind=TripEvent.Kind.REASSIGNED).exists()
