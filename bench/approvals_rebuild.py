"""Time approval-chain rebuilds over a generated org tree.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tp_bench SECRET_KEY=x \
        FIELD_ENCRYPTION_KEYS=vHkdjbmr2hdq32fITgWVeV-_DUUL1zCKSKYCgMZd_Mo= \
        .venv/bin/python bench/approvals_rebuild.py --people 5000 --branching 8 --depth 3

Everything runs inside one transaction that is rolled back, so the database is left as
it was (run ``migrate`` on it first).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "travelportal.settings")


class Rollback(Exception):
    pass


def timed(label: str, func):
    start = time.perf_counter()
    result = func()
    print(f"{label:<55} {time.perf_counter() - start:8.3f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--branching", type=int, default=8)
    parser.add_argument("--depth", type=int, default=3, choices=[1, 2, 3])
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import transaction

    from approvals.models import ApprovalProcess, PendingChainChange
    from approvals.services.automatic_processes import rebuild_approval_processes
    from approvals.services.chain_rebuilds import process_pending_chain_changes
    from travelportal.companies.models import Company, User

    try:
        with transaction.atomic():
            company = Company.objects.create(
                name="Bench", slug=f"bench-{time.time_ns()}", approvals_through_idp=True,
                auto_approval_processes=True, approval_chain_depth=args.depth,
            )  # fmt: skip
            User.objects.create_user(f"admin@{company.slug}.example", None, company=company, role="admin")

            def create_people() -> list[User]:
                people: list[User] = []
                for n in range(args.people):
                    manager = people[(n - 1) // args.branching] if n else None
                    people.append(
                        User(
                            company=company,
                            username=f"p{n}@{company.slug}.example",
                            given_name=f"P{n}",
                            manager=manager,
                        )
                    )
                User.objects.bulk_create(people, batch_size=1000)
                return people

            people = timed(f"create {args.people} people (branching {args.branching})", create_people)
            PendingChainChange.objects.bulk_create(
                [PendingChainChange(company=company, user_id=p.pk) for p in people], batch_size=1000
            )
            result = timed(
                f"initial sync: one coalesced rebuild of {args.people} changes",
                lambda: process_pending_chain_changes(company_id=company.pk),
            )
            print(f"  {len(result.created)} automatic processes created")
            timed("full rebuild with nothing to change", lambda: rebuild_approval_processes(company=company))
            middle = people[1]
            User.objects.filter(pk=middle.pk).update(is_active=False)
            result = timed(
                "incremental rebuild after deactivating a top manager",
                lambda: rebuild_approval_processes(company=company, user_ids=[middle.pk]),
            )
            print(f"  {result.owners_checked} owners checked, {len(result.updated)} updated")
            leaf = people[-1]
            User.objects.filter(pk=leaf.pk).update(is_active=False)
            result = timed(
                "incremental rebuild after deactivating a leaf",
                lambda: rebuild_approval_processes(company=company, user_ids=[leaf.pk]),
            )
            print(f"  {result.owners_checked} owners checked, {len(result.updated)} updated")
            print(f"{ApprovalProcess.objects.filter(company=company).count()} processes in the end")
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
