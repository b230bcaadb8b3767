"""The /metrics allow-list uses the client address, believed through a trusted proxy only."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def allow_list(settings):
    settings.METRICS_ALLOWED_IPS = [ip_network("192.0.2.0/24")]
    settings.TRUSTED_PROXIES = [ip_network("10.0.0.5")]


def test_a_client_in_the_allow_list_through_a_trusted_proxy_is_served(client, allow_list):
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="192.0.2.7").status_code == 200


def test_a_client_outside_the_allow_list_through_a_trusted_proxy_is_refused(client, allow_list):
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 401


def test_a_forged_forwarded_address_from_an_untrusted_peer_is_refused(client, allow_list):
    assert client.get("/metrics", REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="192.0.2.7").status_code == 401


def test_a_client_cannot_prepend_an_allowed_address_through_the_proxy(client, allow_list):
    forwarded = "192.0.2.7, 198.51.100.1"

    assert client.get("/metrics", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded).status_code == 401
