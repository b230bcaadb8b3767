"""Trips through 1-, 2- and 3-step chains, declines, policy rules, reassignment, precedence."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from approvals.models import ApprovalProcess, Trip, TripEvent
from approvals.services.approval_settings import update_approval_settings
from approvals.services.automatic_processes import rebuild_approval_processes
from approvals.services.manual_processes import save_process
from approvals.services.routing import applicable_process
from approvals.services.trips import DecisionError, NotAnApprover, approve_trip, create_trip, decline_trip
from travelportal.companies.models import TravelPolicy


def request(traveller, *, by=None, cost="500", currency="EUR", **extra):
    return create_trip(
        traveller=traveller,
        requested_by=by or traveller,
        destination="Lisbon",
        start_date=date(2027, 3, 1),
        end_date=date(2027, 3, 4),
        purpose="Customer visit",
        estimated_cost=Decimal(cost),
        currency=currency,
        **extra,
    )


@pytest.fixture
def chain(automated, make_person, acme_admin):
    """ceo <- vp <- lead <- dev, with automatic processes built."""
    ceo = make_person("ceo")
    vp = make_person("vp", manager=ceo)
    lead = make_person("lead", manager=vp)
    dev = make_person("dev", manager=lead)

    def build(depth):
        automated.approval_chain_depth = depth
        automated.save()
        rebuild_approval_processes(company=automated)
        return dev, lead, vp, ceo

    return build


def test_a_one_step_trip_is_approved_by_the_manager(chain, mailoutbox, django_capture_on_commit_callbacks):
    dev, lead, *_ = chain(1)
    with django_capture_on_commit_callbacks(execute=True):
        trip = request(dev)
    assert trip.status == Trip.Status.PENDING
    assert list(trip.current_approvers.all()) == [lead]
    assert mailoutbox[-1].to == [lead.work_email]
    with django_capture_on_commit_callbacks(execute=True):
        approve_trip(trip=trip, approver=lead, step=1)
    trip.refresh_from_db()
    assert trip.status == Trip.Status.APPROVED
    assert trip.current_step == 0
    assert not trip.current_approvers.exists()
    assert "Approved by Lead" in mailoutbox[-1].subject
    assert list(trip.events.values_list("kind", flat=True)) == ["submitted", "approved"]


def test_a_three_step_trip_goes_through_every_manager_in_order(chain):
    dev, lead, vp, ceo = chain(3)
    trip = request(dev)
    with pytest.raises(NotAnApprover):
        approve_trip(trip=trip, approver=vp)
    for step, approver in enumerate([lead, vp, ceo], start=1):
        trip.refresh_from_db()
        assert trip.current_step == step
        assert list(trip.current_approvers.all()) == [approver]
        approve_trip(trip=trip, approver=approver, step=step)
    trip.refresh_from_db()
    assert trip.status == Trip.Status.APPROVED
    assert list(trip.events.values_list("kind", "step")) == [
        ("submitted", 1), ("step_approved", 1), ("step_approved", 2), ("approved", 3),
    ]  # fmt: skip


def test_a_two_step_trip_declined_at_step_two_stops_there(chain, mailoutbox, django_capture_on_commit_callbacks):
    dev, lead, vp, _ = chain(2)
    trip = request(dev)
    approve_trip(trip=trip, approver=lead)
    with pytest.raises(ValidationError):
        decline_trip(trip=trip, approver=vp, comment="  ")
    with django_capture_on_commit_callbacks(execute=True):
        decline_trip(trip=trip, approver=vp, comment="Too expensive")
    trip.refresh_from_db()
    assert trip.status == Trip.Status.DECLINED
    assert trip.events.get(kind=TripEvent.Kind.DECLINED).comment == "Too expensive"
    assert "Too expensive" in mailoutbox[-1].body
    assert "Declined by Vp" in mailoutbox[-1].subject
    assert mailoutbox[-1].to == [dev.work_email]
    assert (trip.current_step, list(trip.current_approvers.all())) == (0, [])
    with pytest.raises(DecisionError, match="already declined"):
        approve_trip(trip=trip, approver=vp)


def test_a_stale_decision_for_a_step_already_decided_is_refused(chain, acme_admin):
    dev, lead, _vp, _ = chain(2)
    trip = request(dev)
    approve_trip(trip=trip, approver=lead, step=1)
    with pytest.raises(DecisionError, match="moved on"):
        approve_trip(trip=trip, approver=acme_admin, step=1)
    trip.refresh_from_db()
    assert trip.current_step == 2


def test_company_admins_can_decide_any_trip_but_not_their_own(chain, acme_admin):
    dev, *_ = chain(1)
    trip = request(dev)
    approve_trip(trip=trip, approver=acme_admin)
    trip.refresh_from_db()
    assert trip.status == Trip.Status.APPROVED


def test_without_a_process_the_trip_is_approved_at_once(traveller):
    trip = request(traveller)
    assert trip.status == Trip.Status.APPROVED
    assert trip.events.filter(kind=TripEvent.Kind.AUTO_APPROVED).exists()


def test_out_of_policy_only_lets_in_policy_trips_through(chain, company):
    dev, _lead, *_ = chain(1)
    update_approval_settings(
        company=company, approvals_through_idp=True, auto_approval_processes=True, chain_depth=1,
        auto_process_trips="out_of_policy",
    )  # fmt: skip
    dev.travel_policy = TravelPolicy.objects.create(company=company, name="Std", max_trip_cost=Decimal("1000"))
    dev.save()
    assert request(dev, cost="900").status == Trip.Status.APPROVED
    over = request(dev, cost="1200")
    assert over.status == Trip.Status.PENDING
    assert not over.in_policy
    assert over.policy_notes == ["The estimated cost is over the policy's 1000.00 EUR."]


def test_policy_rules_currency_cabin_and_hotel(company, traveller):
    policy = TravelPolicy(
        company=company, name="P", max_trip_cost=Decimal("1000"), max_hotel_price_per_night=Decimal("150"),
        max_flight_cabin="economy",
    )  # fmt: skip
    assert policy.violations_for(estimated_cost=Decimal("1000"), currency="EUR") == []
    # No policy: in policy, whatever the cost and currency.
    no_policy = request(traveller, cost="99999", currency="USD")
    assert (no_policy.in_policy, no_policy.policy_notes) == (True, [])
    assert len(policy.violations_for(estimated_cost=Decimal("10"), currency="USD")) == 1
    reasons = policy.violations_for(
        estimated_cost=Decimal("10"), currency="EUR", flight_cabin="business", hotel_price_per_night=Decimal("151")
    )
    assert len(reasons) == 2
    policy.archived_at = timezone.now()
    assert policy.violations_for(estimated_cost=Decimal("99999"), currency="USD", flight_cabin="first") == []


def test_a_policy_that_forbids_out_of_policy_trips_refuses_them(traveller, company):
    traveller.travel_policy = TravelPolicy.objects.create(
        company=company, name="Strict", max_trip_cost=Decimal("100"), allow_out_of_policy=False
    )
    traveller.save()
    with pytest.raises(ValidationError, match="doesn't allow out-of-policy"):
        request(traveller, cost="101")
    assert not Trip.objects.exists()


def test_invalid_trip_input_is_refused_and_nothing_written(traveller, other_admin):
    with pytest.raises(ValidationError) as exc:
        create_trip(
            traveller=traveller, requested_by=traveller, destination=" ", start_date=date(2027, 3, 5),
            end_date=date(2027, 3, 1), purpose="x", estimated_cost=Decimal("-1"), currency="QQQ",
        )  # fmt: skip
    assert set(exc.value.error_dict) == {"destination", "end_date", "estimated_cost", "currency"}
    with pytest.raises(ValidationError):
        request(traveller, by=other_admin)
    assert not Trip.objects.exists()


def test_pending_trips_move_to_the_new_approver_when_the_old_one_is_deactivated(
    chain, mailoutbox, django_capture_on_commit_callbacks
):
    dev, lead, vp, _ = chain(1)
    trip = request(dev)
    lead.is_active = False
    lead.save()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        rebuild_approval_processes(company=dev.company, user_ids=[lead.pk])
    trip.refresh_from_db()
    assert list(trip.current_approvers.all()) == [vp]
    assert trip.events.filter(kind=TripEvent.Kind.REASSIGNED).count() == 1
    recipients = {address for message in mailoutbox for address in message.to}
    assert recipients == {vp.work_email, dev.work_email}
    approve_trip(trip=trip, approver=vp)
    trip.refresh_from_db()
    assert trip.status == Trip.Status.APPROVED


def test_pending_trips_follow_a_new_manager(chain, make_person):
    dev, _lead, *_ = chain(1)
    trip = request(dev)
    newboss = make_person("newboss")
    dev.manager = newboss
    dev.save()
    rebuild_approval_processes(company=dev.company, user_ids=[dev.pk])
    trip.refresh_from_db()
    assert list(trip.current_approvers.all()) == [newboss]
    assert trip.process.owner == newboss


def test_precedence_manual_then_automatic_then_default(chain, company, acme_admin, make_person):
    dev, _lead, *_ = chain(1)
    outsider = make_person("outsider")
    default = save_process(company=company, name="Default", kind="default", requesters=[], steps=[[acme_admin]])
    assert applicable_process(outsider) == default
    assert applicable_process(dev).kind == ApprovalProcess.Kind.AUTOMATIC
    manual = save_process(company=company, name="Special", kind="manual", requesters=[dev], steps=[[outsider]])
    assert applicable_process(dev) == manual
    trip = request(dev)
    assert list(trip.current_approvers.all()) == [outsider]


def test_automation_never_touches_manual_processes(chain, company, acme_admin):
    dev, lead, *_ = chain(1)
    manual = save_process(company=company, name="Special", kind="manual", requesters=[dev], steps=[[acme_admin]])
    before = (manual.name, list(manual.requesters.all()), [list(s.approvers.all()) for s in manual.steps.all()])
    lead.is_active = False
    lead.save()
    rebuild_approval_processes(company=company)
    update_approval_settings(
        company=company, approvals_through_idp=True, auto_approval_processes=False, chain_depth=1,
        auto_process_trips="all", on_disable="delete",
    )  # fmt: skip
    rebuild_approval_processes(company=company)
    manual.refresh_from_db()
    assert (manual.name, list(manual.requesters.all()), [list(s.approvers.all()) for s in manual.steps.all()]) == before
    assert not ApprovalProcess.objects.filter(kind="automatic").exists()


def test_turning_automation_off_can_convert_automatic_processes_to_manual(chain, company):
    chain(2)
    count = ApprovalProcess.objects.filter(kind="automatic").count()
    assert count == 3
    update_approval_settings(
        company=company, approvals_through_idp=True, auto_approval_processes=False, chain_depth=2,
        auto_process_trips="all",
    )  # fmt: skip
    rebuild_approval_processes(company=company)
    assert ApprovalProcess.objects.filter(kind="manual", owner__isnull=True).count() == count


def test_settings_are_validated(company):
    with pytest.raises(ValidationError) as exc:
        update_approval_settings(
            company=company, approvals_through_idp=True, auto_approval_processes=True, chain_depth=4,
            auto_process_trips="some", on_disable="keep",
        )  # fmt: skip
    assert set(exc.value.error_dict) == {"chain_depth", "auto_process_trips", "on_disable"}
    company.refresh_from_db()
    assert company.approval_chain_depth == 1


def test_approval_steps_for_names_each_steps_approvers(chain, company, acme_admin, make_person):
    from approvals.services.routing import approval_steps_for

    dev, lead, vp, ceo = chain(3)
    assert approval_steps_for(dev) == [[lead], [vp], [ceo]]
    assert approval_steps_for(ceo) == []
    # Lead's trips go through VP's process: VP, then the CEO (nobody is left for step 3).
    assert approval_steps_for(lead) == [[vp], [ceo]]
    solo = make_person("solo", manager=acme_admin)
    rebuild_approval_processes(company=company)
    assert approval_steps_for(solo) == [[acme_admin]]


def test_syncing_pending_trips_reads_a_constant_number_of_queries(chain, company, make_person):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from approvals.services.routing import sync_pending_trips

    _dev, lead, *_ = chain(2)

    def add_travellers(n):
        travellers = [make_person(manager=lead) for _ in range(n)]
        rebuild_approval_processes(company=company)
        for traveller in travellers:
            request(traveller)

    add_travellers(1)
    with CaptureQueriesContext(connection) as few:
        assert sync_pending_trips(company=company) == []
    add_travellers(10)
    with CaptureQueriesContext(connection) as many:
        assert sync_pending_trips(company=company) == []
    sql = "\n".join(q["sql"] for q in many.captured_queries)
    assert len(many) == len(few), f"{len(few)} then {len(many)} queries:\n{sql}"
    assert Trip.objects.filter(status="pending").count() == 11


def test_a_trip_past_the_end_of_a_shortened_chain_goes_to_the_admins_not_back_to_step_one(chain, acme_admin, client):
    dev, lead, _vp, _ = chain(2)
    trip = request(dev)
    approve_trip(trip=trip, approver=lead, step=1)
    chain(1)  # the company lowers the depth: lead's process now has one step
    trip.refresh_from_db()
    assert (trip.status, trip.current_step) == ("pending", 2)
    assert list(trip.current_approvers.all()) == [acme_admin]
    with pytest.raises(NotAnApprover):
        approve_trip(trip=trip, approver=lead)
    client.force_login(acme_admin)
    assert "Step 2 of 2" in client.get(f"/trips/{trip.pk}/").content.decode()
    approve_trip(trip=trip, approver=acme_admin, step=2)
    trip.refresh_from_db()
    assert trip.status == Trip.Status.APPROVED
