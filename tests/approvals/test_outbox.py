"""People changes reach the approval processes through a durable, coalescing outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from approvals import tasks
from approvals.models import ApprovalProcess, PendingChainChange, ScheduledRebuild
from approvals.services import approval_settings, automatic_processes, chain_rebuilds, outbox
from tests.approvals.conftest import process_snapshot
from travelportal.companies.models import User
from travelportal.companies.signals import people_changed


@pytest.fixture
def enqueued(monkeypatch):
    """Record enqueued rebuild tasks instead of sending them to a broker."""
    calls = []
    monkeypatch.setattr(tasks.process_chain_changes, "apply_async", lambda args, **kw: calls.append(args))
    return calls


@pytest.fixture
def rebuilds(monkeypatch):
    """Count rebuilds, with the people each was asked about."""
    calls = []
    real = chain_rebuilds.rebuild_approval_processes

    def counting(*, company, user_ids=None):
        calls.append(None if user_ids is None else set(user_ids))
        return real(company=company, user_ids=user_ids)

    monkeypatch.setattr(chain_rebuilds, "rebuild_approval_processes", counting)
    return calls


def provision(company, capture, **fields):
    """What a SCIM write does: change people and send people_changed in one transaction."""
    with capture(execute=True), transaction.atomic():
        person = User.objects.create_user(fields.pop("username"), None, company=company, **fields)
        people_changed.send(sender=User, company_id=company.pk, user_ids=[person.pk])
    return person


def test_the_change_is_in_the_outbox_in_the_same_transaction(automated, enqueued):
    with transaction.atomic():
        person = User.objects.create_user("x@acme.example", None, company=automated)
        people_changed.send(sender=User, company_id=automated.pk, user_ids=[person.pk, person.pk])
        assert list(PendingChainChange.objects.values_list("user_id", flat=True)) == [person.pk]
        transaction.set_rollback(True)
    assert not PendingChainChange.objects.exists()
    assert enqueued == []


def test_five_hundred_reports_of_one_manager_run_one_rebuild(
    automated, make_person, enqueued, rebuilds, django_capture_on_commit_callbacks, monkeypatch
):
    # Coalescing is what is tested here, not the presumption that a task queued for
    # STALE_SCHEDULE was lost: provisioning 500 people may take longer than that on a
    # loaded machine.
    monkeypatch.setattr(outbox, "STALE_SCHEDULE", timedelta(hours=1))
    boss = provision(automated, django_capture_on_commit_callbacks, username="boss@acme.example")
    for n in range(500):
        provision(automated, django_capture_on_commit_callbacks, username=f"r{n}@acme.example", manager=boss)
    assert enqueued == [[automated.pk]]
    assert PendingChainChange.objects.count() == 501
    tasks.process_chain_changes.apply(args=[automated.pk])
    assert len(rebuilds) == 1
    assert len(rebuilds[0]) == 501
    assert len(process_snapshot(automated)[boss.pk][1]) == 500
    assert not PendingChainChange.objects.exists()
    assert not ScheduledRebuild.objects.exists()
    # The next change schedules a new task.
    provision(automated, django_capture_on_commit_callbacks, username="late@acme.example", manager=boss)
    assert enqueued == [[automated.pk], [automated.pk]]


def test_a_change_committed_while_the_task_runs_is_not_lost(automated, make_person, enqueued):
    boss = make_person("boss")
    first = make_person("first", manager=boss)
    outbox.record_people_changes(company_id=automated.pk, user_ids=[first.pk])
    real_rebuild = chain_rebuilds.rebuild_approval_processes
    late = {}

    def rebuild_and_meanwhile(*, company, user_ids=None):
        # A row that commits after the task read the outbox waits for the next run.
        result = real_rebuild(company=company, user_ids=user_ids)
        late["person"] = make_person("late", manager=boss)
        PendingChainChange.objects.create(company=company, user_id=late["person"].pk)
        return result

    services_rebuild = pytest.MonkeyPatch()
    services_rebuild.setattr(chain_rebuilds, "rebuild_approval_processes", rebuild_and_meanwhile)
    chain_rebuilds.process_pending_chain_changes(company_id=automated.pk)
    services_rebuild.undo()
    assert list(PendingChainChange.objects.values_list("user_id", flat=True)) == [late["person"].pk]
    chain_rebuilds.process_pending_chain_changes(company_id=automated.pk)
    assert process_snapshot(automated)[boss.pk][1] == {first.pk, late["person"].pk}


def test_a_broker_outage_loses_nothing_and_the_sweep_catches_up(
    automated, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(tasks.process_chain_changes, "apply_async", broker_down)
    boss = provision(automated, django_capture_on_commit_callbacks, username="boss@acme.example")
    report = provision(automated, django_capture_on_commit_callbacks, username="r@acme.example", manager=boss)
    assert User.objects.filter(pk=report.pk).exists()
    assert PendingChainChange.objects.count() == 2
    assert not ApprovalProcess.objects.exists()
    PendingChainChange.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    assert tasks.sweep_chain_changes.apply().get() == 1
    assert process_snapshot(automated)[boss.pk][1] == {report.pk}
    assert not PendingChainChange.objects.exists()


def test_the_first_change_after_the_broker_is_back_is_enqueued_at_once(
    automated, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []

    def broker_down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(tasks.process_chain_changes, "apply_async", broker_down)
    provision(automated, django_capture_on_commit_callbacks, username="boss@acme.example")
    assert not ScheduledRebuild.objects.exists()
    monkeypatch.setattr(tasks.process_chain_changes, "apply_async", lambda args, **kw: calls.append(args))
    provision(automated, django_capture_on_commit_callbacks, username="next@acme.example")
    assert calls == [[automated.pk]]
    assert PendingChainChange.objects.count() == 2


def test_a_stale_schedule_is_enqueued_again(automated, enqueued):
    ScheduledRebuild.objects.create(company=automated, scheduled_at=timezone.now())
    assert outbox.schedule_chain_rebuild(company_id=automated.pk) is False
    ScheduledRebuild.objects.update(scheduled_at=timezone.now() - timedelta(minutes=2))
    assert outbox.schedule_chain_rebuild(company_id=automated.pk) is True
    assert enqueued == [[automated.pk]]


def test_in_process_tasks_build_the_chain_right_after_the_commit(automated, django_capture_on_commit_callbacks):
    boss = provision(automated, django_capture_on_commit_callbacks, username="boss@acme.example")
    report = provision(automated, django_capture_on_commit_callbacks, username="r@acme.example", manager=boss)
    assert process_snapshot(automated)[boss.pk][1] == {report.pk}


def test_settings_changes_request_a_full_rebuild(automated, make_person, enqueued, rebuilds):
    boss = make_person("boss")
    make_person("r", manager=boss)
    approval_settings.update_approval_settings(
        company=automated, approvals_through_idp=True, auto_approval_processes=True, chain_depth=2,
        auto_process_trips="all",
    )  # fmt: skip
    chain_rebuilds.process_pending_chain_changes(company_id=automated.pk)
    assert rebuilds == [None]
    assert set(process_snapshot(automated)) == {boss.pk}


def test_the_periodic_repair_fixes_drift(automated, make_person):
    boss = make_person("boss")
    make_person("r", manager=boss)
    automatic_processes.rebuild_approval_processes(company=automated)
    ApprovalProcess.objects.filter(owner=boss).update(name="tampered")
    ApprovalProcess.objects.get(owner=boss).steps.all().delete()
    assert tasks.repair_all_chains.apply().get() == 1
    assert process_snapshot(automated)[boss.pk][0] == "Boss"
    assert process_snapshot(automated)[boss.pk][2] == ((frozenset({boss.pk}), False),)


def test_the_management_command_rebuilds_one_company(automated, make_person):
    from django.core.management import CommandError, call_command

    boss = make_person("boss")
    make_person("r", manager=boss)
    call_command("rebuild_approval_processes", "acme")
    assert set(process_snapshot(automated)) == {boss.pk}
    with pytest.raises(CommandError, match="No company"):
        call_command("rebuild_approval_processes", "nope")
    with pytest.raises(CommandError):
        call_command("rebuild_approval_processes")
