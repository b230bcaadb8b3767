"""The shared persona world: two companies, an admin and a traveller of Acme, and an
admin of Globex (the "other company" every isolation test needs)."""

from __future__ import annotations

import pytest

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _static_files_without_manifest(settings):
    # Tests run with DEBUG off, where {% static %} needs collectstatic's manifest; tests do
    # not run collectstatic, so they resolve static URLs plainly. The manifest storage and
    # WhiteNoise serving are checked in tests/companysettings/test_static_files.py.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    """Every test starts with full request buckets: its own key prefix in Redis (company
    ids repeat across runs), and empty in-process buckets."""
    import uuid

    from travelportal.companies import rate_limits

    settings.RATE_LIMIT_KEY_PREFIX = f"test-ratelimit-{uuid.uuid4().hex}"
    rate_limits._memory.reset()


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """Every test gets an empty in-process cache of its own, even when REDIS_URL is set (as
    in CI): counters such as the password-reset limits never carry over between tests."""
    import uuid

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }


@pytest.fixture
def company(db):
    from travelportal.companies.models import Company

    return Company.objects.create(name="Acme", slug="acme", scim_enabled=True)


@pytest.fixture
def other_company(db):
    from travelportal.companies.models import Company

    return Company.objects.create(name="Globex", slug="globex", scim_enabled=True)


@pytest.fixture
def acme_admin(company):
    from travelportal.companies.models import User

    return User.objects.create_user(
        "alice@acme.example",
        PASSWORD,
        company=company,
        role=User.Role.ADMIN,
        given_name="Alice",
        family_name="Admin",
        work_email="alice@acme.example",
    )


@pytest.fixture
def traveller(company):
    from travelportal.companies.models import User

    return User.objects.create_user(
        "tom@acme.example",
        PASSWORD,
        company=company,
        role=User.Role.TRAVELLER,
        given_name="Tom",
        family_name="Traveller",
        work_email="tom@acme.example",
    )


@pytest.fixture
def other_admin(other_company):
    from travelportal.companies.models import User

    return User.objects.create_user(
        "olga@globex.example",
        PASSWORD,
        company=other_company,
        role=User.Role.ADMIN,
        given_name="Olga",
        family_name="Other",
        work_email="olga@globex.example",
    )


@pytest.fixture
def staff_user(db):
    from travelportal.companies.models import User

    return User.objects.create_user("support@travelportal.example", PASSWORD, is_staff=True, is_superuser=True)


def signed_in_client(user):
    """A test client signed in as ``user`` through the portal's userName backend."""
    from django.test import Client

    client = Client()
    client.force_login(user, backend="travelportal.accounts.backends.UserNameBackend")
    return client


# Named for the persona, not admin_client/admin_user, which are pytest-django's own
# (a Django superuser) and must not be shadowed.
@pytest.fixture
def acme_admin_client(acme_admin):
    return signed_in_client(acme_admin)


@pytest.fixture
def traveller_client(traveller):
    return signed_in_client(traveller)


@pytest.fixture
def other_admin_client(other_admin):
    return signed_in_client(other_admin)


@pytest.fixture
def staff_client(staff_user):
    return signed_in_client(staff_user)


@pytest.fixture
def scim_token(company):
    """A secret SCIM token of Acme with every SCIM scope (the plain value)."""
    from travelportal.tokens.models import Credential
    from travelportal.tokens.services import issue_credential

    _, raw = issue_credential(company=company, kind=Credential.Kind.SCIM_TOKEN, name="tests")
    return raw


@pytest.fixture
def other_scim_token(other_company):
    from travelportal.tokens.models import Credential
    from travelportal.tokens.services import issue_credential

    _, raw = issue_credential(company=other_company, kind=Credential.Kind.SCIM_TOKEN, name="tests")
    return raw


@pytest.fixture
def people_changed_signals():
    """Every ``people_changed`` sent during the test, as (company id, sorted user ids)."""
    from travelportal.companies.signals import people_changed

    received = []

    def receiver(sender, **kwargs):
        received.append((kwargs["company_id"], sorted(str(i) for i in kwargs["user_ids"])))

    people_changed.connect(receiver, dispatch_uid="tests.people_changed_signals")
    yield received
    people_changed.disconnect(dispatch_uid="tests.people_changed_signals")


@pytest.fixture(autouse=True)
def celery_in_process():
    """Run Celery tasks in-process even when REDIS_URL is set (as in CI): tests, live servers
    included, see background work (approval chains after SCIM or settings changes) done when
    the request returns, and no test leaves tasks in Redis. The real-worker test turns it off."""
    from django.test import override_settings

    from travelportal.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    # Not the embedded default's deferred rebuild thread either (tests/approvals/
    # test_embedded_coalescing.py turns it on).
    with override_settings(APPROVALS_REBUILD_IN_THREAD=False):
        yield
    app.conf.task_always_eager = before


# --- Approvals and a real Celery worker, shared by tests/approvals and tests/operations --


@pytest.fixture
def automated(company):
    """Acme with automatic approval processes on (chain depth 1, all trips): people
    changes enqueue chain rebuilds."""
    company.approvals_through_idp = True
    company.auto_approval_processes = True
    company.save()
    return company


def database_url() -> str:
    """The test database as a URL, for processes the test starts (a Celery worker)."""
    from urllib.parse import quote

    from django.db import connection

    s = connection.settings_dict
    auth = quote(s["USER"] or "postgres") + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker(monkeypatch, settings):
    """A real ``celery -A travelportal worker`` on a queue of its own, against Redis and the
    test database, logging JSON lines to a pipe (``worker.stdout``); the tail of what it
    said is printed when it stops. Skipped, saying why, without Redis or PostgreSQL."""
    import os
    import subprocess
    import sys
    import uuid
    from functools import partial
    from pathlib import Path

    from django.db import connection

    from approvals import tasks
    from travelportal.celery import app as celery_app

    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL is unset: the real Celery worker test needs Redis (CI sets it)")
    if connection.vendor != "postgresql":
        pytest.skip("a worker process must see the test database: set DATABASE_URL to PostgreSQL")
    # A queue of our own, so no other worker on this Redis takes our tasks.
    queue = f"tp-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(
        tasks.process_chain_changes, "apply_async", partial(tasks.process_chain_changes.apply_async, queue=queue)
    )
    settings.APPROVALS_COALESCE_SECONDS = 0.2
    # Tests run tasks in-process by default (_eager_celery below); these send them to Redis.
    celery_app.conf.task_always_eager = False  # the autouse fixture restores it
    env = {
        **os.environ,
        "DEBUG": "0",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "APPROVALS_COALESCE_MS": "200",
        "DJANGO_SETTINGS_MODULE": "travelportal.settings",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "travelportal", "worker", "-Q", queue, "--pool", "solo",
         "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=Path(__file__).resolve().parents[1], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    yield process
    process.terminate()
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    print(output[-5000:])
