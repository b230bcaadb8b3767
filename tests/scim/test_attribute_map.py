"""The attribute map is the one description of the SCIM User: /Schemas, the resource,
parsing, filters and Company Settings' locked fields all follow it."""

from __future__ import annotations

import pytest

from scim import mapping
from tests.scim.conftest import ENTERPRISE, TRAVELPERK, db_state, entra_user
from travelportal.companies.models import User

pytestmark = pytest.mark.django_db


def _entries():
    for urn, attrs in mapping.ATTRIBUTES.items():
        for a in attrs:
            yield urn, a, None
            for s in a.sub_attributes:
                yield urn, a, s


def test_every_published_attribute_is_an_entry_of_the_map(scim):
    schemas = {s["id"]: s for s in scim.get("Schemas").json()["Resources"]}

    for urn, attrs in mapping.ATTRIBUTES.items():
        published = {a["name"]: a for a in schemas[urn]["attributes"]}
        assert list(published) == [a.name for a in attrs if not a.common]
        for a in attrs:
            if a.common:
                continue
            doc = published[a.name]
            assert (doc["type"], doc["multiValued"], doc["mutability"], doc["caseExact"], doc["uniqueness"]) == (
                a.type,
                a.multi_valued,
                a.mutability,
                a.case_exact,
                a.uniqueness,
            )
            assert [s["name"] for s in doc.get("subAttributes", [])] == [s.name for s in a.sub_attributes]


def test_length_limits_are_the_model_fields():
    for _urn, a, s in _entries():
        entry = s or a
        if entry.model_field and entry.convert is None and entry.type == "string":
            assert entry.max_length == User._meta.get_field(entry.model_field).max_length, entry.name


def test_every_field_the_map_writes_is_locked_in_company_settings():
    from travelportal.companies.people import IDP_OWNED_FIELDS

    written = set()
    for _urn, a, s in _entries():
        entry = s or a
        if entry.read_only or not entry.idp_owned:
            continue
        if entry.model_field:
            written.add(entry.model_field)
        if entry.resolver:
            written.add(entry.resolver.model_field)
    assert written == set(IDP_OWNED_FIELDS)
    assert {"employee_number", "department", "manager", "cost_centre", "invoice_profiles"} <= written
    assert "id" not in written and "created_at" not in written


def test_every_filterable_entry_filters_and_others_refuse(scim, created):
    for name, sub, urn in mapping.FILTERS:
        path = f"{urn}:{name}{'.' + sub if sub else ''}"
        response = scim.get("Users", QUERY_STRING=f"filter={path} pr")
        assert response.status_code == 200, (path, response.content)
    refused = scim.get("Users", QUERY_STRING=f'filter={TRAVELPERK}:dateOfBirth eq "1985-04-12"')
    assert refused.status_code == 400
    assert refused.json()["scimType"] == "invalidFilter"


def test_an_operator_the_entry_does_not_offer_is_an_invalid_filter(scim, created):
    response = scim.get("Users", QUERY_STRING='filter=employeeNumber co "1"')

    assert response.status_code == 400
    body = response.json()
    assert body["scimType"] == "invalidFilter"
    assert "employeeNumber" in body["detail"] and "eq" in body["detail"]


def test_a_value_longer_than_its_model_field_names_the_attribute_and_writes_nothing(scim, catalogue):
    before = db_state()
    body = entra_user(**{ENTERPRISE: {"department": "d" * 201}})

    response = scim.post("Users", body)

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert response.json()["detail"] == "department is longer than 200 characters."
    assert db_state() == before


# --- Catalogue values in the schema ------------------------------------------------


def test_schemas_list_the_companys_catalogue_and_the_stored_gender_codes(scim, catalogue, company, other_company):
    from travelportal.companies.models import InvoiceProfile, TravelPolicy

    TravelPolicy.objects.create(company=company, name="Retired", archived_at="2026-01-01T00:00:00Z")
    TravelPolicy.objects.create(company=other_company, name="Globex only")

    extension = scim.get(f"Schemas/{TRAVELPERK}").json()
    attrs = {a["name"]: a for a in extension["attributes"]}

    assert attrs["gender"]["canonicalValues"] == ["M", "F"]
    assert sorted(attrs["travelPolicy"]["canonicalValues"]) == ["Executive", "Standard"]
    profile_value = attrs["invoiceProfiles"]["subAttributes"][0]
    assert sorted(profile_value["canonicalValues"]) == sorted(
        InvoiceProfile.objects.filter(company=company).values_list("name", flat=True)
    )


# --- primary as sent -----------------------------------------------------------------


def test_primary_of_the_work_email_and_phone_is_stored_as_sent(scim, catalogue):
    body = entra_user(
        emails=[{"type": "work", "value": "ann.smith@acme.example", "primary": False}],
        phoneNumbers=[{"type": "work", "value": "+44 1", "primary": "True"}],
    )

    resource = scim.post("Users", body).json()

    assert resource["emails"] == [{"value": "ann.smith@acme.example", "type": "work", "primary": False}]
    assert resource["phoneNumbers"] == [{"value": "+44 1", "type": "work", "primary": True}]
    user = User.objects.get(pk=resource["id"])
    assert (user.work_email_primary, user.work_phone_primary) == (False, True)
    assert scim.get("Users", QUERY_STRING="filter=emails[primary eq false]").json()["totalResults"] == 1
    assert scim.get("Users", QUERY_STRING="filter=phoneNumbers[primary eq false]").json()["totalResults"] == 0


# --- PATCH remove of what a person always has ------------------------------------------


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "remove", "path": "active"},
        {"op": "Remove", "path": "userName"},
        {"op": "replace", "path": "active", "value": None},
        {"op": "replace", "value": {"userName": None}},
    ],
    ids=["remove-active", "remove-username", "replace-active-null", "pathless-username-null"],
)
def test_removing_active_or_username_is_refused_and_changes_nothing(scim, created, operation):
    scim.patch(f"Users/{created['id']}", [{"op": "replace", "path": "active", "value": False}])
    before = db_state()

    response = scim.patch(f"Users/{created['id']}", [operation])

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["scimType"] == "mutability"
    name = "active" if "active" in str(operation) else "userName"
    assert name in body["detail"]
    assert db_state() == before
    assert User.objects.get(pk=created["id"]).is_active is False
