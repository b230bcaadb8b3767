"""A group deleted over SCIM while an admin saves a process naming it: the two queue on the
group's row (save_process locks its groups before its process, as delete_group does), so
neither deadlocks nor fails on a foreign key, and the process ends active exactly when it
has requesters. Needs PostgreSQL: SQLite serialises writers anyway."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from approvals.models import ApprovalProcess
from approvals.services.manual_processes import save_process
from travelportal.companies.groups import GroupData, create_group, delete_group
from travelportal.companies.models import Group

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writes need PostgreSQL row locks: set DATABASE_URL to a PostgreSQL database")


def race(**writes) -> dict[str, str]:
    """Run the writes in threads released at the same instant; return how each ended."""
    barrier = threading.Barrier(len(writes))
    outcomes: dict[str, str] = {}

    def run(name, write):
        try:
            barrier.wait()
            write()
            outcomes[name] = "done"
        except ValidationError as error:
            outcomes[name] = f"refused: {' '.join(error.messages)}"
        except Exception as error:  # a deadlock or an IntegrityError would land here
            outcomes[name] = f"failed: {type(error).__name__}: {error}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in writes.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.parametrize("attempt", range(5))
def test_deleting_a_group_while_a_process_naming_it_is_saved(company, traveller, acme_admin, attempt):
    sales = create_group(company=company, data=GroupData(display_name="Sales", members=[str(traveller.pk)]))
    support = create_group(company=company, data=GroupData(display_name="Support"))
    process = save_process(
        company=company, name="Sales trips", kind="manual", requesters=[], requester_groups=[sales],
        steps=[[acme_admin]],
    )  # fmt: skip

    outcomes = race(
        delete=lambda: delete_group(group=Group.objects.get(pk=sales.pk)),
        save=lambda: save_process(
            company=company,
            process=ApprovalProcess.objects.get(pk=process.pk),
            name="Sales and support",
            kind="manual",
            requesters=[],
            requester_groups=[sales, support],
            steps=[[acme_admin]],
        ),
    )

    assert outcomes["delete"] == "done"
    assert outcomes["save"] in ("done", "refused: This group was deleted meanwhile: Sales."), outcomes
    process.refresh_from_db()
    assert not Group.objects.filter(pk=sales.pk).exists()
    groups = list(process.requester_groups.all())
    if outcomes["save"] == "done":
        # The save went first; the deletion then took Sales out and left Support.
        assert (process.name, groups, process.is_active) == ("Sales and support", [support], True)
    else:
        # The deletion went first and left the process with nobody; the save changed nothing.
        assert (process.name, groups, process.is_active) == ("Sales trips", [], False)


@pytest.mark.parametrize("attempt", range(3))
def test_deleting_a_group_while_the_process_drops_it_for_a_person(company, traveller, acme_admin, attempt):
    sales = create_group(company=company, data=GroupData(display_name="Sales"))
    process = save_process(
        company=company, name="Sales trips", kind="manual", requesters=[], requester_groups=[sales],
        steps=[[acme_admin]],
    )  # fmt: skip

    outcomes = race(
        delete=lambda: delete_group(group=Group.objects.get(pk=sales.pk)),
        save=lambda: save_process(
            company=company,
            process=ApprovalProcess.objects.get(pk=process.pk),
            name="Tom's trips",
            kind="manual",
            requesters=[traveller],
            requester_groups=[],
            steps=[[acme_admin]],
        ),
    )

    assert outcomes == {"delete": "done", "save": "done"}
    process.refresh_from_db()
    assert (process.name, list(process.requesters.all()), process.is_active) == ("Tom's trips", [traveller], True)
    assert not process.requester_groups.exists()
