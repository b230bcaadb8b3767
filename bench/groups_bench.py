"""Large SCIM groups, in-process through Django's test client: a group of N members
(default 10,000) filled in Entra-sized PATCH batches, then read back.

Reports the time per batch of member adds (which must not grow with the group), and the
time of ``GET /Groups/{id}?excludedAttributes=members`` for the full group as a ratio to
the same request for an empty group measured in the same run (the headline: about 1.0),
plus the time and peak memory (tracemalloc) of reading the full group with its members.

    PYTHONPATH=. .venv/bin/python bench/groups_bench.py --members 10000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tp_groups_bench PYTHONPATH=. .venv/bin/python bench/groups_bench.py
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import tracemalloc

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

BATCH = 100  # members per PATCH, as Entra sends them
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30, help="reads per timed figure (median)")
    args = parser.parse_args()

    setup_test_environment()
    settings.DEBUG = False
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args.members, args.repeat)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def median_ms(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def run(members: int, repeat: int) -> None:
    from travelportal.companies.models import Company, User
    from travelportal.tokens.models import Credential
    from travelportal.tokens.services import issue_credential

    company = Company.objects.create(name="Bench", slug="bench", scim_enabled=True)
    _, raw = issue_credential(company=company, kind=Credential.Kind.SCIM_TOKEN, name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    people = User.objects.bulk_create(
        [User(company=company, username=f"m{n}@bench.example", given_name=f"M{n}") for n in range(members)],
        batch_size=2000,
    )
    print(f"database: {connection.vendor}, members: {members}")

    def create(name: str) -> str:
        response = client.post("/scim/v2/Groups", json.dumps({"schemas": [GROUP], "displayName": name}),
                               content_type="application/scim+json")  # fmt: skip
        assert response.status_code == 201, response.content
        return response.json()["id"]

    empty, full = create("Empty"), create("Everyone")
    batch_times = []
    for start in range(0, members, BATCH):
        value = [{"value": str(p.pk), "$ref": None} for p in people[start : start + BATCH]]
        body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "Add", "path": "members", "value": value}]}  # fmt: skip
        started = time.perf_counter()
        response = client.patch(f"/scim/v2/Groups/{full}", json.dumps(body), content_type="application/scim+json")
        batch_times.append(time.perf_counter() - started)
        assert response.status_code == 204, response.content
    first, last = batch_times[: len(batch_times) // 10 or 1], batch_times[-(len(batch_times) // 10 or 1) :]
    early, late = statistics.median(first), statistics.median(last)
    print(
        f"PATCH add {BATCH} members: first tenth {early * 1000:.1f} ms, "
        f"last tenth {late * 1000:.1f} ms (ratio {late / early:.2f})"
    )

    def read(group_id: str, **params) -> None:
        response = client.get(f"/scim/v2/Groups/{group_id}", params)
        assert response.status_code == 200, response.content

    empty_ms = median_ms(lambda: read(empty, excludedAttributes="members"), repeat)
    full_ms = median_ms(lambda: read(full, excludedAttributes="members"), repeat)
    print(
        f"GET excludedAttributes=members: empty group {empty_ms:.2f} ms, {members}-member group {full_ms:.2f} ms "
        f"(ratio {full_ms / empty_ms:.2f})"
    )
    with_members_ms = median_ms(lambda: read(full), max(3, repeat // 10))
    tracemalloc.start()
    read(full)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    response = client.get(f"/scim/v2/Groups/{full}")
    assert len(response.json()["members"]) == members
    print(f"GET with all {members} members: {with_members_ms:.0f} ms, peak memory {peak / 1024 / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
