"""Catalogue and credential writes that can race, with real concurrent connections on
PostgreSQL: each reads its row under a lock, so the second writer sees the first's."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from travelportal.companies import people as people_module
from travelportal.companies.catalogue import archive_catalogue_entry
from travelportal.companies.models import CostCentre, User
from travelportal.tokens.models import Credential
from travelportal.tokens.services import issue_credential, revoke_credential


def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent catalogue writes need PostgreSQL row locks: set DATABASE_URL to a PostgreSQL database")


def _pause_first_member_write(monkeypatch, thread_name: str) -> tuple[threading.Event, threading.Event]:
    """Hold ``thread_name``'s first person write until ``go`` is set; ``reached`` says it got there."""
    reached, go = threading.Event(), threading.Event()
    real = people_module.set_person_fields
    held = []

    def paused(**kwargs):
        if threading.current_thread().name == thread_name and not held:
            held.append(True)
            reached.set()
            go.wait(5)
        return real(**kwargs)

    monkeypatch.setattr(people_module, "set_person_fields", paused)
    return reached, go


def _in_thread(name: str, work, errors: list) -> threading.Thread:
    def run():
        try:
            work()
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_two_member_replacements_at_once_leave_one_of_the_two_sets(company, monkeypatch):
    _postgresql_only()
    centre = CostCentre.objects.create(company=company, name="Sales")
    ann = User.objects.create_user("ann@acme.example", company=company)
    bob = User.objects.create_user("bob@acme.example", company=company)
    reached, go = _pause_first_member_write(monkeypatch, "A")
    errors: list = []

    first = _in_thread(
        "A",
        lambda: people_module.replace_cost_centre_members(centre=CostCentre.objects.get(pk=centre.pk), people=[ann]),
        errors,
    )
    assert reached.wait(5)
    second = _in_thread(
        "B",
        lambda: people_module.replace_cost_centre_members(centre=CostCentre.objects.get(pk=centre.pk), people=[bob]),
        errors,
    )
    second.join(1)
    go.set()
    first.join(10)
    second.join(10)

    assert errors == []
    members = set(User.objects.filter(cost_centre=centre).values_list("username", flat=True))
    assert members == {"bob@acme.example"}, "the second replacement waited for the first and replaced its members"


@pytest.mark.django_db(transaction=True)
def test_an_archive_during_a_member_replacement_waits_and_no_archived_centre_gains_members(company, monkeypatch):
    _postgresql_only()
    centre = CostCentre.objects.create(company=company, name="Sales")
    ann = User.objects.create_user("ann@acme.example", company=company)
    reached, go = _pause_first_member_write(monkeypatch, "A")
    errors: list = []

    replacing = _in_thread(
        "A",
        lambda: people_module.replace_cost_centre_members(centre=CostCentre.objects.get(pk=centre.pk), people=[ann]),
        errors,
    )
    assert reached.wait(5)
    archiving = _in_thread("B", lambda: archive_catalogue_entry(entry=CostCentre.objects.get(pk=centre.pk)), errors)
    archiving.join(1)
    assert archiving.is_alive(), "the archive waits for the centre's lock"
    go.set()
    replacing.join(10)
    archiving.join(10)

    assert errors == []
    centre.refresh_from_db()
    assert centre.is_archived
    assert list(User.objects.filter(cost_centre=centre).values_list("username", flat=True)) == ["ann@acme.example"]


@pytest.mark.django_db
def test_a_second_revoke_through_a_stale_row_keeps_the_first_time(company):
    credential, _ = issue_credential(company=company, kind=Credential.Kind.SCIM_TOKEN, name="Entra")
    seen_by_one_admin = Credential.objects.get(pk=credential.pk)
    seen_by_another = Credential.objects.get(pk=credential.pk)

    revoke_credential(credential=seen_by_one_admin)
    first = Credential.objects.get(pk=credential.pk).revoked_at
    revoke_credential(credential=seen_by_another)

    assert Credential.objects.get(pk=credential.pk).revoked_at == first
    assert seen_by_another.revoked_at == first
