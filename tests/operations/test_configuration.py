"""The operations settings read from the environment, failing loudly on a bad value."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from django.core.exceptions import ImproperlyConfigured

from travelportal.env import env_networks


def test_metrics_allowed_ips_are_addresses_and_networks(monkeypatch):
    monkeypatch.setenv("METRICS_ALLOWED_IPS", "127.0.0.1, 10.0.0.0/8,::1")

    assert env_networks("METRICS_ALLOWED_IPS") == [
        ip_network("127.0.0.1/32"),
        ip_network("10.0.0.0/8"),
        ip_network("::1/128"),
    ]


@pytest.mark.parametrize("value", [None, "", "  "])
def test_no_metrics_allowed_ips_is_an_empty_list(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("METRICS_ALLOWED_IPS", raising=False)
    else:
        monkeypatch.setenv("METRICS_ALLOWED_IPS", value)

    assert env_networks("METRICS_ALLOWED_IPS") == []


def test_a_malformed_address_stops_start_up_naming_the_variable(monkeypatch):
    monkeypatch.setenv("METRICS_ALLOWED_IPS", "10.0.0.0/8,prometheus.internal")

    with pytest.raises(ImproperlyConfigured, match="METRICS_ALLOWED_IPS must be comma-separated IP addresses"):
        env_networks("METRICS_ALLOWED_IPS")
