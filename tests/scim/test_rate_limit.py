"""A per-company request rate limit across all its tokens: a token bucket, 429 with a
SCIM body and Retry-After once it is spent, other companies unaffected."""

from __future__ import annotations

import pytest

from travelportal.companies import rate_limits
from travelportal.provisioning.models import ProvisioningLogEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_limit(settings):
    settings.SCIM_RATE_LIMIT_PER_SECOND = 1
    settings.SCIM_RATE_LIMIT_BURST = 3


def _get(client, token):
    return client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_burst_over_the_limit_is_429_with_retry_after(client, scim_token, small_limit):
    answers = [_get(client, scim_token) for _ in range(5)]

    assert [r.status_code for r in answers] == [200, 200, 200, 429, 429]
    refused = answers[3]
    assert refused["Content-Type"] == "application/scim+json"
    assert refused["Retry-After"] == "1"
    body = refused.json()
    assert body["status"] == "429" and body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert "1 requests per second" in body["detail"]


def test_the_limit_is_the_companys_across_all_its_tokens(client, company, scim_token, small_limit):
    from travelportal.tokens.models import Credential
    from travelportal.tokens.services import issue_credential

    _, second = issue_credential(company=company, kind=Credential.Kind.SCIM_TOKEN, name="second")

    statuses = [_get(client, token).status_code for token in (scim_token, second, scim_token, second)]

    assert statuses == [200, 200, 200, 429]


def test_another_company_is_not_slowed_by_a_flooding_one(client, scim_token, other_scim_token, small_limit):
    for _ in range(5):
        _get(client, scim_token)

    assert _get(client, other_scim_token).status_code == 200


def test_support_staff_can_raise_one_companys_limit(client, company, scim_token, small_limit):
    company.rate_limit_per_second, company.rate_limit_burst = 1, 10
    company.save()

    assert all(_get(client, scim_token).status_code == 200 for _ in range(10))
    assert _get(client, scim_token).status_code == 429


def test_refusals_are_counted_not_logged_and_shown_on_the_scim_page(
    client, company, scim_token, small_limit, acme_admin_client
):
    for _ in range(6):
        _get(client, scim_token)

    assert ProvisioningLogEntry.objects.filter(company=company, status=429).count() == 0
    assert rate_limits.refusals_in_last_day(company) == 3
    page = acme_admin_client.get("/company/integrations/scim").content.decode()
    assert "1 requests/s, bursts of 3" in page
    assert 'Refused by the rate limit (429), last 24 h</dt><dd class="warn">3</dd>' in page


def test_the_bucket_refills_at_the_rate(company, small_limit, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(rate_limits.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(rate_limits.settings, "REDIS_URL", None)

    assert [rate_limits.take_request(company).allowed for _ in range(4)] == [True, True, True, False]
    clock[0] += 1.0
    assert rate_limits.take_request(company).allowed is True
    assert rate_limits.take_request(company).retry_after == 1


def test_an_unreachable_store_lets_requests_through(company, small_limit, settings, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    rate_limits._last_outage_log = 0.0

    decisions = [rate_limits.take_request(company) for _ in range(10)]

    assert all(d.allowed for d in decisions)
    # Logged once, not once per request.
    assert sum("Rate limit store unreachable" in r.message for r in caplog.records) == 1


def test_a_limit_of_zero_switches_it_off(client, scim_token, settings):
    settings.SCIM_RATE_LIMIT_PER_SECOND = 0

    assert all(_get(client, scim_token).status_code == 200 for _ in range(5))
