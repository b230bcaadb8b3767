"""Password-reset requests are limited per address and per client IP (issue 10, part 4)."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core import mail

BASE_DIR = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db

RESET = "/accounts/password-reset/"
SENT = "/accounts/password-reset/sent/"


def ask(client, email: str, ip: str = "192.0.2.10"):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=ip)


class FakeClock:
    def __init__(self):
        self.now = time.time()

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """The in-process cache's clock, so a test can let an hour pass."""
    fake = FakeClock()
    monkeypatch.setattr("django.core.cache.backends.locmem.time", fake)
    return fake


def test_an_address_gets_five_emails_an_hour_and_then_the_same_page_without_one(client, traveller, caplog):
    for _ in range(5):
        assert ask(client, traveller.work_email)["Location"] == SENT
    assert len(mail.outbox) == 5

    with caplog.at_level(logging.WARNING, logger="travelportal.accounts.throttling"):
        response = ask(client, traveller.work_email)

    assert response.status_code == 302
    assert response["Location"] == SENT
    assert len(mail.outbox) == 5
    assert "Password reset refused: more than 5 requests for one address in an hour" in caplog.text
    assert traveller.work_email not in caplog.text


def test_the_address_counts_whatever_its_case_and_spaces(client, traveller):
    for email in ["tom@acme.example", "TOM@acme.example", " Tom@Acme.Example ", "tom@ACME.example", "tOm@acme.example"]:
        ask(client, email)
    assert len(mail.outbox) == 5

    ask(client, "TOM@ACME.EXAMPLE")

    assert len(mail.outbox) == 5


def test_an_unknown_address_is_limited_the_same_and_answered_the_same(client, traveller, settings):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 2
    answers = [ask(client, "nobody@acme.example") for _ in range(3)]

    assert {(r.status_code, r["Location"]) for r in answers} == {(302, SENT)}
    assert mail.outbox == []


def test_one_address_over_its_limit_leaves_other_addresses_alone(client, traveller, acme_admin, settings):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 1
    ask(client, traveller.work_email)
    ask(client, traveller.work_email)

    ask(client, acme_admin.work_email)

    assert [m.to for m in mail.outbox] == [[traveller.work_email], [acme_admin.work_email]]


def test_a_client_ip_gets_twenty_requests_an_hour_across_addresses(client, traveller, caplog):
    for i in range(19):
        ask(client, f"someone-{i}@acme.example", ip="203.0.113.7")
    assert ask(client, traveller.work_email, ip="203.0.113.7")["Location"] == SENT
    assert len(mail.outbox) == 1

    with caplog.at_level(logging.WARNING, logger="travelportal.accounts.throttling"):
        response = ask(client, traveller.work_email, ip="203.0.113.7")

    assert response["Location"] == SENT
    assert len(mail.outbox) == 1
    assert "Password reset refused: more than 20 requests from 203.0.113.7 in an hour" in caplog.text
    # Another client is not affected.
    ask(client, traveller.work_email, ip="198.51.100.3")
    assert len(mail.outbox) == 2


def test_requests_refused_for_their_ip_do_not_use_up_the_address(client, traveller, settings):
    settings.PASSWORD_RESET_LIMIT_PER_IP = 1
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 2
    ask(client, "flood@acme.example", ip="203.0.113.7")
    for _ in range(5):
        ask(client, traveller.work_email, ip="203.0.113.7")
    assert mail.outbox == []

    ask(client, traveller.work_email, ip="198.51.100.3")
    ask(client, traveller.work_email, ip="198.51.100.4")

    assert len(mail.outbox) == 2


def test_the_limit_lifts_an_hour_after_the_first_request(client, traveller, settings, clock):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 1
    ask(client, traveller.work_email)
    clock.now += 3599
    ask(client, traveller.work_email)
    assert len(mail.outbox) == 1

    clock.now += 2
    ask(client, traveller.work_email)

    assert len(mail.outbox) == 2


def test_an_invalid_address_is_refused_as_before_and_does_not_count(client, traveller, settings):
    settings.PASSWORD_RESET_LIMIT_PER_IP = 1

    assert ask(client, "not an email").status_code == 200
    ask(client, traveller.work_email)

    assert len(mail.outbox) == 1


def test_resets_still_go_out_when_the_cache_is_unreachable(client, traveller, settings, caplog):
    # Nothing listens on the discard port of the loopback address: the connection is refused.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="travelportal.accounts.throttling"):
        response = ask(client, traveller.work_email)

    assert time.monotonic() - started < 2
    assert response["Location"] == SENT
    assert len(mail.outbox) == 1
    assert "Password-reset limits not applied: the cache is unreachable" in caplog.text


def settings_with(**environ: str) -> subprocess.CompletedProcess:
    """Load the settings in a fresh interpreter with only ``environ`` set."""
    probe = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.PASSWORD_RESET_LIMIT_PER_ADDRESS, s.PASSWORD_RESET_LIMIT_PER_IP)"
    )
    clean = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "travelportal.settings", "DEBUG": "1", **environ}
    return subprocess.run(
        [sys.executable, "-c", probe], cwd=BASE_DIR, env=clean, capture_output=True, text=True, timeout=60
    )


def test_the_limits_come_from_the_environment():
    assert settings_with().stdout.split() == ["5", "20"]
    assert settings_with(PASSWORD_RESET_LIMIT_PER_ADDRESS="3", PASSWORD_RESET_LIMIT_PER_IP="50").stdout.split() == [
        "3",
        "50",
    ]


@pytest.mark.parametrize("name", ["PASSWORD_RESET_LIMIT_PER_ADDRESS", "PASSWORD_RESET_LIMIT_PER_IP"])
@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_a_bad_limit_stops_start_up_naming_the_variable(name, value):
    result = settings_with(**{name: value})

    assert result.returncode != 0
    assert f"{name} must be" in result.stderr
