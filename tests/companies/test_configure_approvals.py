"""configure_approvals sets a company's approval settings from the command line, and a
second run with the same arguments changes nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from approvals.models import ApprovalProcess
from travelportal.audit.models import AuditEntry
from travelportal.companies.models import User


def run(*args) -> str:
    out = StringIO()
    call_command("configure_approvals", *args, stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def team(company):
    boss = User.objects.create_user("boss@acme.example", None, company=company)
    User.objects.create_user("report@acme.example", None, company=company, manager=boss)
    return boss


def test_it_switches_on_automatic_processes_at_the_given_depth(company, team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        output = run("acme", "--automatic", "--depth", "2", "--trips", "out_of_policy")

    company.refresh_from_db()
    assert (company.approvals_through_idp, company.auto_approval_processes) == (True, True)
    assert (company.approval_chain_depth, company.auto_process_trips) == (2, "out_of_policy")
    assert ApprovalProcess.objects.for_company(company).automatic().filter(owner=team).exists()
    assert output == (
        "acme: changed approvals_through_idp, auto_approval_processes, approval_chain_depth, auto_process_trips; "
        "now automatic processes on, chain depth 2, out-of-policy trips only."
    )


def test_a_second_run_says_nothing_changed_and_writes_nothing(company, team):
    run("acme", "--automatic", "--depth", "2")
    company.refresh_from_db()
    entries = AuditEntry.objects.count()

    output = run("acme", "--automatic", "--depth", "2")

    assert output == "acme: nothing changed; automatic processes on, chain depth 2, all trips."
    assert AuditEntry.objects.count() == entries


def test_settings_left_out_stay_as_they_are(company):
    run("acme", "--automatic", "--depth", "3", "--trips", "out_of_policy")

    run("acme", "--depth", "1")

    company.refresh_from_db()
    assert (company.auto_approval_processes, company.approval_chain_depth, company.auto_process_trips) == (
        True,
        1,
        "out_of_policy",
    )


def test_no_automatic_keeps_the_processes_as_manual_ones(company, team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run("acme", "--automatic")

    run("acme", "--no-automatic")

    company.refresh_from_db()
    assert not company.approvals_automated
    assert ApprovalProcess.objects.for_company(company).filter(kind="manual", owner=None).count() == 1


def test_the_change_is_audited(company):
    run("acme", "--automatic")

    entry = AuditEntry.objects.get(object_pk=str(company.pk), content_type__model="company")
    assert (entry.source, entry.command, entry.company) == ("command", "configure_approvals", company)


def test_an_unknown_company_is_refused(db):
    with pytest.raises(CommandError, match="No company has the slug 'nope'"):
        run("nope", "--automatic")


@pytest.mark.parametrize("args", [("--depth", "4"), ("--trips", "some")])
def test_a_bad_value_is_refused_and_nothing_written(company, args):
    with pytest.raises(CommandError):
        run("acme", *args)

    company.refresh_from_db()
    assert (company.approval_chain_depth, company.auto_process_trips) == (1, "all")
