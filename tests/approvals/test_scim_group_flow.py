"""Over the real SCIM API: a group membership change in Entra changes who approves whose
trips. A burst of membership PATCHes schedules one coalesced rebuild, after which the
pending trips of the people who joined the group-requester process wait for its approver;
deleting the group leaves the process inactive and the trips back on the default."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from approvals import tasks
from approvals.models import ApprovalProcess, Trip
from approvals.services import chain_rebuilds
from approvals.services.manual_processes import save_process
from approvals.services.trips import create_trip
from travelportal.companies.models import Group

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


@pytest.fixture
def scim(client, scim_token, django_capture_on_commit_callbacks):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {scim_token}"}

    def call(method, path, body=None):
        with django_capture_on_commit_callbacks(execute=True):
            response = getattr(client, method)(path, body, content_type="application/scim+json", **headers)
        assert response.status_code in (200, 201, 204), response.content
        return response

    return call


@pytest.fixture
def rebuilds(monkeypatch):
    calls = []
    real = chain_rebuilds.rebuild_approval_processes

    def recording(*, company, user_ids=None):
        calls.append(None if user_ids is None else set(user_ids))
        return real(company=company, user_ids=user_ids)

    monkeypatch.setattr(chain_rebuilds, "rebuild_approval_processes", recording)
    return calls


def test_entra_membership_patches_move_pending_trips_after_one_rebuild(
    scim, company, acme_admin, make_person, monkeypatch, rebuilds
):
    finance = make_person("fiona")
    default = save_process(company=company, name="Default", kind="default", requesters=[], steps=[[acme_admin]])
    group_id = scim("post", "/scim/v2/Groups", {"schemas": [GROUP], "displayName": "Sales"}).json()["id"]
    sales = save_process(
        company=company, name="Sales trips", kind="manual", requesters=[],
        requester_groups=[Group.objects.get(pk=group_id)], steps=[[finance]],
    )  # fmt: skip
    people = [make_person() for _ in range(4)]
    trips = [
        create_trip(
            traveller=p,
            requested_by=p,
            destination="Oslo",
            start_date=date(2027, 5, 1),
            end_date=date(2027, 5, 2),
            purpose="Fair",
            estimated_cost=Decimal("300"),
            currency="EUR",
        )
        for p in people
    ]
    assert {t.process for t in trips} == {default}

    # Entra adds members one PATCH at a time; the rebuild task is held, as a broker would.
    enqueued = []
    monkeypatch.setattr(tasks.process_chain_changes, "apply_async", lambda args, **kw: enqueued.append(args))
    for person in people:
        operation = {"op": "add", "path": "members", "value": [{"value": str(person.pk)}]}
        scim("patch", f"/scim/v2/Groups/{group_id}", {"schemas": [PATCH], "Operations": [operation]})
    assert enqueued == [[company.pk]]
    tasks.process_chain_changes.apply(args=[company.pk])
    assert rebuilds == [{p.pk for p in people}]
    for trip in trips:
        trip.refresh_from_db()
    assert [(t.process, list(t.current_approvers.all())) for t in trips] == [(sales, [finance])] * 4

    # Removing one member over SCIM moves their trip back (in-process task this time).
    monkeypatch.undo()
    operation = {"op": "remove", "path": f'members[value eq "{people[0].pk}"]'}
    scim("patch", f"/scim/v2/Groups/{group_id}", {"schemas": [PATCH], "Operations": [operation]})
    trips[0].refresh_from_db()
    assert (trips[0].process, list(trips[0].current_approvers.all())) == (default, [acme_admin])

    # Deleting the group keeps the process, inactive, and sends everyone back to the default.
    scim("delete", f"/scim/v2/Groups/{group_id}")
    sales.refresh_from_db()
    assert sales.is_active is False
    assert ApprovalProcess.objects.filter(pk=sales.pk).exists()
    assert set(Trip.objects.pending().values_list("process", flat=True)) == {default.pk}
