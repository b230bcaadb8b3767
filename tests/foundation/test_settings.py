from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from travelportal import env

BASE_DIR = Path(__file__).resolve().parents[2]
# Fernet keys for these start-ups only.
KEY_A = "ZbU9YXrxK849FgCx4vIFEnKI-R9WKtk3LCa_Je2w2EU="
KEY_B = "vHkdjbmr2hdq32fITgWVeV-_DUUL1zCKSKYCgMZd_Mo="

# Prints what the settings resolved to, after Django has set itself up.
PROBE = """
import json, django
django.setup()
from django.conf import settings
print("PROBE" + json.dumps({
    "debug": settings.DEBUG,
    "engine": settings.DATABASES["default"]["ENGINE"],
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "broker": settings.CELERY_BROKER_URL,
}))
"""


def start(**environ: str) -> subprocess.CompletedProcess:
    """Load the settings in a fresh interpreter with only ``environ`` set."""
    clean = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "travelportal.settings", **environ}
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=BASE_DIR, env=clean, capture_output=True, text=True, timeout=60
    )


def probe(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.removeprefix("PROBE"))


@pytest.mark.parametrize(
    ("call", "value", "message"),
    [
        (lambda: env.env_bool("DEBUG"), "perhaps", "DEBUG must be a boolean"),
        (lambda: env.env_int("AXES_FAILURE_LIMIT", 5), "five", "AXES_FAILURE_LIMIT must be an integer"),
        (lambda: env.env_list("ALLOWED_HOSTS", []), " , ", "ALLOWED_HOSTS must be a comma-separated list"),
        (lambda: env.env_database("DATABASE_URL", "sqlite://"), "nosuchdb://x/y", "DATABASE_URL"),
        (lambda: env.env_redis_url("REDIS_URL"), "http://127.0.0.1:6379/0", "REDIS_URL must be a redis://"),
    ],
)
def test_each_reader_rejects_a_bad_value_naming_the_variable(call, value, message, monkeypatch):
    name = message.split()[0]
    monkeypatch.setenv(name, value)

    with pytest.raises(ImproperlyConfigured) as excinfo:
        call()

    assert message in str(excinfo.value)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DEBUG", "TRUE", True),
        ("DEBUG", "0", False),
        ("AXES_FAILURE_LIMIT", "7", 7),
        ("ALLOWED_HOSTS", "a.example, b.example", ["a.example", "b.example"]),
        ("REDIS_URL", "redis://127.0.0.1:6379/3", "redis://127.0.0.1:6379/3"),
    ],
)
def test_readers_accept_good_values(name, value, expected, monkeypatch):
    monkeypatch.setenv(name, value)
    readers = {
        "DEBUG": lambda: env.env_bool(name),
        "AXES_FAILURE_LIMIT": lambda: env.env_int(name, 5),
        "ALLOWED_HOSTS": lambda: env.env_list(name, []),
        "REDIS_URL": lambda: env.env_redis_url(name),
    }

    assert readers[name]() == expected


def test_readers_fall_back_to_their_defaults_when_unset(monkeypatch):
    for name in ("DEBUG", "AXES_FAILURE_LIMIT", "ALLOWED_HOSTS", "REDIS_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)

    assert env.env_bool("DEBUG") is False
    assert env.env_int("AXES_FAILURE_LIMIT", 5) == 5
    assert env.env_list("ALLOWED_HOSTS", ["x"]) == ["x"]
    assert env.env_redis_url("REDIS_URL") is None
    assert env.env_database("DATABASE_URL", "sqlite:////tmp/x.sqlite3")["ENGINE"] == "django.db.backends.sqlite3"


def test_production_refuses_to_start_without_a_secret_key():
    result = start()

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
    assert "PROBE" not in result.stdout


def test_production_refuses_to_start_without_field_encryption_keys():
    result = start(SECRET_KEY="x" * 50)

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS must be set when DEBUG is off" in result.stderr
    assert "PROBE" not in result.stdout


def test_production_refuses_a_field_encryption_key_that_is_not_a_fernet_key():
    result = start(SECRET_KEY="x" * 50, FIELD_ENCRYPTION_KEYS=f"{KEY_A},not-a-key")

    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert "FIELD_ENCRYPTION_KEYS must be comma-separated Fernet keys" in last
    assert "key 2 is not one" in last
    assert "not-a-key" not in result.stderr


def test_debug_without_field_encryption_keys_derives_a_development_key_from_the_secret_key():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "from travelportal.sealing.keys import development_key; "
            "print(settings.FIELD_ENCRYPTION_KEYS == [development_key(settings.SECRET_KEY)])",
        ],
        cwd=BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "travelportal.settings", "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_debug_starts_without_any_environment_on_sqlite_with_in_process_tasks():
    settings = probe(start(DEBUG="1"))

    assert settings == {
        "debug": True,
        "engine": "django.db.backends.sqlite3",
        "eager": True,
        "broker": "memory://",
    }


def test_production_starts_with_a_secret_key_postgres_and_redis():
    settings = probe(
        start(
            SECRET_KEY="x" * 50,
            FIELD_ENCRYPTION_KEYS=f"{KEY_A},{KEY_B}",
            DATABASE_URL="postgres://postgres@127.0.0.1:5432/whatever",
            REDIS_URL="redis://127.0.0.1:6379/0",
        )
    )

    assert settings == {
        "debug": False,
        "engine": "django.db.backends.postgresql",
        "eager": False,
        "broker": "redis://127.0.0.1:6379/0",
    }


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "perhaps"),
        ("DATABASE_URL", "nosuchdb://x/y"),
        ("REDIS_URL", "http://127.0.0.1:6379/0"),
        ("AXES_FAILURE_LIMIT", "five"),
        ("ALLOWED_HOSTS", ","),
    ],
)
def test_a_bad_value_stops_start_up_with_a_message_naming_the_variable(name, value):
    result = start(**{"DEBUG": "1", name: value})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr.strip().splitlines()[-1]


def test_start_up_prints_nothing_on_stdout():
    # Commands such as issue_scim_token print one value alone on stdout; django-axes'
    # start-up banner would corrupt it.
    result = start(DEBUG="1")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("PROBE")


PROXY_PROBE = """
import django
django.setup()
from django.conf import settings
print("PROBE", repr(settings.SECURE_PROXY_SSL_HEADER), [str(n) for n in settings.TRUSTED_PROXIES])
"""


@pytest.mark.parametrize(
    ("trusted", "expected"),
    [
        (None, "PROBE None []"),
        ("", "PROBE None []"),
        ("10.0.0.5, 10.1.0.0/16", "PROBE ('HTTP_X_FORWARDED_PROTO', 'https') ['10.0.0.5/32', '10.1.0.0/16']"),
    ],
)
def test_the_forwarded_proto_header_is_believed_only_behind_trusted_proxies(trusted, expected):
    environ = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "travelportal.settings", "DEBUG": "1"}
    if trusted is not None:
        environ["TRUSTED_PROXIES"] = trusted
    result = subprocess.run(
        [sys.executable, "-c", PROXY_PROBE], cwd=BASE_DIR, env=environ, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_a_trusted_proxy_that_is_no_address_stops_start_up():
    result = start(DEBUG="1", TRUSTED_PROXIES="proxy.internal")

    assert result.returncode != 0
    assert "TRUSTED_PROXIES must be comma-separated IP addresses or networks" in result.stderr
