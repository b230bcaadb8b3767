"""A deactivated or deleted person's sessions end."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from tests.accounts.test_login import sign_in

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    response = sign_in(client, user.username)
    assert response.status_code == 302
    return client


def is_signed_in(client) -> bool:
    return client.get("/accounts/login/").context["user"].is_authenticated


def test_end_sessions_ends_every_session_of_the_person_only(acme_admin, traveller):
    from travelportal.accounts.models import UserSession
    from travelportal.accounts.sessions import end_sessions

    laptop, phone, other = signed_in(traveller), signed_in(traveller), signed_in(acme_admin)

    ended = end_sessions(user=traveller)

    assert ended == 2
    assert not is_signed_in(laptop)
    assert not is_signed_in(phone)
    assert is_signed_in(other)
    assert not Session.objects.filter(session_key__in=[laptop.session.session_key, phone.session.session_key]).exists()
    assert list(UserSession.objects.values_list("user_id", flat=True)) == [acme_admin.pk]
    assert end_sessions(user=traveller) == 0


def test_a_deactivated_persons_session_no_longer_signs_them_in_even_before_it_is_ended(traveller):
    client = signed_in(traveller)
    traveller.is_active = False
    traveller.save(update_fields=["is_active"])

    assert not is_signed_in(client)
    assert client.get("/oauth2/authorize/")["Location"].startswith("/accounts/login/")


def test_a_deleted_persons_session_no_longer_signs_them_in(traveller):
    client = signed_in(traveller)
    traveller.deleted_at = timezone.now()
    traveller.save(update_fields=["deleted_at"])

    assert not is_signed_in(client)


def test_deactivation_announced_by_people_changed_ends_sessions_on_commit(
    traveller, acme_admin, company, django_capture_on_commit_callbacks
):
    from travelportal.companies.signals import people_changed

    traveller_client, acme_admin_client = signed_in(traveller), signed_in(acme_admin)
    traveller.is_active = False
    traveller.save(update_fields=["is_active"])

    with django_capture_on_commit_callbacks(execute=True):
        people_changed.send(sender=None, company_id=company.pk, user_ids=[traveller.pk, acme_admin.pk])
        # Nothing happens before the change is committed.
        assert Session.objects.filter(session_key=traveller_client.session.session_key).exists()

    assert not Session.objects.filter(session_key=traveller_client.session.session_key).exists()
    # The admin is still active: their session stays.
    assert is_signed_in(acme_admin_client)


def test_people_changed_for_another_company_ends_nothing(traveller, other_company, django_capture_on_commit_callbacks):
    from travelportal.companies.signals import people_changed

    client = signed_in(traveller)
    traveller.deleted_at = timezone.now()
    traveller.save(update_fields=["deleted_at"])

    with django_capture_on_commit_callbacks(execute=True):
        people_changed.send(sender=None, company_id=other_company.pk, user_ids=[traveller.pk])

    assert Session.objects.filter(session_key=client.session.session_key).exists()
