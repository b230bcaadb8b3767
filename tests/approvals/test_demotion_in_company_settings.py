"""An admin demoted on their page in Company Settings leaves the admins' steps and the
pending trips waiting on them after the coalesced rebuild (not the hourly repair), and
can no longer decide: the whole path, through the pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from approvals.models import ApprovalStep, Trip
from approvals.services.automatic_processes import rebuild_approval_processes
from approvals.services.trips import create_trip
from tests.companysettings.test_people import _form_data
from tests.conftest import signed_in_client
from travelportal.companies.models import User

pytestmark = pytest.mark.django_db


def test_a_demoted_admin_leaves_chains_and_trips_and_cannot_decide(
    automated, make_person, acme_admin, acme_admin_client, django_capture_on_commit_callbacks
):
    deputy = make_person("deputy", role=User.Role.ADMIN, family_name="Deputy")
    deputys_browser = signed_in_client(deputy)
    gone = make_person("gone", is_active=False)
    rita = make_person("rita", manager=gone)
    rebuild_approval_processes(company=automated)
    trip = create_trip(
        traveller=rita, requested_by=rita, destination="Lisbon", start_date=date(2027, 3, 1),
        end_date=date(2027, 3, 4), purpose="Customer visit", estimated_cost=Decimal("500"), currency="EUR",
    )  # fmt: skip
    assert set(trip.current_approvers.all()) == {acme_admin, deputy}

    with django_capture_on_commit_callbacks(execute=True):
        response = acme_admin_client.post(
            f"/company/people/{deputy.pk}/edit/", _form_data(deputy, role=User.Role.TRAVELLER)
        )

    assert response.status_code == 302
    assert User.objects.get(pk=deputy.pk).role == User.Role.TRAVELLER
    fallback = ApprovalStep.objects.filter(process__company=automated, fallback_to_admins=True)
    assert deputy.pk not in set(fallback.values_list("approvers", flat=True))
    assert list(Trip.objects.get(pk=trip.pk).current_approvers.all()) == [acme_admin]

    decided = deputys_browser.post(f"/trips/{trip.pk}/approve/", {"comment": "Fine by me", "step": 1})

    # Not theirs to see any more: the trip is a 404 to them, as to any other colleague.
    assert decided.status_code == 404
    trip.refresh_from_db()
    assert (trip.status, trip.current_step) == (Trip.Status.PENDING, 1)


def test_a_demoted_admin_cannot_decide_even_before_the_rebuild_runs(
    automated, make_person, acme_admin, acme_admin_client, django_capture_on_commit_callbacks
):
    from approvals.services.trips import NotAnApprover, approve_trip

    deputy = make_person("deputy", role=User.Role.ADMIN, family_name="Deputy")
    gone = make_person("gone", is_active=False)
    rita = make_person("rita", manager=gone)
    rebuild_approval_processes(company=automated)
    trip = create_trip(
        traveller=rita, requested_by=rita, destination="Lisbon", start_date=date(2027, 3, 1),
        end_date=date(2027, 3, 4), purpose="Customer visit", estimated_cost=Decimal("500"), currency="EUR",
    )  # fmt: skip

    # The rebuild is queued for after the commit and not run here.
    with django_capture_on_commit_callbacks(execute=False):
        acme_admin_client.post(f"/company/people/{deputy.pk}/edit/", _form_data(deputy, role=User.Role.TRAVELLER))

    demoted = User.objects.get(pk=deputy.pk)
    assert demoted in trip.current_approvers.all()
    assert not trip.can_be_decided_by(demoted)
    with pytest.raises(NotAnApprover):
        approve_trip(trip=trip, approver=demoted, step=1)
    assert trip.can_be_decided_by(acme_admin)
