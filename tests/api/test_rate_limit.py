"""The REST API draws from the company's request rate limit with SCIM; 429 problem with
Retry-After. Here with no SCIM reserve and a credential's share of all the company's, the
single shared bucket of before: the reserve and per-credential shares are tested in
test_fair_rate_limits.py."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_limit(settings):
    settings.SCIM_RATE_LIMIT_PER_SECOND = 1
    settings.SCIM_RATE_LIMIT_BURST = 3
    settings.SCIM_RESERVED_SHARE = 0
    settings.API_CREDENTIAL_SHARE = 1


def test_a_burst_over_the_limit_is_a_429_problem_with_retry_after(api, small_limit):
    answers = [api.get("/api/cost_centers") for _ in range(5)]

    assert [r.status_code for r in answers] == [200, 200, 200, 429, 429]
    refused = answers[3]
    assert refused["Content-Type"].startswith("application/problem+json")
    assert refused["Retry-After"] == "1"
    assert refused.json()["status"] == 429


def test_scim_and_the_api_draw_from_one_bucket(api, client, scim_token, small_limit):
    assert api.get("/api/cost_centers").status_code == 200
    assert client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {scim_token}").status_code == 200
    assert api.get("/api/cost_centers").status_code == 200

    assert client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {scim_token}").status_code == 429
    assert api.get("/api/cost_centers").status_code == 429


def test_another_companys_integration_is_not_slowed(api, other_api, small_limit):
    for _ in range(5):
        api.get("/api/cost_centers")

    assert other_api.get("/api/cost_centers").status_code == 200


def test_a_request_without_credentials_is_refused_before_it_is_counted(anonymous_api, api, small_limit):
    for _ in range(5):
        assert anonymous_api.get("/api/cost_centers").status_code == 401

    assert api.get("/api/cost_centers").status_code == 200
