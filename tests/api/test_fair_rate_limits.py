"""Fair rate limits (issue 21, part 5): each API credential has a bucket of its own within
its company's, API credentials can't spend the share reserved for SCIM, and requests with
no or a bad credential are limited per client address."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api

pytestmark = pytest.mark.django_db

USERS = "/scim/v2/Users"
COST_CENTRES = "/api/cost_centers"


@pytest.fixture
def limit(settings):
    # A burst of 20: 10 reserved for SCIM, 5 per API credential (the default shares).
    settings.SCIM_RATE_LIMIT_PER_SECOND = 1
    settings.SCIM_RATE_LIMIT_BURST = 20


def flood(api: Api, times: int = 30) -> list[int]:
    return [api.get(COST_CENTRES).status_code for _ in range(times)]


def scim_get(client, token: str, **extra):
    return client.get(USERS, HTTP_AUTHORIZATION=f"Bearer {token}", **extra)


def test_a_flooding_api_key_gets_429_while_the_scim_token_keeps_answering(api, client, scim_token, limit):
    statuses = flood(api)

    assert statuses[:5] == [200] * 5
    assert set(statuses[5:]) == {429}
    assert [scim_get(client, scim_token).status_code for _ in range(10)] == [200] * 10


def test_api_keys_together_cannot_spend_the_scim_reserve(api_as, company, client, scim_token, limit):
    served = sum(flood(api_as(company)).count(200) for _ in range(4))

    assert served == 10  # two keys' shares: the rest of the burst is SCIM's
    assert [scim_get(client, scim_token).status_code for _ in range(10)] == [200] * 10


def test_two_api_keys_do_not_starve_each_other(api_as, company, limit):
    flooding, other = api_as(company), api_as(company)

    assert flood(flooding).count(200) == 5
    assert flood(other, 6) == [200] * 5 + [429]


def test_scim_can_still_use_the_whole_company_bucket(client, scim_token, limit):
    assert [scim_get(client, scim_token).status_code for _ in range(21)] == [200] * 20 + [429]


def test_a_scim_flood_leaves_nothing_for_the_api(api, client, scim_token, limit):
    for _ in range(20):
        scim_get(client, scim_token)

    assert api.get(COST_CENTRES).status_code == 429


def test_support_staffs_override_sizes_the_shares(api, company, limit):
    company.rate_limit_per_second, company.rate_limit_burst = 1, 40
    company.save()

    assert flood(api).count(200) == 10


def test_a_bad_api_key_from_one_address_is_limited_with_a_problem(client, api, settings):
    settings.ANONYMOUS_RATE_LIMIT_BURST = 3
    bad = Api(client, "ApiKey tpk_unknown")

    answers = [bad.get(COST_CENTRES, **{"X-Forwarded-For": "192.0.2.1"}) for _ in range(5)]

    assert [r.status_code for r in answers] == [401, 401, 401, 429, 429]
    refused = answers[3]
    assert refused["Content-Type"].startswith("application/problem+json")
    assert refused["Retry-After"] == "1"
    assert refused.json()["status"] == 429
    assert "without a valid credential" in refused.json()["detail"]
    # A valid key from the same address, and another address, are unaffected.
    assert api.get(COST_CENTRES).status_code == 200
    assert client.get(COST_CENTRES, REMOTE_ADDR="198.51.100.4").status_code == 401


def test_requests_without_a_credential_are_limited_per_address(anonymous_api, settings):
    settings.ANONYMOUS_RATE_LIMIT_BURST = 2

    assert [anonymous_api.get(COST_CENTRES).status_code for _ in range(3)] == [401, 401, 429]
