"""Automatic processes following the people data, incrementally and in full."""

from __future__ import annotations

from approvals.models import ApprovalProcess, ApprovalStep
from approvals.services.automatic_processes import rebuild_approval_processes
from tests.approvals.conftest import process_snapshot
from travelportal.companies.models import User
from travelportal.provisioning.models import ProvisioningLogEntry


def test_each_manager_with_active_reports_gets_one_named_automatic_process(automated, make_person, acme_admin):
    boss = make_person("boss")
    mia = make_person("mia", manager=boss)
    make_person("rob", manager=mia)
    make_person("sam", manager=mia)
    rebuild_approval_processes(company=automated)
    snapshot = process_snapshot(automated)
    assert set(snapshot) == {boss.pk, mia.pk}
    name, requesters, steps = snapshot[mia.pk]
    assert name == "Mia"
    assert len(requesters) == 2
    assert steps == ((frozenset({mia.pk}), False),)


def test_depth_three_chains_name_three_approvers(automated, make_person):
    automated.approval_chain_depth = 3
    automated.save()
    a = make_person("a")
    b = make_person("b", manager=a)
    c = make_person("c", manager=b)
    make_person("d", manager=c)
    rebuild_approval_processes(company=automated)
    assert process_snapshot(automated)[c.pk][2] == (
        (frozenset({c.pk}), False),
        (frozenset({b.pk}), False),
        (frozenset({a.pk}), False),
    )


def test_a_rebuild_twice_writes_nothing_the_second_time(automated, make_person):
    boss = make_person("boss")
    make_person("r", manager=boss)
    assert rebuild_approval_processes(company=automated).created == {boss.pk}
    again = rebuild_approval_processes(company=automated)
    assert not again.changed


def test_a_deactivated_manager_passes_the_step_to_the_next_one_up(automated, make_person):
    top = make_person("top")
    mid = make_person("mid", manager=top)
    make_person("r", manager=mid)
    rebuild_approval_processes(company=automated)
    mid.is_active = False
    mid.save()
    rebuild_approval_processes(company=automated, user_ids=[mid.pk])
    snapshot = process_snapshot(automated)
    assert snapshot[mid.pk][2] == ((frozenset({top.pk}), False),)
    # mid is no longer an active report of top, so top has no process.
    assert top.pk not in snapshot


def test_with_no_manager_left_the_company_admins_approve(automated, make_person, acme_admin):
    boss = make_person("boss")
    make_person("r", manager=boss)
    boss.deleted_at = boss.created_at
    boss.save()
    rebuild_approval_processes(company=automated, user_ids=[boss.pk])
    assert process_snapshot(automated)[boss.pk][2] == ((frozenset({acme_admin.pk}), True),)
    assert not ApprovalStep.objects.filter(process__company=automated, approvers__isnull=True).exists()


def test_a_report_moving_to_another_manager_leaves_the_old_process(automated, make_person):
    m1 = make_person("m1")
    m2 = make_person("m2")
    r = make_person("r", manager=m1)
    rebuild_approval_processes(company=automated)
    r.manager = m2
    r.save()
    rebuild_approval_processes(company=automated, user_ids=[r.pk])
    snapshot = process_snapshot(automated)
    assert m1.pk not in snapshot
    assert snapshot[m2.pk][1] == {r.pk}


def test_cycles_are_reported_once_in_the_provisioning_log(automated, make_person):
    a = make_person("a")
    b = make_person("b", manager=a)
    User.objects.filter(pk=a.pk).update(manager=b)
    rebuild_approval_processes(company=automated)
    rebuild_approval_processes(company=automated)
    entries = ProvisioningLogEntry.objects.filter(operation=ProvisioningLogEntry.Operation.MANAGER_CYCLE)
    assert entries.count() == 1
    # The cycle is written from its member with the smallest id, whichever that is.
    assert "A → B → A" in entries.get().detail or "B → A → B" in entries.get().detail
    assert set(process_snapshot(automated)) == {a.pk, b.pk}


def test_automation_off_builds_nothing_and_removes_strays(company, make_person):
    boss = make_person("boss")
    make_person("r", manager=boss)
    ApprovalProcess.objects.create(company=company, kind="automatic", owner=boss, name="stray")
    rebuild_approval_processes(company=company)
    assert not ApprovalProcess.objects.filter(company=company).exists()


def test_another_companys_people_are_never_in_our_processes(automated, other_company, make_person):
    boss = make_person("boss")
    make_person("r", manager=boss)
    other_company.approvals_through_idp = other_company.auto_approval_processes = True
    other_company.save()
    theirs = make_person("theirboss", company=other_company)
    make_person("theirreport", manager=theirs, company=other_company)
    rebuild_approval_processes(company=automated)
    assert set(process_snapshot(automated)) == {boss.pk}
    assert process_snapshot(other_company) == {}
