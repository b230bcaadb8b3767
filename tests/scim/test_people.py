"""The people domain SCIM calls: signals, sessions, atomicity."""

from __future__ import annotations

import pytest

from travelportal.companies import people
from travelportal.companies.models import User

pytestmark = pytest.mark.django_db


def test_creating_sends_people_changed(company, people_changed_signals):
    user = people.create_person(company=company, data=people.PersonData(fields={"username": "n@acme.example"}))

    assert people_changed_signals == [(company.pk, [str(user.pk)])]
    assert user.scim_managed is True


def test_a_title_change_sends_nothing_but_manager_and_active_changes_do(
    company, traveller, acme_admin, people_changed_signals
):
    people.update_person(user=traveller, data=people.PersonData(fields={"title": "CFO"}, present=set()))
    assert people_changed_signals == []

    people.update_person(user=traveller, data=people.PersonData(manager=str(acme_admin.pk), present={"manager"}))
    people.deactivate_person(user=traveller)
    people.reactivate_person(user=traveller)

    assert people_changed_signals == [(company.pk, [str(traveller.pk)])] * 3


def test_deleting_sends_the_person_and_their_reports(company, traveller, acme_admin, people_changed_signals):
    traveller.manager = acme_admin
    traveller.save()

    people.delete_person(user=acme_admin)

    assert people_changed_signals == [(company.pk, sorted([str(acme_admin.pk), str(traveller.pk)]))]
    acme_admin.refresh_from_db()
    assert acme_admin.deleted_at is not None
    assert User.objects.get(pk=traveller.pk).manager is None


def test_deactivating_and_deleting_end_sessions(client, traveller, django_capture_on_commit_callbacks):
    from django.contrib.sessions.models import Session

    client.force_login(traveller)
    assert Session.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        people.deactivate_person(user=traveller)

    assert Session.objects.count() == 0


def test_a_refused_value_writes_nothing(company, traveller):
    before = list(User.objects.values_list("pk", "title", "updated_at"))

    with pytest.raises(people.PersonError) as error:
        people.update_person(
            user=traveller,
            data=people.PersonData(fields={"title": "New"}, travel_policy="Nope", present={"travel_policy"}),
        )

    assert error.value.attribute == "travelPolicy"
    assert list(User.objects.values_list("pk", "title", "updated_at")) == before
