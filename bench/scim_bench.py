"""Throughput of the SCIM Users API, in-process through Django's test client.

Provisions N people (every attribute of the TravelPerk mapping) into a throw-away test
database, then measures requests per second for POST, GET by id, filtered GET (Entra's
``userName eq``) and PATCH, and the peak memory (tracemalloc) of one list page of the
largest size (timed without tracemalloc, best of three). See bench/README.md.

    PYTHONPATH=. .venv/bin/python bench/scim_bench.py --users 2000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tp_bench PYTHONPATH=. .venv/bin/python bench/scim_bench.py
"""

from __future__ import annotations

import argparse
import json
import os
import time
import tracemalloc
from collections.abc import Callable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "travelportal.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "vHkdjbmr2hdq32fITgWVeV-_DUUL1zCKSKYCgMZd_Mo=")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
# The benchmark measures the portal, not the per-company rate limit it would hit.
os.environ.setdefault("SCIM_RATE_LIMIT_PER_SECOND", "0")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
TRAVELPERK = "urn:ietf:params:scim:schemas:extension:travelperk:2.0:User"


def body(n: int) -> dict:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE, TRAVELPERK],
        "userName": f"person{n}@bench.example",
        "externalId": f"E{n}",
        "active": True,
        "name": {"honorificPrefix": "Ms", "givenName": f"Given{n}", "middleName": "M", "familyName": f"Family{n}"},
        "preferredLanguage": "en-GB",
        "locale": "en-GB",
        "title": "Engineer",
        "phoneNumbers": [{"type": "work", "value": "+44 20 7946 0000"}],
        "emails": [{"primary": True, "type": "work", "value": f"person{n}@bench.example"}],
        ENTERPRISE: {"costCenter": f"CC{n % 20}"},
        TRAVELPERK: {
            "gender": "F",
            "dateOfBirth": "1985-04-12",
            "travelPolicy": "Standard",
            "invoiceProfiles": [{"value": "Bench Ltd"}],
            "emergencyContact": {"name": "Bob", "phone": "+34 600 000 000"},
        },
    }


def timed(label: str, count: int, call: Callable[[int], object], results: dict) -> None:
    started, cpu_started = time.perf_counter(), time.process_time()
    for n in range(count):
        call(n)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    results[label] = round(count / elapsed, 1)
    # CPU time of this process per request: what the portal costs on a machine that is not
    # shared (wall-clock figures drop when other processes compete for the CPU).
    print(
        f"{label:<28} {count:>6} requests  {elapsed:7.2f} s  {count / elapsed:8.1f} req/s"
        f"  {cpu / count * 1000:6.1f} ms CPU/request"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    args = parser.parse_args()

    setup_test_environment()
    settings.DEBUG = False
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args.users)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(users: int) -> None:
    from travelportal.companies.models import Company, InvoiceProfile, TravelPolicy
    from travelportal.tokens.models import Credential
    from travelportal.tokens.services import issue_credential

    company = Company.objects.create(name="Bench", slug="bench", scim_enabled=True)
    TravelPolicy.objects.create(company=company, name="Standard")
    InvoiceProfile.objects.create(company=company, name="Bench Ltd")
    _, raw = issue_credential(company=company, kind=Credential.Kind.SCIM_TOKEN, name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    ids: list[str] = []
    results: dict[str, float] = {}
    print(f"database: {connection.vendor}, users: {users}")

    def post(n: int) -> None:
        response = client.post("/scim/v2/Users", json.dumps(body(n)), content_type="application/scim+json")
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])

    def get(n: int) -> None:
        assert client.get(f"/scim/v2/Users/{ids[n]}").status_code == 200

    def find(n: int) -> None:
        response = client.get("/scim/v2/Users", {"filter": f'userName eq "PERSON{n}@bench.example"'})
        assert response.json()["totalResults"] == 1

    def patch(n: int) -> None:
        operations = [
            {"op": "Replace", "path": "title", "value": f"Title {n}"},
            {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": ids[(n + 1) % len(ids)]},
        ]
        response = client.patch(
            f"/scim/v2/Users/{ids[n]}", json.dumps({"Operations": operations}), content_type="application/scim+json"
        )
        assert response.status_code == 200, response.content

    timed("POST /Users", users, post, results)
    timed("GET /Users/{id}", users, get, results)
    timed("GET /Users?filter=userName", users, find, results)
    timed("PATCH /Users/{id}", users, patch, results)

    page = settings.SCIM_MAX_PAGE_SIZE
    # Timed without tracemalloc (which slows allocation-heavy code several times over),
    # best of three; then once more under tracemalloc for the peak memory.
    times = []
    for _ in range(3):
        started = time.perf_counter()
        response = client.get("/scim/v2/Users", {"count": page})
        times.append(time.perf_counter() - started)
    assert response.json()["itemsPerPage"] == min(page, users)
    tracemalloc.start()
    client.get("/scim/v2/Users", {"count": page})
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"list page of {page}: {min(times) * 1000:.0f} ms, peak memory {peak / 1024 / 1024:.1f} MiB (tracemalloc)")


if __name__ == "__main__":
    main()
