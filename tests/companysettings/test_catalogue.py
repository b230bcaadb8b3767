"""Company Settings > Cost centres, Invoice profiles, Travel policies."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from travelportal.companies.models import CostCentre, InvoiceProfile, TravelPolicy

KINDS = {
    "cost-centres": (CostCentre, {"name": "Research"}),
    "invoice-profiles": (
        InvoiceProfile,
        {
            "name": "Acme Ltd",
            "legal_name": "Acme Limited",
            "vat_number": "GB123",
            "billing_address": "1 Road",
            "currency": "gbp",
            "billing_period": "weekly",
        },
    ),
    "travel-policies": (
        TravelPolicy,
        {
            "name": "Executives",
            "max_flight_cabin": "business",
            "max_hotel_price_per_night": "250.00",
            "hotel_price_currency": "EUR",
            "max_trip_cost": "",
            "allow_out_of_policy": "on",
        },
    ),
}

kinds = pytest.mark.parametrize("kind", list(KINDS))


@kinds
def test_creating_an_entry(acme_admin_client, company, kind):
    model, data = KINDS[kind]
    assert acme_admin_client.get(f"/company/{kind}/new/").status_code == 200

    response = acme_admin_client.post(f"/company/{kind}/new/", data, follow=True)

    assert response.status_code == 200
    entry = model.objects.get(company=company)
    assert entry.name == data["name"]
    assert "Saved the" in response.content.decode()
    assert data["name"] in response.content.decode()


def test_an_invoice_profile_currency_is_stored_upper_case(acme_admin_client, company):
    acme_admin_client.post("/company/invoice-profiles/new/", KINDS["invoice-profiles"][1])
    profile = InvoiceProfile.objects.get(company=company)
    assert profile.currency == "GBP"
    assert profile.billing_period == "weekly"


def test_a_travel_policy_keeps_its_limits(acme_admin_client, company):
    acme_admin_client.post("/company/travel-policies/new/", KINDS["travel-policies"][1])
    policy = TravelPolicy.objects.get(company=company)
    assert policy.max_hotel_price_per_night == Decimal("250.00")
    assert policy.max_trip_cost is None
    assert policy.max_flight_cabin == "business"


@kinds
def test_a_duplicate_name_is_a_clear_error_that_keeps_the_input(acme_admin_client, company, kind):
    model, data = KINDS[kind]
    model.objects.create(company=company, name=data["name"].upper())

    response = acme_admin_client.post(f"/company/{kind}/new/", data)

    assert response.status_code == 400
    html = response.content.decode()
    assert "There is already a" in html
    assert f'value="{data["name"]}"' in html
    assert model.objects.filter(company=company).count() == 1


@kinds
def test_the_same_name_in_another_company_is_fine(acme_admin_client, company, other_company, kind):
    model, data = KINDS[kind]
    model.objects.create(company=other_company, name=data["name"])
    response = acme_admin_client.post(f"/company/{kind}/new/", data)
    assert response.status_code == 302
    assert model.objects.filter(company=company, name=data["name"]).exists()


@pytest.mark.parametrize(
    ("kind", "bad", "message"),
    [
        ("cost-centres", {"name": ""}, "This field is required."),
        ("invoice-profiles", {"currency": "XYZ"}, "is not an ISO 4217 currency code"),
        ("invoice-profiles", {"billing_period": "yearly"}, "Select a valid choice"),
        ("travel-policies", {"max_hotel_price_per_night": "-5"}, "be negative"),
        ("travel-policies", {"max_trip_cost": "lots"}, "Enter a number"),
        ("travel-policies", {"max_flight_cabin": "rocket"}, "Select a valid choice"),
    ],
)
def test_invalid_input_is_shown_next_to_the_field_and_nothing_is_written(
    acme_admin_client, company, kind, bad, message
):
    model, data = KINDS[kind]
    response = acme_admin_client.post(f"/company/{kind}/new/", {**data, **bad})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'class="errorlist"' in response.content.decode()
    assert not model.objects.exists()


@kinds
def test_editing_an_entry(acme_admin_client, company, kind):
    model, data = KINDS[kind]
    entry = model.objects.create(company=company, name="Before")
    response = acme_admin_client.post(f"/company/{kind}/{entry.pk}/edit/", {**data, "name": "After"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.name == "After"


@kinds
def test_keeping_the_same_name_on_edit_is_not_a_duplicate(acme_admin_client, company, kind):
    model, data = KINDS[kind]
    entry = model.objects.create(company=company, name=data["name"])
    response = acme_admin_client.post(f"/company/{kind}/{entry.pk}/edit/", data)
    assert response.status_code == 302
    assert list(model.objects.values_list("pk", "name")) == [(entry.pk, data["name"])]


@kinds
def test_archiving_and_restoring(acme_admin_client, company, kind):
    model, _ = KINDS[kind]
    entry = model.objects.create(company=company, name="Old")

    response = acme_admin_client.post(f"/company/{kind}/{entry.pk}/archive", follow=True)
    entry.refresh_from_db()
    assert entry.archived_at is not None
    assert "Archived the" in response.content.decode()
    assert "Old" not in [r["entry"].name for r in response.context["rows"]]
    archived = acme_admin_client.get(f"/company/{kind}/", {"archived": "1"})
    assert [r["entry"].name for r in archived.context["rows"]] == ["Old"]

    acme_admin_client.post(f"/company/{kind}/{entry.pk}/restore")
    entry.refresh_from_db()
    assert entry.archived_at is None


@kinds
def test_another_companys_entry_is_not_found(acme_admin_client, other_company, kind):
    model, data = KINDS[kind]
    entry = model.objects.create(company=other_company, name="Theirs")
    assert acme_admin_client.get(f"/company/{kind}/{entry.pk}/edit/").status_code == 404
    assert acme_admin_client.post(f"/company/{kind}/{entry.pk}/edit/", {**data, "name": "Mine"}).status_code == 404
    assert acme_admin_client.post(f"/company/{kind}/{entry.pk}/archive").status_code == 404
    entry.refresh_from_db()
    assert entry.name == "Theirs" and entry.archived_at is None


@kinds
def test_a_traveller_cannot_change_entries(traveller_client, company, kind):
    model, data = KINDS[kind]
    entry = model.objects.create(company=company, name="Ours")
    assert traveller_client.get(f"/company/{kind}/").status_code == 403
    assert traveller_client.post(f"/company/{kind}/new/", data).status_code == 403
    assert traveller_client.post(f"/company/{kind}/{entry.pk}/archive").status_code == 403
    assert model.objects.count() == 1
    entry.refresh_from_db()
    assert entry.archived_at is None


@kinds
def test_anonymous_visitors_are_sent_to_sign_in(client, company, kind):
    model, _ = KINDS[kind]
    entry = model.objects.create(company=company, name="Ours")
    response = client.post(f"/company/{kind}/{entry.pk}/archive")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@kinds
def test_wrong_methods_are_refused(acme_admin_client, company, kind):
    model, _ = KINDS[kind]
    entry = model.objects.create(company=company, name="Ours")
    assert acme_admin_client.post(f"/company/{kind}/").status_code == 405
    assert acme_admin_client.get(f"/company/{kind}/{entry.pk}/restore").status_code == 405
    assert acme_admin_client.put(f"/company/{kind}/{entry.pk}/edit/").status_code == 405


@kinds
def test_the_list_makes_the_same_number_of_queries_for_5_and_50_entries(acme_admin_client, company, kind):
    model, _ = KINDS[kind]
    model.objects.bulk_create([model(company=company, name=f"E{i:02}") for i in range(5)])
    with CaptureQueriesContext(connection) as few:
        acme_admin_client.get(f"/company/{kind}/")
    model.objects.bulk_create([model(company=company, name=f"F{i:02}") for i in range(45)])
    with CaptureQueriesContext(connection) as many:
        response = acme_admin_client.get(f"/company/{kind}/")
    assert len(many) == len(few), "\n".join(q["sql"] for q in many.captured_queries)
    assert len(response.context["rows"]) == 25
