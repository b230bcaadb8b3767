"""Further forms seen from Entra's provisioning engine: string primaries, charset in the
content type, self-renames, removes, whole multi-valued replaces, and list query counts."""

from __future__ import annotations

import json
from urllib.parse import quote_plus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .conftest import ENTERPRISE, TRAVELPERK, assert_scim_error, body, find_typed, minimal_payload


def _user(user_id):
    from travelportal.companies.models import User

    return User.objects.get(pk=user_id)


def test_string_primary_in_emails_is_answered_as_a_json_boolean(entra):
    response = entra.post(
        "Users",
        minimal_payload(
            "p@contoso.example", emails=[{"type": "work", "value": "p@contoso.example", "primary": "True"}]
        ),
    )

    assert response.status_code == 201, response.content
    email = find_typed(body(response)["emails"], "work")
    assert email["value"] == "p@contoso.example"
    assert email.get("primary", True) is True
    assert _user(body(response)["id"]).work_email == "p@contoso.example"


@pytest.mark.parametrize("content_type", ["application/scim+json; charset=utf-8", "application/json"])
def test_request_content_type_variants_are_parsed_as_json(client, scim_token, content_type):
    response = client.post(
        "/scim/v2/Users",
        data=json.dumps(minimal_payload("ct@contoso.example", title="CFO")),
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Bearer {scim_token}",
    )

    assert response.status_code == 201, response.content
    assert response["Content-Type"].startswith("application/scim+json")
    assert _user(json.loads(response.content)["id"]).title == "CFO"


def test_a_username_with_a_plus_is_found_by_its_url_encoded_filter(entra):
    created = body(entra.post("Users", minimal_payload("Ann+Travel@Contoso.example")))

    query = quote_plus('userName eq "ann+travel@contoso.example"')
    doc = body(entra.get(f"Users?filter={query}"))

    assert [r["id"] for r in doc["Resources"]] == [created["id"]]


def test_a_username_with_an_apostrophe_is_found(entra):
    created = body(entra.post("Users", minimal_payload("o'brien@contoso.example")))

    doc = body(entra.find('userName eq "O\'Brien@contoso.example"'))

    assert [r["id"] for r in doc["Resources"]] == [created["id"]]


def test_filter_combined_with_paging(entra, ann):
    query = quote_plus('userName eq "ann.lee@contoso.example"')
    doc = body(entra.get(f"Users?filter={query}&startIndex=1&count=100"))

    assert doc["totalResults"] == 1 and doc["startIndex"] == 1 and doc["itemsPerPage"] == 1


def test_changing_only_the_case_of_ones_own_username_is_no_conflict(entra, ann):
    response = entra.patch(
        f"Users/{ann['id']}", [{"op": "Replace", "path": "userName", "value": "ANN.LEE@contoso.example"}]
    )

    assert response.status_code in (200, 204), response.content
    assert _user(ann["id"]).username == "ANN.LEE@contoso.example"
    assert body(entra.get(f"Users/{ann['id']}"))["userName"] == "ANN.LEE@contoso.example"


def test_resending_the_same_username_and_external_id_is_no_conflict(entra, ann):
    response = entra.patch(
        f"Users/{ann['id']}",
        [{"op": "replace", "value": {"userName": ann["userName"], "externalId": ann["externalId"]}}],
    )

    assert response.status_code in (200, 204), response.content


def test_the_same_external_id_in_another_company_is_allowed(entra, other_entra, ann):
    response = other_entra.post(
        "Users", minimal_payload("ann@globex.example", externalId="0a21f0f2-8d2a-4f8e-bf98-7a2ac8a2c9f1")
    )

    assert response.status_code == 201, response.content
    assert body(response)["externalId"] == "0a21f0f2-8d2a-4f8e-bf98-7a2ac8a2c9f1"


def test_patching_external_id_to_a_taken_one_is_a_409(entra, ann, make_user):
    bob = make_user("bob@contoso.example")

    response = entra.patch(f"Users/{bob['id']}", [{"op": "Replace", "path": "externalId", "value": ann["externalId"]}])

    assert_scim_error(response, 409, "uniqueness")
    assert _user(bob["id"]).external_id == ""


@pytest.mark.parametrize(
    "path,attribute",
    [
        ("title", "title"),
        ('phoneNumbers[type eq "work"]', "work_phone"),
        ('phoneNumbers[type eq "work"].value', "work_phone"),
        ("name.middleName", "middle_name"),
        (f"{TRAVELPERK}:emergencyContact", "emergency_contact_phone"),
        (f"{TRAVELPERK}:gender", "gender"),
    ],
)
def test_remove_clears_the_attribute(entra, ann, path, attribute):
    response = entra.patch(f"Users/{ann['id']}", [{"op": "Remove", "path": path}])

    assert response.status_code in (200, 204), response.content
    assert getattr(_user(ann["id"]), attribute) == ""


def test_remove_of_invoice_profiles_by_value_filter_removes_only_that_one(entra, ann, catalogue):
    entra.patch(
        f"Users/{ann['id']}",
        [{"op": "Add", "path": f"{TRAVELPERK}:invoiceProfiles", "value": [{"value": "Acme GmbH"}]}],
    )
    assert _user(ann["id"]).invoice_profiles.count() == 2

    response = entra.patch(
        f"Users/{ann['id']}", [{"op": "Remove", "path": f'{TRAVELPERK}:invoiceProfiles[value eq "Acme Ltd"]'}]
    )

    assert response.status_code in (200, 204), response.content
    assert list(_user(ann["id"]).invoice_profiles.all()) == [catalogue["acme_gmbh"]]
    assert body(entra.get(f"Users/{ann['id']}"))[TRAVELPERK]["invoiceProfiles"] == [{"value": "Acme GmbH"}]


def test_replace_of_a_whole_multi_valued_attribute(entra, ann):
    doc_response = entra.patch(
        f"Users/{ann['id']}",
        [
            {
                "op": "replace",
                "path": "emails",
                "value": [{"type": "work", "value": "new@contoso.example", "primary": True}],
            }
        ],
    )

    assert doc_response.status_code in (200, 204), doc_response.content
    doc = body(entra.get(f"Users/{ann['id']}"))
    assert [e["value"] for e in doc["emails"]] == ["new@contoso.example"]
    assert _user(ann["id"]).work_email == "new@contoso.example"


def test_replace_of_a_complex_attribute_by_path_keeps_unnamed_sub_attributes(entra, ann):
    response = entra.patch(f"Users/{ann['id']}", [{"op": "Replace", "path": "name", "value": {"givenName": "Annie"}}])

    assert response.status_code in (200, 204), response.content
    user = _user(ann["id"])
    assert (user.given_name, user.family_name, user.middle_name) == ("Annie", "Lee", "Marie")


def test_add_of_the_emergency_contact_object_by_path(entra, make_user):
    created = make_user("ec@contoso.example")

    response = entra.patch(
        f"Users/{created['id']}",
        [{"op": "Add", "path": f"{TRAVELPERK}:emergencyContact", "value": {"name": "Ann", "phone": "+34 600 000 000"}}],
    )

    assert response.status_code in (200, 204), response.content
    assert body(entra.get(f"Users/{created['id']}"))[TRAVELPERK]["emergencyContact"] == {
        "name": "Ann",
        "phone": "+34 600 000 000",
    }


def test_a_disabled_manager_is_still_returned(entra, ann, mona):
    entra.patch(f"Users/{ann['id']}", [{"op": "Add", "path": f"{ENTERPRISE}:manager", "value": mona["id"]}])

    entra.patch(f"Users/{mona['id']}", [{"op": "Replace", "path": "active", "value": "False"}])

    assert body(entra.get(f"Users/{ann['id']}"))[ENTERPRISE]["manager"]["value"] == mona["id"]
    assert str(_user(ann["id"]).manager_id) == mona["id"]


def test_listing_users_has_a_bounded_number_of_queries(entra, company, catalogue, mona):
    from travelportal.companies.models import CostCentre, User

    centre = CostCentre.objects.create(company=company, name="Sales")
    manager = User.objects.get(pk=mona["id"])

    def make(n):
        for i in range(n):
            user = User.objects.create_user(
                f"q{len(User.objects.all())}-{i}@contoso.example",
                company=company,
                scim_managed=True,
                manager=manager,
                cost_centre=centre,
                travel_policy=catalogue["standard"],
            )
            user.invoice_profiles.set([catalogue["acme_ltd"], catalogue["acme_gmbh"]])

    make(3)
    with CaptureQueriesContext(connection) as small:
        assert entra.get("Users?count=100").status_code == 200
    make(20)
    with CaptureQueriesContext(connection) as large:
        doc = body(entra.get("Users?count=100"))

    assert doc["totalResults"] == 24
    assert len(large) == len(small), "\n".join(q["sql"] for q in large.captured_queries)


@pytest.mark.parametrize("sent", ["Female", "f", "female", "FEMALE"])
def test_a_gender_spelling_is_answered_as_f(entra, ann, sent):
    # The SCIM issue (#3) fixes the product rule: gender is M or F, male/female are accepted
    # in any case and answered as M/F. Entra then re-sends such a spelling each cycle (a
    # harmless PATCH); admins who map M/F avoid that. Unknown values: test_patch.py.
    response = entra.patch(f"Users/{ann['id']}", [{"op": "Replace", "path": f"{TRAVELPERK}:gender", "value": sent}])

    assert response.status_code in (200, 204), response.content
    assert body(entra.get(f"Users/{ann['id']}"))[TRAVELPERK]["gender"] == "F"
    assert _user(ann["id"]).gender == "F"


def test_an_unresolved_manager_reference_appears_nowhere_but_under_the_enterprise_urn(entra, ann):
    response = entra.patch(
        f"Users/{ann['id']}", [{"op": "Add", "path": f"{ENTERPRISE}:manager", "value": "not-a-uuid"}]
    )

    assert response.status_code in (200, 204, 400), response.content
    doc = body(entra.get(f"Users/{ann['id']}"))
    flattened = json.dumps({k: v for k, v in doc.items() if k != ENTERPRISE})
    assert "not-a-uuid" not in flattened, flattened
    assert "manager" not in json.dumps(doc.get(TRAVELPERK, {})).lower()


def test_a_replace_without_a_value_is_a_400_and_changes_nothing(entra, ann):
    response = entra.patch(f"Users/{ann['id']}", [{"op": "Replace", "path": "title"}])

    assert (response.status_code, _user(ann["id"]).title) == (400, "Head of Travel")
    assert body(response)["scimType"] in ("invalidValue", "invalidSyntax")


def test_path_less_keys_are_case_insensitive(entra, ann):
    response = entra.patch(
        f"Users/{ann['id']}",
        [{"op": "Replace", "value": {"Title": "CFO", "Name.GivenName": "Annie", "ACTIVE": "False"}}],
    )

    assert response.status_code in (200, 204), response.content
    doc = body(entra.get(f"Users/{ann['id']}"))
    assert (doc["title"], doc["name"]["givenName"], doc["active"]) == ("CFO", "Annie", False)
    assert "Title" not in doc and "GivenName" not in doc["name"]
    user = _user(ann["id"])
    assert (user.title, user.given_name, user.is_active) == ("CFO", "Annie", False)


def test_etag_header_matches_meta_version_when_etags_are_announced(entra, ann):
    etag = body(entra.get("ServiceProviderConfig"))["etag"]["supported"]

    response = entra.get(f"Users/{ann['id']}")

    if etag:
        assert response["ETag"] == body(response)["meta"]["version"]
    else:
        assert "ETag" not in response


def test_add_of_a_work_email_list_to_a_user_with_one_replaces_it(entra, ann):
    response = entra.patch(
        f"Users/{ann['id']}",
        [{"op": "Add", "path": "emails", "value": [{"type": "work", "value": "ann2@contoso.example"}]}],
    )

    assert response.status_code in (200, 204), response.content
    doc = body(entra.get(f"Users/{ann['id']}"))
    assert [e["value"] for e in doc["emails"] if e.get("type") == "work"] == ["ann2@contoso.example"]
    assert _user(ann["id"]).work_email == "ann2@contoso.example"
