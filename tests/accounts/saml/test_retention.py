"""SSO records are pruned with the other sign-in records (accounts.prune_sign_in_records)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from travelportal.accounts.models import SamlRequest, SeenAssertion, SsoSignInEvent

pytestmark = pytest.mark.django_db


def test_old_sign_ins_unanswered_requests_and_expired_assertion_ids_are_pruned(company, settings):
    from travelportal.accounts.tasks import prune_sign_in_records

    now = timezone.now()
    SsoSignInEvent.objects.create(
        company=company, outcome="signed_in", name_id="old", created_at=now - dt.timedelta(days=91)
    )
    SsoSignInEvent.objects.create(company=company, outcome="signed_in", name_id="recent", created_at=now)
    SamlRequest.objects.create(company=company, request_id="old", created_at=now - dt.timedelta(hours=1))
    SamlRequest.objects.create(company=company, request_id="open", created_at=now)
    SeenAssertion.objects.create(company=company, assertion_id="old", expires_at=now - dt.timedelta(minutes=1))
    SeenAssertion.objects.create(company=company, assertion_id="live", expires_at=now + dt.timedelta(minutes=5))

    result = prune_sign_in_records()

    assert (result["sso_events"], result["sso_requests"], result["sso_assertions"]) == (1, 1, 1)
    assert list(SsoSignInEvent.objects.values_list("name_id", flat=True)) == ["recent"]
    assert list(SamlRequest.objects.values_list("request_id", flat=True)) == ["open"]
    assert list(SeenAssertion.objects.values_list("assertion_id", flat=True)) == ["live"]
