from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory

from travelportal.companies.models import Company, CostCentre, InvoiceProfile, TravelPolicy, User


def signs_in(username: str, password: str):
    # django-axes needs the request it throttles on.
    return authenticate(RequestFactory().post("/accounts/login/"), username=username, password=password)


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def refused(*args) -> CommandError:
    with pytest.raises(CommandError) as excinfo:
        run(*args)
    assert excinfo.value.returncode == 1
    return excinfo.value


def catalogue_rows() -> list:
    return [
        *CostCentre.objects.values_list("company__slug", "name", "updated_at"),
        *InvoiceProfile.objects.values_list("company__slug", "name", "updated_at"),
        *TravelPolicy.objects.values_list("company__slug", "name", "updated_at"),
    ]


# --- create_company ------------------------------------------------------------------


def test_create_company_creates_it_with_scim_off(db):
    output = run("create_company", "acme", "--name", "Acme Corp")

    company = Company.objects.get(slug="acme")
    assert company.name == "Acme Corp"
    assert company.scim_enabled is False
    assert output == "Created company acme (Acme Corp); SCIM API off.\n"


def test_create_company_twice_with_the_same_arguments_changes_nothing(db):
    run("create_company", "acme", "--name", "Acme Corp", "--enable-scim")
    before = list(Company.objects.values())

    output = run("create_company", "acme", "--name", "Acme Corp", "--enable-scim")

    assert list(Company.objects.values()) == before
    assert output == "Company acme already exists; nothing changed. SCIM API on.\n"


def test_create_company_enables_scim_for_an_existing_company(db):
    run("create_company", "acme", "--name", "Acme Corp")

    output = run("create_company", "acme", "--name", "Acme Corp", "--enable-scim")

    assert Company.objects.get(slug="acme").scim_enabled is True
    assert "SCIM API on" in output


def test_create_company_without_the_flag_never_switches_scim_off(db):
    run("create_company", "acme", "--name", "Acme Corp", "--enable-scim")

    run("create_company", "acme", "--name", "Acme Corp")

    assert Company.objects.get(slug="acme").scim_enabled is True


def test_create_company_renames_an_existing_company(db):
    run("create_company", "acme", "--name", "Acme Corp")

    output = run("create_company", "acme", "--name", "Acme Corporation")

    assert Company.objects.get(slug="acme").name == "Acme Corporation"
    assert output.startswith("Updated company acme (name)")


@pytest.mark.parametrize(
    ("slug", "name", "message"),
    [("not a slug", "Acme", "slug: Enter a valid"), ("acme", "  ", "name: A company needs a name.")],
)
def test_create_company_refuses_bad_input_and_writes_nothing(slug, name, message, db):
    error = refused("create_company", slug, "--name", name)

    assert message in str(error)
    assert Company.objects.count() == 0


# --- create_company_admin -------------------------------------------------------------


def test_create_company_admin_creates_an_admin_who_can_sign_in(company):
    output = run("create_company_admin", "acme", "boss@acme.example", "--password", "a-long-passphrase")

    user = User.objects.get(username="boss@acme.example")
    assert (user.company, user.role, user.is_active, user.work_email) == (
        company,
        User.Role.ADMIN,
        True,
        "boss@acme.example",
    )
    assert user.is_company_admin
    assert signs_in("BOSS@acme.example", "a-long-passphrase") == user
    assert output == "Created admin boss@acme.example of company acme.\n"


def test_create_company_admin_twice_changes_nothing(company):
    run("create_company_admin", "acme", "boss@acme.example", "--password", "a-long-passphrase")
    before = list(User.objects.values())

    output = run("create_company_admin", "acme", "boss@acme.example", "--password", "a-long-passphrase")

    assert list(User.objects.values()) == before
    assert "nothing changed" in output


def test_create_company_admin_promotes_and_reactivates_an_existing_person(company, traveller):
    User.objects.filter(pk=traveller.pk).update(is_active=False)

    output = run("create_company_admin", "acme", traveller.username, "--password", "a-long-passphrase")

    traveller.refresh_from_db()
    assert (traveller.role, traveller.is_active) == (User.Role.ADMIN, True)
    assert traveller.check_password("a-long-passphrase")
    assert "role, is_active, password" in output


def test_create_company_admin_refuses_an_unknown_company(db):
    error = refused("create_company_admin", "nope", "boss@nope.example", "--password", "a-long-passphrase")

    assert "No company with the slug 'nope'" in str(error)
    assert User.objects.count() == 0


def test_create_company_admin_refuses_a_username_of_another_company(company, other_admin):
    error = refused("create_company_admin", "acme", other_admin.username.upper(), "--password", "a-long-passphrase")

    assert str(error) == "email: This userName is already taken."
    other_admin.refresh_from_db()
    assert other_admin.company.slug == "globex"
    assert User.objects.filter(company=company).count() == 0


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", "a-long-passphrase", "email: 'not-an-email' is not a valid email address."),
        ("boss@acme.example", "short", "password: This password is too short."),
    ],
)
def test_create_company_admin_refuses_bad_input_and_writes_nothing(email, password, message, company):
    error = refused("create_company_admin", "acme", email, "--password", password)

    assert message in str(error)
    assert User.objects.count() == 0


# --- import_catalogue ----------------------------------------------------------------

CATALOGUE = {
    "cost_centres": [{"name": "Sales"}, {"name": "Engineering"}],
    "invoice_profiles": [
        {"name": "Acme Ltd", "currency": "GBP", "vat_number": "GB123", "billing_period": "weekly"},
    ],
    "travel_policies": [
        {"name": "Standard", "max_flight_cabin": "premium_economy", "max_hotel_price_per_night": 180.5},
    ],
}


@pytest.fixture
def write_json(tmp_path):
    def write(data, name="catalogue.json") -> str:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else json.dumps(data))
        return str(path)

    return write


def test_import_catalogue_loads_every_section_with_any_field(company, write_json):
    output = run("import_catalogue", "acme", write_json(CATALOGUE))

    assert sorted(CostCentre.objects.for_company(company).values_list("name", flat=True)) == ["Engineering", "Sales"]
    profile = InvoiceProfile.objects.for_company(company).get()
    assert (profile.name, profile.currency, profile.vat_number, profile.billing_period) == (
        "Acme Ltd",
        "GBP",
        "GB123",
        "weekly",
    )
    policy = TravelPolicy.objects.for_company(company).get()
    assert (policy.max_flight_cabin, policy.max_hotel_price_per_night) == ("premium_economy", Decimal("180.50"))
    assert output.splitlines() == [
        "cost_centres: 2 created, 0 updated, 0 unchanged",
        "invoice_profiles: 1 created, 0 updated, 0 unchanged",
        "travel_policies: 1 created, 0 updated, 0 unchanged",
    ]


def test_import_catalogue_twice_changes_nothing(company, write_json):
    path = write_json(CATALOGUE)
    run("import_catalogue", "acme", path)
    before = catalogue_rows()

    output = run("import_catalogue", "acme", path)

    assert catalogue_rows() == before
    assert output.splitlines() == [
        "cost_centres: 0 created, 0 updated, 2 unchanged",
        "invoice_profiles: 0 created, 0 updated, 1 unchanged",
        "travel_policies: 0 created, 0 updated, 1 unchanged",
    ]


def test_import_catalogue_updates_entries_matched_by_name(company, write_json):
    TravelPolicy.objects.create(company=company, name="Standard", allow_out_of_policy=True, max_flight_cabin="first")

    output = run(
        "import_catalogue",
        "acme",
        write_json({"travel_policies": [{"name": "Standard", "allow_out_of_policy": False}]}),
    )

    # Matched by name: updated in place, not created again.
    policy = TravelPolicy.objects.for_company(company).get()
    # Only the fields the file gives change.
    assert (policy.allow_out_of_policy, policy.max_flight_cabin) == (False, "first")
    assert "travel_policies: 0 created, 1 updated, 0 unchanged" in output


def test_import_catalogue_leaves_other_companies_alone(company, other_company, write_json):
    CostCentre.objects.create(company=other_company, name="Sales")

    run("import_catalogue", "acme", write_json(CATALOGUE))

    assert CostCentre.objects.for_company(other_company).count() == 1
    assert CostCentre.objects.for_company(company).filter(name="Sales").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {**CATALOGUE, "invoice_profiles": [{"name": "Acme Ltd", "currency": "EURO"}]},
            'invoice_profiles[0] "Acme Ltd": currency:',
        ),
        (
            {**CATALOGUE, "travel_policies": [{"name": "Standard"}, {"name": "Lux", "max_flight_cabin": "rocket"}]},
            "travel_policies[1] \"Lux\": max_flight_cabin: Value 'rocket' is not a valid choice.",
        ),
        (
            {**CATALOGUE, "cost_centres": [{"name": "Sales", "budget": 5}]},
            'cost_centres[0] "Sales": budget: not a field of cost centre',
        ),
        (
            {**CATALOGUE, "cost_centres": [{"name": "Sales"}, {"name": "Sales"}]},
            'cost_centres[1] "Sales": name: also given by cost_centres[0]',
        ),
        ({**CATALOGUE, "cost_centres": [{"code": "S1"}]}, "cost_centres[0]: name: required"),
        (
            {**CATALOGUE, "travel_policies": [{"name": "Std", "max_hotel_price_per_night": -1}]},
            'travel_policies[0] "Std": ',
        ),
        (
            {**CATALOGUE, "travel_policies": [{"name": "Std", "max_hotel_price_per_night": "lots"}]},
            "max_hotel_price_per_night: “lots” value must be a decimal number.",
        ),
        ({"cost_centres": {"name": "Sales"}}, "cost_centres: must be a list of entries."),
        ({"people": []}, "people: not a catalogue section"),
        (["Sales"], "The catalogue must be a JSON object"),
    ],
)
def test_import_catalogue_refuses_an_invalid_file_whole(data, message, company, write_json):
    error = refused("import_catalogue", "acme", write_json(data))

    assert message in str(error)
    assert "nothing was written" in str(error)
    assert catalogue_rows() == []


def test_import_catalogue_reports_every_problem_at_once(company, write_json):
    data = {
        "cost_centres": [{"name": "Sales", "colour": "red"}],
        "invoice_profiles": [{"name": "Acme Ltd", "billing_period": "hourly"}],
    }

    error = refused("import_catalogue", "acme", write_json(data))

    lines = str(error).splitlines()
    assert any(line.startswith('cost_centres[0] "Sales": colour:') for line in lines)
    assert any(line.startswith('invoice_profiles[0] "Acme Ltd": billing_period:') for line in lines)
    assert catalogue_rows() == []


def test_import_catalogue_refused_leaves_existing_entries_untouched(company, write_json):
    # A valid update and a new entry beside one invalid entry: none of it may be written.
    TravelPolicy.objects.create(company=company, name="Standard", allow_out_of_policy=True)
    before = catalogue_rows()
    data = {
        "cost_centres": [{"name": "Sales"}],
        "travel_policies": [{"name": "Standard", "allow_out_of_policy": False}, {"name": "Lux", "currency": "x"}],
    }

    error = refused("import_catalogue", "acme", write_json(data))

    assert 'travel_policies[1] "Lux": currency: not a field of travel policy' in str(error)
    assert catalogue_rows() == before
    assert TravelPolicy.objects.get(company=company, name="Standard").allow_out_of_policy is True


def test_import_catalogue_refuses_a_file_that_is_not_json(company, write_json):
    error = refused("import_catalogue", "acme", write_json("{not json"))

    assert "is not valid JSON" in str(error)
    assert catalogue_rows() == []


def test_import_catalogue_refuses_a_missing_file(company, tmp_path):
    error = refused("import_catalogue", "acme", str(tmp_path / "missing.json"))

    assert "Cannot read" in str(error)


def test_import_catalogue_refuses_an_unknown_company(db, write_json):
    error = refused("import_catalogue", "nope", write_json(CATALOGUE))

    assert "No company with the slug 'nope'" in str(error)
    assert catalogue_rows() == []


# --- seed_demo -----------------------------------------------------------------------


def test_seed_demo_creates_the_demo_company_admin_and_catalogue(db):
    output = run("seed_demo")

    company = Company.objects.get(slug="demo")
    assert (company.name, company.scim_enabled) == ("Demo Travel Co", True)
    admin = signs_in("admin@demo.example", "demo-admin-pass")
    assert admin is not None and admin.company == company and admin.is_company_admin
    assert CostCentre.objects.for_company(company).count() >= 2
    assert InvoiceProfile.objects.for_company(company).count() >= 2
    assert TravelPolicy.objects.for_company(company).count() >= 2
    assert "Admin login: admin@demo.example / demo-admin-pass" in output.splitlines()


def test_seed_demo_twice_changes_nothing(db):
    run("seed_demo")
    before = (list(Company.objects.values()), list(User.objects.values()), catalogue_rows())

    output = run("seed_demo")

    assert (list(Company.objects.values()), list(User.objects.values()), catalogue_rows()) == before
    assert "0 created, 0 updated" in output


def test_seed_demo_restores_the_demo_login(db):
    run("seed_demo")
    User.objects.filter(username="admin@demo.example").update(is_active=False)

    run("seed_demo")

    assert signs_in("admin@demo.example", "demo-admin-pass") is not None


def test_the_demo_admin_signs_in_on_the_sign_in_page(db, client):
    run("seed_demo")

    response = client.post("/accounts/login/", {"username": "admin@demo.example", "password": "demo-admin-pass"})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(username="admin@demo.example").pk)
