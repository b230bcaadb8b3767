"""Requests with no or a bad SCIM token are limited per client address (issue 21, part 5):
429 with the RFC 7644 error body and Retry-After; valid tokens and other addresses go on."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

USERS = "/scim/v2/Users"


def scim_get(client, token: str, **extra):
    return client.get(USERS, HTTP_AUTHORIZATION=f"Bearer {token}", **extra)


def test_a_bad_scim_token_from_one_address_is_limited_with_a_scim_error(client, scim_token, settings):
    settings.ANONYMOUS_RATE_LIMIT_BURST = 3

    answers = [scim_get(client, "tps_unknown") for _ in range(4)] + [client.get(USERS)]

    assert [r.status_code for r in answers] == [401, 401, 401, 429, 429]
    refused = answers[3]
    assert refused["Content-Type"] == "application/scim+json"
    assert refused["Retry-After"] == "1"
    body = refused.json()
    assert body["status"] == "429" and body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert scim_get(client, scim_token).status_code == 200
    assert scim_get(client, "tps_unknown", REMOTE_ADDR="198.51.100.4").status_code == 401
