"""SSRF protection: webhook URLs must be https and resolve to public addresses, checked
when a subscription is saved and again before each attempt (then connecting to the
address checked); private URLs only with WEBHOOKS_ALLOW_PRIVATE_URLS, metadata never.

Host names resolve through a stand-in for DNS (``resolve_host``), so no test touches the
network."""

from __future__ import annotations

import ipaddress

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from travelportal.webhooks import addresses
from travelportal.webhooks.addresses import UnsafeUrl, check_url, is_public_address
from travelportal.webhooks.delivery import attempt_delivery
from travelportal.webhooks.models import Subscription
from travelportal.webhooks.outbox import emit_event
from travelportal.webhooks.subscriptions import create_subscription, update_subscription

PUBLIC = "93.184.215.14"


@pytest.fixture
def dns(monkeypatch):
    """Host name -> addresses, the only DNS the tests have; unknown names don't resolve."""
    table: dict[str, list[str]] = {}

    def resolve_host(host: str, port: int) -> list[str]:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if host not in table:
                raise OSError(f"unknown host {host}") from None
            return table[host]
        return [host]

    monkeypatch.setattr(addresses, "resolve_host", resolve_host)
    return table


@pytest.fixture
def private_urls_refused(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False


REFUSED = [
    "127.0.0.1",
    "127.8.9.10",
    "10.0.0.8",
    "172.16.4.2",
    "192.168.1.20",
    "169.254.169.254",
    "169.254.10.10",
    "100.64.0.1",
    "0.0.0.0",  # noqa: S104 (an address to refuse, not one to bind)
    "224.0.0.251",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.7",
    "198.18.0.1",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd00:ec2::254",
    "ff02::1",
    "2001:db8::1",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::127.0.0.1",
    "64:ff9b::a9fe:a9fe",
    "2002:7f00:1::1",
    "2002:a9fe:a9fe::1",
    "100.100.100.200",
    "168.63.129.16",
    "192.0.0.192",
]


@pytest.mark.parametrize("address", REFUSED)
def test_private_reserved_and_metadata_addresses_are_not_public(address):
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001::200e"])
def test_public_addresses_are_public(address):
    assert is_public_address(ipaddress.ip_address(address))


@given(st.ip_addresses(v=4))
def test_wrapping_an_ipv4_address_in_ipv6_never_changes_the_verdict(address):
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")
    six_to_four = ipaddress.IPv6Address((0x2002 << 112) | (int(address) << 80) | 1)
    nat64 = ipaddress.IPv6Address((0x64FF9B << 96) | int(address))
    assert not is_public_address(mapped) or is_public_address(address)
    assert not is_public_address(six_to_four) or is_public_address(address)
    assert not is_public_address(nat64) or is_public_address(address)


@given(st.sampled_from(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16"]), st.data())
def test_every_address_of_a_private_network_is_refused(network, data):
    net = ipaddress.ip_network(network)
    address = net[data.draw(st.integers(min_value=0, max_value=net.num_addresses - 1))]
    assert not is_public_address(address)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.acme.test/x", "must start with https://"),
        ("ftp://hooks.acme.test/x", "must start with https://"),
        ("https:///x", "must name a host"),
        ("https://user:pass@hooks.acme.test/x", "user name or password"),
        ("https://hooks.acme.test:99999/x", "not a valid URL"),
        ("https://nowhere.acme.test/x", "does not resolve"),
        ("https://loopback.acme.test/x", "private or reserved address (127.0.0.1)"),
        ("https://mixed.acme.test/x", "private or reserved address (10.1.2.3)"),
        ("https://[::1]/x", "private or reserved address (::1)"),
        ("https://metadata.acme.test/x", "cloud metadata address (169.254.169.254)"),
    ],
)
def test_urls_are_refused_saying_why(dns, private_urls_refused, url, message):
    dns.update(
        {
            "hooks.acme.test": [PUBLIC],
            "loopback.acme.test": ["127.0.0.1"],
            "mixed.acme.test": [PUBLIC, "10.1.2.3"],
            "metadata.acme.test": ["169.254.169.254"],
        }
    )

    with pytest.raises(UnsafeUrl) as refused:
        check_url(url)

    assert message in str(refused.value)


def test_a_public_https_url_is_accepted_with_the_address_to_connect_to(dns, private_urls_refused):
    dns["hooks.acme.test"] = [PUBLIC]

    target = check_url("https://Hooks.Acme.Test/in?x=1")

    assert (target.scheme, target.host, target.port, target.path) == ("https", "hooks.acme.test", 443, "/in?x=1")
    assert target.addresses == (PUBLIC,)


def test_metadata_addresses_are_refused_even_when_private_urls_are_allowed(dns, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True

    for url in ("http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://[::ffff:a9fe:a9fe]/"):
        with pytest.raises(UnsafeUrl, match="cloud metadata"):
            check_url(url)
    assert check_url("http://127.0.0.1:8080/x").addresses == ("127.0.0.1",)


@pytest.mark.django_db
def test_a_subscription_to_a_host_resolving_to_loopback_is_refused(company, dns, private_urls_refused):
    dns["hooks.acme.test"] = ["127.0.0.1"]

    with pytest.raises(ValidationError) as refused:
        create_subscription(company=company, name="ERP", url="https://hooks.acme.test/x", events=["trip.created"])

    assert "127.0.0.1" in refused.value.message_dict["url"][0]
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_changing_a_subscription_to_a_private_url_is_refused(company, dns, private_urls_refused):
    dns["hooks.acme.test"] = [PUBLIC]
    subscription = create_subscription(
        company=company, name="ERP", url="https://hooks.acme.test/x", events=["trip.created"]
    )

    with pytest.raises(ValidationError):
        update_subscription(subscription=subscription, url="https://10.0.0.5/x")

    subscription.refresh_from_db()
    assert subscription.url == "https://hooks.acme.test/x"


@pytest.mark.django_db
def test_the_api_refuses_a_private_url_as_a_field_problem(api, dns, private_urls_refused):
    dns["hooks.acme.test"] = ["192.168.0.10"]

    response = api.post(
        "/api/webhooks", {"name": "ERP", "url": "https://hooks.acme.test/x", "events": ["trip.created"]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "url"
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_a_host_that_rebinds_to_loopback_after_subscribing_is_refused_at_delivery(
    company, dns, receiver, private_urls_refused
):
    dns["hooks.acme.test"] = [PUBLIC]
    create_subscription(
        company=company, name="ERP", url=f"https://hooks.acme.test:{receiver.port}/x", events=["cost_center.created"]
    )
    dns["hooks.acme.test"] = ["127.0.0.1"]  # the attacker's DNS now answers loopback
    [delivery] = emit_event(company=company, event="cost_center.created", payload={"id": 1})

    outcome = attempt_delivery(delivery_id=delivery.pk, attempt=1)

    assert outcome.attempt.status_code is None
    assert "resolves to a private or reserved address (127.0.0.1)" in outcome.attempt.error
    assert outcome.attempt.error.startswith("Not sent:")
    assert receiver.requests == []


@pytest.mark.django_db
def test_delivery_connects_to_the_address_it_checked_and_names_the_host(company, dns, receiver):
    # An address the system's resolver could never find: reaching the receiver proves the
    # connection went to the checked address, with the name only in the Host header.
    dns["hooks.acme.test"] = ["127.0.0.1"]
    create_subscription(
        company=company, name="ERP", url=f"http://hooks.acme.test:{receiver.port}/in", events=["cost_center.created"]
    )
    [delivery] = emit_event(company=company, event="cost_center.created", payload={"id": 1})

    outcome = attempt_delivery(delivery_id=delivery.pk, attempt=1)

    assert outcome.attempt.status_code == 204
    [request] = receiver.requests
    assert request.headers["Host"] == f"hooks.acme.test:{receiver.port}"
    assert request.path == "/in"
