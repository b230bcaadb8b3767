"""`manage.py check --deploy` under the production settings (issue 21): clean, every
silenced check named in settings with its reason; and the https redirect it asks for."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.conf import settings

from tests.foundation.test_settings import BASE_DIR, KEY_A

PRODUCTION = {
    "PATH": "/usr/bin:/bin",
    "DJANGO_SETTINGS_MODULE": "travelportal.settings",
    "DEBUG": "0",
    "SECRET_KEY": "a-production-like-secret-key-of-more-than-fifty-characters-3f9c1e7b2d",
    "FIELD_ENCRYPTION_KEYS": KEY_A,
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "ALLOWED_HOSTS": "travel.example.com",
}


def check_deploy(**environ: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env={**PRODUCTION, **environ},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_no_issue_under_the_production_settings():
    result = check_deploy()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_check_deploy_would_report_an_http_site():
    # The check itself sees the setting: switched off, it warns (security.W008).
    result = check_deploy(SECURE_SSL_REDIRECT="0")

    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


def test_only_the_named_deploy_checks_are_silenced():
    assert set(settings.SILENCED_SYSTEM_CHECKS) == {
        "auth.W004",
        "oauth2_provider.E001",
        "security.W021",
        "oauth2_provider.W007",
    }


@pytest.fixture
def https_only(settings):
    settings.SECURE_SSL_REDIRECT = True


def test_pages_redirect_to_https(client, db, https_only):
    response = client.get("/accounts/login/")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"


@pytest.mark.parametrize("path", ["/health/live", "/health/"])
def test_health_probes_over_http_are_not_redirected(client, db, https_only, path):
    response = client.get(path)

    assert response.status_code != 301


def test_a_metrics_scrape_over_http_is_not_redirected_and_still_needs_its_token(client, db, https_only, settings):
    settings.METRICS_TOKEN = "metrics-test-token-0123456789"
    settings.METRICS_ALLOWED_IPS = []

    assert client.get("/metrics").status_code not in (301, 200)
    scraped = client.get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-test-token-0123456789")
    assert scraped.status_code == 200
