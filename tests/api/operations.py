"""Every API operation once, with the scope it needs and a body that succeeds, so the
scope matrix and the isolation tests cover each of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    path: Callable[[dict], str]
    scope: str
    ok: int = 200
    body: Callable[[dict], dict] | None = None
    # The envelope key of a list; None for operations on one object.
    envelope: str | None = None
    object_route: bool = field(default=True)


def _ops() -> list[Operation]:
    cc = lambda w: f"/api/cost_centers/{w['cost_center'].pk}"  # noqa: E731
    trip = lambda w: str(w["trip"].pk)  # noqa: E731
    admin = lambda w: str(w["admin"].pk)  # noqa: E731
    steps = lambda w: [{"approver_ids": [admin(w)]}]  # noqa: E731
    return [
        Operation(
            "list cost centres", "GET", lambda w: "/api/cost_centers", "cost_centers:read", envelope="cost_centers"
        ),
        Operation("get a cost centre", "GET", cc, "cost_centers:read"),
        Operation(
            "create a cost centre", "POST", lambda w: "/api/cost_centers", "cost_centers:write", 201,
            lambda w: {"name": "Marketing"}, object_route=False,
        ),
        Operation("rename a cost centre", "PATCH", cc, "cost_centers:write", body=lambda w: {"name": "Field sales"}),
        Operation(
            "archive cost centres in bulk", "PATCH", lambda w: "/api/cost_centers/bulk_update", "cost_centers:write",
            body=lambda w: {"id_list": [w["cost_center"].pk], "archive": True}, object_route=False,
        ),
        Operation(
            "replace a cost centre's users", "PUT", lambda w: cc(w) + "/users", "cost_centers:write",
            body=lambda w: {"user_ids": []},
        ),
        Operation("list profiles", "GET", lambda w: "/api/profiles", "trips:read", envelope="profiles"),
        Operation("get a profile", "GET", lambda w: f"/api/profiles/{w['profile'].pk}", "trips:read"),
        Operation("list users", "GET", lambda w: "/api/users", "users:read", envelope="users"),
        Operation("get a user", "GET", lambda w: f"/api/users/{w['trip'].traveller_id}", "users:read"),
        Operation("list trips", "GET", lambda w: "/api/trips", "trips:read", envelope="trips"),
        Operation("get a trip", "GET", lambda w: f"/api/trips/{trip(w)}", "trips:read"),
        Operation(
            "list travel policies", "GET", lambda w: "/api/travel_policies", "policies:read", envelope="travel_policies"
        ),
        Operation("get a travel policy", "GET", lambda w: f"/api/travel_policies/{w['policy'].pk}", "policies:read"),
        Operation(
            "create a travel policy", "POST", lambda w: "/api/travel_policies", "policies:write", 201,
            lambda w: {"name": "Executive", "max_flight_cabin": "business"}, object_route=False,
        ),
        Operation(
            "change a travel policy", "PATCH", lambda w: f"/api/travel_policies/{w['policy'].pk}", "policies:write",
            body=lambda w: {"max_trip_cost": "2500.00"},
        ),
        Operation(
            "list approval processes", "GET", lambda w: "/api/approval_processes", "approvals:read",
            envelope="approval_processes",
        ),
        Operation(
            "get an approval process", "GET", lambda w: f"/api/approval_processes/{w['process'].pk}", "approvals:read"
        ),
        Operation(
            "create an approval process", "POST", lambda w: "/api/approval_processes", "approvals:write", 201,
            lambda w: {"name": "Managers", "kind": "manual", "requester_ids": [], "steps": steps(w)},
            object_route=False,
        ),
        Operation(
            "change an approval process", "PATCH", lambda w: f"/api/approval_processes/{w['process'].pk}",
            "approvals:write", body=lambda w: {"name": "All travellers"},
        ),
        Operation(
            "delete an approval process", "DELETE", lambda w: f"/api/approval_processes/{w['process'].pk}",
            "approvals:write", 204,
        ),
        Operation("list approvals", "GET", lambda w: "/api/approvals", "approvals:read", envelope="approvals"),
        Operation("get an approval", "GET", lambda w: f"/api/approvals/{trip(w)}", "approvals:read"),
        Operation(
            "approve", "POST", lambda w: f"/api/approvals/{trip(w)}/approve", "approvals:write",
            body=lambda w: {"comment": "Fine", "approver_id": admin(w)},
        ),
        Operation(
            "decline", "POST", lambda w: f"/api/approvals/{trip(w)}/decline", "approvals:write",
            body=lambda w: {"comment": "Too dear", "approver_id": admin(w)},
        ),
        Operation(
            "list provisioning events", "GET", lambda w: "/api/provisioning_events", "provisioning:read",
            envelope="provisioning_events",
        ),
        Operation(
            "get a provisioning event", "GET", lambda w: f"/api/provisioning_events/{w['event'].pk}",
            "provisioning:read",
        ),
    ]  # fmt: skip


OPERATIONS = _ops()
LISTS = [op for op in OPERATIONS if op.envelope]
OBJECT_ROUTES = [op for op in OPERATIONS if op.object_route and not op.envelope]


def call(api, op: Operation, world: dict):
    body = op.body(world) if op.body else None
    return api.request(op.method, op.path(world), body)
