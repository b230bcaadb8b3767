from __future__ import annotations

import importlib

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tests.conftest import PASSWORD
from travelportal.companies.models import CostCentre, InvoiceProfile, TravelPolicy, User

triggers_migration = importlib.import_module("travelportal.companies.migrations.0002_same_company_triggers")


def make_user(company, username, **fields):
    return User.objects.create_user(username, PASSWORD, company=company, **fields)


def refused(callable_, *args, **kwargs) -> IntegrityError:
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        callable_(*args, **kwargs)
    return excinfo.value


# --- userName ------------------------------------------------------------------------


def test_it_refuses_a_username_that_differs_only_in_case_in_another_company(company, other_company):
    make_user(company, "Bob@Example.com")

    refused(make_user, other_company, "bob@example.COM")

    assert User.objects.filter(company=other_company).count() == 0


def test_it_refuses_a_username_that_differs_only_in_case_in_the_same_company(company):
    make_user(company, "bob@example.com")

    refused(make_user, company, "BOB@example.com")

    assert User.objects.filter(company=company).count() == 1


def test_a_deleted_person_frees_their_username(company, other_company):
    bob = make_user(company, "bob@example.com")
    bob.deleted_at = timezone.now()
    bob.save(update_fields=["deleted_at"])

    again = make_user(other_company, "Bob@example.com")

    assert User.objects.with_username("bob@EXAMPLE.com").get() == again


def test_model_validation_reports_a_taken_username(company, other_company):
    make_user(company, "bob@example.com")
    clash = User(company=other_company, username="BOB@example.com")

    with pytest.raises(ValidationError) as excinfo:
        clash.full_clean(exclude=["password"])

    assert "This userName is already taken." in str(excinfo.value)
    # The message names no company: a clash must not reveal who holds the userName.
    assert company.name not in str(excinfo.value)


# --- externalId ----------------------------------------------------------------------


def test_it_refuses_an_external_id_used_twice_in_one_company(company):
    make_user(company, "a@acme.example", external_id="E-1")

    refused(make_user, company, "b@acme.example", external_id="E-1")

    assert not User.objects.filter(username="b@acme.example").exists()


def test_two_companies_may_use_the_same_external_id(company, other_company):
    make_user(company, "a@acme.example", external_id="E-1")
    make_user(other_company, "a@globex.example", external_id="E-1")

    assert User.objects.filter(external_id="E-1").count() == 2


def test_many_people_may_have_no_external_id(company):
    make_user(company, "a@acme.example")
    make_user(company, "b@acme.example")

    assert User.objects.filter(company=company, external_id="").count() == 2


def test_a_deleted_person_frees_their_external_id(company):
    old = make_user(company, "a@acme.example", external_id="E-1")
    old.deleted_at = timezone.now()
    old.save(update_fields=["deleted_at"])

    make_user(company, "b@acme.example", external_id="E-1")

    assert User.objects.for_company(company).get(external_id="E-1").username == "b@acme.example"


# --- catalogue names ---------------------------------------------------------------


@pytest.mark.parametrize("model", [CostCentre, InvoiceProfile, TravelPolicy])
def test_catalogue_names_are_unique_within_a_company(model, company):
    model.objects.create(company=company, name="Sales")

    refused(model.objects.create, company=company, name="Sales")

    assert model.objects.filter(company=company).count() == 1


@pytest.mark.parametrize("model", [CostCentre, InvoiceProfile, TravelPolicy])
def test_two_companies_may_use_the_same_catalogue_name(model, company, other_company):
    model.objects.create(company=company, name="Sales")
    model.objects.create(company=other_company, name="Sales")

    assert model.objects.filter(name="Sales").count() == 2


# --- same company: the database triggers -------------------------------------------


def test_the_database_refuses_a_manager_from_another_company(company, other_company, other_admin):
    bob = make_user(company, "bob@acme.example")

    error = refused(User.objects.filter(pk=bob.pk).update, manager=other_admin)

    assert "manager must belong to the same company" in str(error)
    bob.refresh_from_db()
    assert bob.manager_id is None


def test_the_database_refuses_a_new_person_whose_manager_is_in_another_company(company, other_admin):
    refused(make_user, company, "bob@acme.example", manager=other_admin)

    assert not User.objects.filter(username="bob@acme.example").exists()


def test_the_database_accepts_a_manager_from_the_same_company(company, acme_admin):
    bob = make_user(company, "bob@acme.example", manager=acme_admin)

    bob.refresh_from_db()
    assert bob.manager == acme_admin


def test_model_validation_refuses_a_manager_from_another_company(company, other_admin):
    bob = make_user(company, "bob@acme.example")
    bob.manager = other_admin

    with pytest.raises(ValidationError) as excinfo:
        bob.full_clean()

    assert excinfo.value.message_dict["manager"] == ["The manager must belong to the same company."]


def test_nobody_can_be_their_own_manager(company):
    bob = make_user(company, "bob@acme.example")

    refused(User.objects.filter(pk=bob.pk).update, manager=bob)

    bob.manager = bob
    with pytest.raises(ValidationError) as excinfo:
        bob.full_clean()
    assert "can't be their own manager" in str(excinfo.value)
    bob.refresh_from_db()
    assert bob.manager_id is None


@pytest.mark.parametrize(("field", "model"), [("cost_centre", CostCentre), ("travel_policy", TravelPolicy)])
def test_the_database_refuses_a_catalogue_entry_of_another_company(field, model, company, other_company):
    bob = make_user(company, "bob@acme.example")
    foreign = model.objects.create(company=other_company, name="Theirs")

    error = refused(User.objects.filter(pk=bob.pk).update, **{field: foreign})

    assert "must belong to the same company" in str(error)
    bob.refresh_from_db()
    assert getattr(bob, f"{field}_id") is None


@pytest.mark.parametrize(("field", "model"), [("cost_centre", CostCentre), ("travel_policy", TravelPolicy)])
def test_model_validation_refuses_a_catalogue_entry_of_another_company(field, model, company, other_company):
    bob = make_user(company, "bob@acme.example")
    setattr(bob, field, model.objects.create(company=other_company, name="Theirs"))

    with pytest.raises(ValidationError) as excinfo:
        bob.full_clean()

    assert field in excinfo.value.message_dict


def test_the_database_refuses_an_invoice_profile_of_another_company(company, other_company):
    bob = make_user(company, "bob@acme.example")
    ours = InvoiceProfile.objects.create(company=company, name="Ours")
    theirs = InvoiceProfile.objects.create(company=other_company, name="Theirs")
    bob.invoice_profiles.add(ours)

    error = refused(bob.invoice_profiles.add, theirs)

    assert "invoice profile must belong to the same company" in str(error)
    assert list(bob.invoice_profiles.all()) == [ours]


def test_a_manager_with_reports_cannot_move_to_another_company(company, other_company, acme_admin):
    make_user(company, "bob@acme.example", manager=acme_admin)

    refused(User.objects.filter(pk=acme_admin.pk).update, company=other_company)

    acme_admin.refresh_from_db()
    assert acme_admin.company == company


def test_a_person_with_invoice_profiles_cannot_move_to_another_company(company, other_company):
    bob = make_user(company, "bob@acme.example")
    bob.invoice_profiles.add(InvoiceProfile.objects.create(company=company, name="Ours"))

    refused(User.objects.filter(pk=bob.pk).update, company=other_company)

    assert User.objects.get(pk=bob.pk).company == company


@pytest.mark.parametrize(("field", "model"), [("cost_centre", CostCentre), ("travel_policy", TravelPolicy)])
def test_a_catalogue_entry_in_use_cannot_move_to_another_company(field, model, company, other_company):
    entry = model.objects.create(company=company, name="Ours")
    make_user(company, "bob@acme.example", **{field: entry})

    refused(model.objects.filter(pk=entry.pk).update, company=other_company)

    entry.refresh_from_db()
    assert entry.company == company


def test_an_invoice_profile_in_use_cannot_move_to_another_company(company, other_company):
    profile = InvoiceProfile.objects.create(company=company, name="Ours")
    make_user(company, "bob@acme.example").invoice_profiles.add(profile)

    refused(InvoiceProfile.objects.filter(pk=profile.pk).update, company=other_company)

    profile.refresh_from_db()
    assert profile.company == company


def test_an_unused_catalogue_entry_may_move_to_another_company(company, other_company):
    entry = CostCentre.objects.create(company=company, name="Spare")

    CostCentre.objects.filter(pk=entry.pk).update(company=other_company)

    entry.refresh_from_db()
    assert entry.company == other_company


def installed_trigger_names() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
def test_every_same_company_trigger_is_installed_after_all_migrations():
    # On SQLite a later migration that rebuilds a table drops its triggers; this catches it.
    installed = installed_trigger_names()
    for rule in triggers_migration.RULES:
        if connection.vendor == "postgresql":
            assert f"tp_{rule.name}" in installed
        else:
            assert f"tp_{rule.name}_update" in installed
            if not rule.update_only:
                assert f"tp_{rule.name}_insert" in installed


@pytest.mark.django_db(transaction=True)
def test_the_trigger_migration_removes_and_reinstalls_its_triggers():
    names = {f"tp_{rule.name}" for rule in triggers_migration.RULES}

    def installed() -> set[str]:
        return {name for name in installed_trigger_names() if name.rsplit("_", 1)[0] in names or name in names}

    assert installed()
    with connection.schema_editor() as editor:
        triggers_migration.remove_triggers(None, editor)
    assert installed() == set()

    with connection.schema_editor() as editor:
        triggers_migration.install_triggers(None, editor)
    test_every_same_company_trigger_is_installed_after_all_migrations()
