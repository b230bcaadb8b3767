"""The rate limit's shares (travelportal.companies.rate_limits), on the in-process buckets
with a controlled clock: what refills goes to SCIM's reserve before API credentials."""

from __future__ import annotations

import pytest

from travelportal.companies import rate_limits

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(settings, monkeypatch):
    settings.SCIM_RATE_LIMIT_PER_SECOND = 2
    settings.SCIM_RATE_LIMIT_BURST = 8
    monkeypatch.setattr(rate_limits.settings, "REDIS_URL", None)
    now = [1000.0]
    monkeypatch.setattr(rate_limits.time, "monotonic", lambda: now[0])
    return now


def take_api(company, credential: str) -> bool:
    return rate_limits.take_api_request(company, credential=credential).allowed


def test_an_api_credentials_share_is_a_quarter_and_the_reserve_half(company, clock):
    assert rate_limits.api_limit_for(company) == rate_limits.Limit(per_second=0.5, burst=2)
    assert [take_api(company, "a") for _ in range(3)] == [True, True, False]
    assert [take_api(company, "b") for _ in range(3)] == [True, True, False]
    assert take_api(company, "c") is False  # the company's other half is SCIM's
    assert [rate_limits.take_request(company).allowed for _ in range(5)] == [True] * 4 + [False]


def test_below_the_reserve_only_scim_is_served_until_it_refills(company, clock):
    for _ in range(8):
        rate_limits.take_request(company)
    clock[0] += 2.0  # 4 tokens back: all below the reserve of 4

    assert take_api(company, "a") is False
    assert rate_limits.take_api_request(company, credential="a").retry_after == 1
    assert rate_limits.take_request(company).allowed is True


def test_the_share_of_a_credential_never_exceeds_what_the_reserve_leaves(company, clock, settings):
    settings.SCIM_RESERVED_SHARE = 0.75
    settings.API_CREDENTIAL_SHARE = 0.9

    assert rate_limits.api_limit_for(company) == rate_limits.Limit(per_second=0.5, burst=2)
