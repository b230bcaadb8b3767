"""A group as the source of a travel policy: a person's own policy wins, otherwise their
groups' in the admin's order (lowest policy order first, then name), and a trip's policy
check uses that effective policy."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from approvals.models import Trip
from approvals.services.trips import create_trip
from travelportal.companies.groups import GroupData, create_group
from travelportal.companies.models import Group, TravelPolicy, User


@pytest.fixture
def policies(company):
    return {
        name: TravelPolicy.objects.create(company=company, name=name, max_trip_cost=Decimal(limit))
        for name, limit in (("Standard", "1000"), ("Frugal", "300"), ("Premium", "5000"))
    }


def group_with_policy(company, name: str, policy: TravelPolicy, rank: int, *members: User) -> Group:
    group = create_group(company=company, data=GroupData(display_name=name, members=[str(m.pk) for m in members]))
    Group.objects.filter(pk=group.pk).update(travel_policy=policy, policy_rank=rank)
    group.refresh_from_db()
    return group


def fresh(person: User) -> User:
    return User.objects.select_related("travel_policy").get(pk=person.pk)


def request(traveller: User, cost: str) -> Trip:
    return create_trip(
        traveller=traveller, requested_by=traveller, destination="Lisbon", start_date=date(2027, 3, 1),
        end_date=date(2027, 3, 4), purpose="Customer visit", estimated_cost=Decimal(cost), currency="EUR",
    )  # fmt: skip


def test_a_persons_own_policy_wins_over_their_groups(company, traveller, policies):
    group_with_policy(company, "Sales", policies["Premium"], 1, traveller)
    traveller.travel_policy = policies["Standard"]
    traveller.save(update_fields=["travel_policy"])
    effective = fresh(traveller).effective_travel_policy()
    assert (effective.policy, effective.group, effective.is_own) == (policies["Standard"], None, True)


def test_without_an_own_policy_the_lowest_policy_order_wins(company, traveller, policies):
    group_with_policy(company, "Aardvarks", policies["Premium"], 20, traveller)
    frugal = group_with_policy(company, "Zebras", policies["Frugal"], 10, traveller)
    effective = fresh(traveller).effective_travel_policy()
    assert (effective.policy, effective.group, effective.is_own) == (policies["Frugal"], frugal, False)


def test_groups_of_the_same_order_are_taken_by_name(company, traveller, policies):
    group_with_policy(company, "Zebras", policies["Frugal"], 10, traveller)
    aardvarks = group_with_policy(company, "Aardvarks", policies["Premium"], 10, traveller)
    assert fresh(traveller).effective_travel_policy() == (policies["Premium"], aardvarks)


def test_groups_without_a_policy_and_groups_the_person_is_not_in_do_not_count(
    company, traveller, make_person, policies
):
    create_group(company=company, data=GroupData(display_name="Empty-handed", members=[str(traveller.pk)]))
    group_with_policy(company, "Others", policies["Frugal"], 1, make_person())
    assert fresh(traveller).effective_travel_policy() == (None, None)
    assert fresh(traveller).effective_travel_policy().is_own is False


def test_an_archived_policy_binds_nobody_so_the_next_one_applies(company, traveller, policies):
    traveller.travel_policy = policies["Standard"]
    traveller.save(update_fields=["travel_policy"])
    group_with_policy(company, "First", policies["Premium"], 1, traveller)
    second = group_with_policy(company, "Second", policies["Frugal"], 2, traveller)
    TravelPolicy.objects.filter(pk__in=[policies["Standard"].pk, policies["Premium"].pk]).update(
        archived_at=timezone.now()
    )
    assert fresh(traveller).effective_travel_policy() == (policies["Frugal"], second)


def test_the_effective_policy_costs_one_query_at_most(company, traveller, policies, django_assert_num_queries):
    group_with_policy(company, "Sales", policies["Premium"], 1, traveller)
    person = fresh(traveller)
    with django_assert_num_queries(1):
        assert person.effective_travel_policy().policy == policies["Premium"]
    person.travel_policy = policies["Standard"]
    with django_assert_num_queries(0):
        assert person.effective_travel_policy().policy == policies["Standard"]


def test_a_trip_is_checked_against_the_policy_of_the_travellers_group(company, traveller, policies):
    group_with_policy(company, "Interns", policies["Frugal"], 1, traveller)
    trip = request(fresh(traveller), "500")
    assert trip.in_policy is False
    assert trip.policy_notes == ["The estimated cost is over the policy's 300.00 EUR."]
    assert request(fresh(traveller), "200").in_policy is True


def test_a_group_policy_that_forbids_out_of_policy_trips_refuses_them(company, traveller, policies):
    strict = TravelPolicy.objects.create(
        company=company, name="Strict", max_trip_cost=Decimal("100"), allow_out_of_policy=False
    )
    group_with_policy(company, "Contractors", strict, 1, traveller)
    with pytest.raises(ValidationError, match="The travel policy “Strict” doesn't allow out-of-policy trips"):
        request(fresh(traveller), "500")
    assert not Trip.objects.exists()


def test_the_travellers_own_policy_still_decides_their_trip(company, traveller, policies):
    group_with_policy(company, "Interns", policies["Frugal"], 1, traveller)
    traveller.travel_policy = policies["Premium"]
    traveller.save(update_fields=["travel_policy"])
    assert request(fresh(traveller), "500").in_policy is True
