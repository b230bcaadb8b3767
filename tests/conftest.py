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
