"""A cursor sync sees a change that commits late (issue 23, part 4): a writer changes a row
and waits before committing while another writer commits a later change and a reader
pages; the reader is not shown past the open transaction, and once it commits, the
reader's next page from its last cursor has the late change and the later one, once. A
timestamp cursor loses it: the late row's time is older than the position the reader
already holds. Also what the numbering costs writers (travelportal.companies.changes):
one number per transaction, and no writer waiting for another. Writers run in threads
with their own connections. Needs PostgreSQL: SQLite has one writer at a time, so no
change can commit late.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.utils import timezone

from travelportal.companies.models import CostCentre, User
from travelportal.companies.people import delete_person

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("late commits need concurrent PostgreSQL writers: set DATABASE_URL to a PostgreSQL database")


class HeldTransaction:
    """``change`` run in a thread's own transaction, which stays open, after the change
    (and after ``before_waiting``), until ``commit()``."""

    def __init__(self, change: Callable[[], object], before_waiting: Callable[[], object] = lambda: None):
        self._written, self._release = threading.Event(), threading.Event()
        self._errors: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, args=(change, before_waiting))

    def _run(self, change, before_waiting) -> None:
        try:
            with transaction.atomic():
                change()
                before_waiting()
                self._written.set()
                assert self._release.wait(timeout=20), "never released"
        except BaseException as exc:  # re-raised in the test's thread
            self._errors.append(exc)
            self._written.set()
        finally:
            connection.close()

    def __enter__(self) -> HeldTransaction:
        self._thread.start()
        assert self._written.wait(timeout=10), "the held writer never wrote"
        if self._errors:
            raise self._errors[0]
        return self

    def commit(self) -> None:
        self._release.set()
        self._thread.join(timeout=20)
        assert not self._thread.is_alive(), "the held writer never committed"
        if self._errors:
            raise self._errors[0]

    def __exit__(self, *exc_info) -> None:
        self._release.set()
        self._thread.join(timeout=20)


def page(api, path: str, cursor: str) -> tuple[list[dict], str]:
    envelope = path.rsplit("/", 1)[1]
    response = api.get(f"{path}?cursor={cursor}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["has_more"] is False
    return body[envelope], body["next_cursor"]


def _rename(centre_id: int, name: str) -> None:
    centre = CostCentre.objects.get(pk=centre_id)
    centre.name = name
    centre.save(update_fields=["name", "updated_at"])


def _archive_in_bulk(centre_id: int) -> None:
    now = timezone.now()
    CostCentre.objects.filter(pk=centre_id).update(archived_at=now, updated_at=now)


LATE_CHANGES = {
    "rename": (lambda pk: _rename(pk, "Late, renamed"), lambda centre: centre["name"] == "Late, renamed"),
    "bulk_archive": (_archive_in_bulk, lambda centre: centre["archived"] is True),
}


@pytest.mark.parametrize("late_change", LATE_CHANGES)
def test_a_late_commit_of_a_cost_centre_is_on_the_readers_next_page(late_change, api, company):
    late, early = (CostCentre.objects.create(company=company, name=n) for n in ("Late", "Early"))
    _, cursor = page(api, "/api/cost_centers", "")
    change, done = LATE_CHANGES[late_change]

    with HeldTransaction(lambda: change(late.pk)) as held:
        api.patch(f"/api/cost_centers/{early.pk}", {"name": "Early, renamed"})
        # The later change has committed, but a page past it would pass the late one's
        # number too: the reader is shown neither yet (delayed, not lost).
        seen, cursor = page(api, "/api/cost_centers", cursor)
        assert seen == []
        held.commit()

    seen, cursor = page(api, "/api/cost_centers", cursor)
    assert [c["id"] for c in seen] == [late.pk, early.pk] and done(seen[0])
    assert seen[1]["name"] == "Early, renamed"
    assert page(api, "/api/cost_centers", cursor)[0] == []


def test_a_late_deletion_is_a_tombstone_on_the_readers_next_page(api, company, traveller, acme_admin):
    _, cursor = page(api, "/api/users", "")

    with HeldTransaction(lambda: delete_person(user=User.objects.get(pk=traveller.pk))) as held:
        admin = User.objects.get(pk=acme_admin.pk)
        admin.title = "Head of travel"
        admin.save(update_fields=["title", "updated_at"])
        seen, cursor = page(api, "/api/users", cursor)
        assert seen == []
        held.commit()

    seen, cursor = page(api, "/api/users", cursor)
    assert [(u["id"], set(u)) for u in seen[:1]] == [(str(traveller.pk), {"id", "deleted_at"})]
    assert [(u["id"], u["job_title"]) for u in seen[1:]] == [(str(acme_admin.pk), "Head of travel")]
    assert page(api, "/api/users", cursor)[0] == []


def _number(centre_id: int) -> int:
    return CostCentre.objects.values_list("change_seq", flat=True).get(pk=centre_id)


def test_a_row_changed_many_times_in_a_transaction_carries_its_one_number_and_holds_back_later_commits(api, company):
    many, other = (CostCentre.objects.create(company=company, name=n) for n in ("Many", "Other"))
    _, cursor = page(api, "/api/cost_centers", "")

    def five_changes() -> None:
        for n in range(5):
            _rename(many.pk, f"Many {n}")

    with HeldTransaction(five_changes) as held:
        _rename(other.pk, "Other, renamed")
        # Other's change committed after Many's transaction began: it waits above the
        # horizon, with the open transaction's number below it.
        assert page(api, "/api/cost_centers", cursor)[0] == []
        held.commit()

    centres, _ = page(api, "/api/cost_centers", cursor)
    assert [(c["id"], c["name"]) for c in centres] == [(many.pk, "Many 4"), (other.pk, "Other, renamed")]
    assert _number(many.pk) < _number(other.pk)


def test_numbering_makes_no_writer_wait_for_another(company, other_company):
    first, second = (CostCentre.objects.create(company=company, name=n) for n in ("First", "Second"))
    elsewhere = CostCentre.objects.create(company=other_company, name="Elsewhere")

    with HeldTransaction(lambda: _rename(first.pk, "First, renamed")) as held:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        try:
            # Committed at once, while the other transaction of the same company is open.
            _rename(second.pk, "Second, renamed")
            _rename(elsewhere.pk, "Elsewhere, renamed")
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
        held.commit()

    assert _number(first.pk) < _number(second.pk) < _number(elsewhere.pk)
