from __future__ import annotations

import itertools

import pytest

_counter = itertools.count()


@pytest.fixture
def make_person(company):
    """Create a person of Acme (or ``company=``) with an optional manager."""
    from travelportal.companies.models import User

    def make(name: str | None = None, *, manager=None, role=User.Role.TRAVELLER, company=company, **fields):
        name = name or f"person{next(_counter)}"
        return User.objects.create_user(
            f"{name}@{company.slug}.example",
            None,
            company=company,
            role=role,
            given_name=name.capitalize(),
            work_email=f"{name}@{company.slug}.example",
            manager=manager,
            **fields,
        )

    return make


def process_snapshot(company) -> dict:
    """Automatic processes as comparable data: owner -> (name, requesters, steps)."""
    from approvals.models import ApprovalProcess

    snapshot = {}
    for process in (
        ApprovalProcess.objects.for_company(company).automatic().prefetch_related("requesters", "steps__approvers")
    ):
        snapshot[process.owner_id] = (
            process.name,
            frozenset(u.pk for u in process.requesters.all()),
            tuple(
                (frozenset(u.pk for u in step.approvers.all()), step.fallback_to_admins) for step in process.steps.all()
            ),
        )
    return snapshot
