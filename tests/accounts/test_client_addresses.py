"""Proxy-aware client addresses (issue 21, part 6): X-Forwarded-For and X-Forwarded-Proto
are believed only from a direct peer in TRUSTED_PROXIES."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from django.core import mail
from django.test import RequestFactory

from travelportal.client_addresses import client_address

pytestmark = pytest.mark.django_db

RESET = "/accounts/password-reset/"
PROXY = "10.0.0.5"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = [ip_network("10.0.0.0/29")]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def ask_through_proxy(client, email: str, forwarded_for: str):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)


def test_the_reset_limit_counts_the_forwarded_client_not_the_proxy(client, traveller, settings, behind_proxy):
    settings.PASSWORD_RESET_LIMIT_PER_IP = 20
    for forwarded in ("198.51.100.1", "203.0.113.7, 198.51.100.2"):
        for i in range(20):
            ask_through_proxy(client, f"nobody{i}@acme.example", forwarded)

    ask_through_proxy(client, traveller.work_email, "198.51.100.1")
    assert mail.outbox == []  # the first client is over its limit

    ask_through_proxy(client, traveller.work_email, "198.51.100.3")
    assert len(mail.outbox) == 1  # a third client, through the same proxy, is not


def test_the_right_most_address_that_is_not_a_trusted_proxy_is_the_client(behind_proxy):
    request = RequestFactory().get(
        "/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.9, 10.0.0.2, 10.0.0.3"
    )

    assert client_address(request) == "198.51.100.9"


@pytest.mark.parametrize(
    ("forwarded_for", "expected"),
    [
        ("", PROXY),
        ("not-an-address", PROXY),
        ("198.51.100.9:4711", "198.51.100.9"),
        ("[2001:db8::1]:443", "2001:db8::1"),
    ],
)
def test_odd_forwarded_values_from_a_trusted_proxy(behind_proxy, forwarded_for, expected):
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)

    assert client_address(request) == expected


def test_an_untrusted_peers_forwarded_headers_are_ignored(client, settings, behind_proxy):
    settings.SECURE_SSL_REDIRECT = True
    forged = {"HTTP_X_FORWARDED_FOR": "10.0.0.1", "HTTP_X_FORWARDED_PROTO": "https"}

    # The untrusted peer claims HTTPS: not believed, so it is redirected to HTTPS.
    response = client.get("/accounts/login/", REMOTE_ADDR="203.0.113.9", **forged)
    assert response.status_code == 301 and response["Location"].startswith("https://")
    # Our proxy says the same and is believed.
    assert client.get("/accounts/login/", REMOTE_ADDR=PROXY, **forged).status_code == 200

    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", **forged)
    assert client_address(request) == "203.0.113.9"


def test_with_no_trusted_proxy_no_forwarded_header_is_believed(client, settings):
    settings.TRUSTED_PROXIES = []
    settings.SECURE_SSL_REDIRECT = True
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.9")

    assert client_address(request) == PROXY
    response = client.get("/accounts/login/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301


def test_a_sign_in_failure_is_counted_for_the_forwarded_client(client, acme_admin, behind_proxy):
    from axes.models import AccessAttempt

    client.post(
        "/accounts/login/",
        {"username": acme_admin.username, "password": "wrong"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.9",
    )

    assert AccessAttempt.objects.get().ip_address == "198.51.100.9"
