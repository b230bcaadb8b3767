"""Errors Entra understands: 409 uniqueness, 400 with scimType, 404 and 401, all with
RFC 7644 §3.12 bodies in application/scim+json."""

from __future__ import annotations

import uuid

import pytest

from .conftest import ENTERPRISE, TRAVELPERK, Entra, assert_scim_error, body, full_payload, minimal_payload


def _count(company):
    from travelportal.companies.models import User

    return User.objects.filter(company=company).count()


class TestUniqueness:
    def test_a_duplicate_username_in_another_case_is_a_409(self, entra, company, ann):
        before = _count(company)

        response = entra.post("Users", minimal_payload("ANN.LEE@contoso.example"))

        doc = assert_scim_error(response, 409, "uniqueness")
        assert "userName" in doc["detail"]
        assert _count(company) == before

    def test_a_duplicate_external_id_is_a_409(self, entra, company, ann):
        before = _count(company)

        response = entra.post(
            "Users", minimal_payload("someone@contoso.example", externalId="0a21f0f2-8d2a-4f8e-bf98-7a2ac8a2c9f1")
        )

        doc = assert_scim_error(response, 409, "uniqueness")
        assert "externalId" in doc["detail"]
        assert _count(company) == before

    def test_a_username_taken_in_another_company_is_a_409_that_reveals_nothing(self, entra, company, other_company):
        from travelportal.companies.models import User

        theirs = User.objects.create_user("Shared.Person@example.com", company=other_company, given_name="Greta")
        before, before_other = _count(company), _count(other_company)

        response = entra.post("Users", minimal_payload("shared.person@example.com"))

        doc = assert_scim_error(response, 409, "uniqueness")
        detail = doc["detail"].lower()
        for secret in ("globex", str(theirs.pk), "greta", "another company", "other company"):
            assert secret not in detail, doc["detail"]
        assert (_count(company), _count(other_company)) == (before, before_other)
        # It is still invisible to the company's filters.
        assert body(entra.find('userName eq "shared.person@example.com"'))["totalResults"] == 0

    def test_the_409_for_another_company_reads_like_the_one_for_the_same_company(self, entra, other_company, ann):
        from travelportal.companies.models import User

        User.objects.create_user("Shared.Person@example.com", company=other_company)

        same = body(entra.post("Users", minimal_payload("ann.lee@contoso.example")))["detail"]
        other = body(entra.post("Users", minimal_payload("shared.person@example.com")))["detail"]

        assert same.replace("ann.lee@contoso.example", "X").replace("Ann.Lee@Contoso.example", "X") == other.replace(
            "shared.person@example.com", "X"
        ).replace("Shared.Person@example.com", "X")


class TestBadPayloads:
    @pytest.mark.parametrize(
        "payload,scim_type",
        [
            ({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "active": True}, "invalidValue"),
            (minimal_payload(""), "invalidValue"),
            (minimal_payload("x@contoso.example", active="maybe"), "invalidValue"),
            (minimal_payload("x@contoso.example", title=["a", "list"]), "invalidValue"),
            (minimal_payload("x@contoso.example", **{TRAVELPERK: {"gender": "X"}}), "invalidValue"),
            (minimal_payload("x@contoso.example", **{TRAVELPERK: {"dateOfBirth": "1985-13-45"}}), "invalidValue"),
            (minimal_payload("x@contoso.example", **{TRAVELPERK: {"travelPolicy": "Nope"}}), "invalidValue"),
            (minimal_payload("x@contoso.example", **{TRAVELPERK: {"invoiceProfiles": ["Nope"]}}), "invalidValue"),
            (minimal_payload("x@contoso.example", **{ENTERPRISE: {"manager": str(uuid.uuid4())}}), None),
            (minimal_payload("x@contoso.example", displayName="x" * 300), "invalidValue"),
            (minimal_payload("x" * 250 + "@contoso.example"), "invalidValue"),
            (minimal_payload("x@contoso.example", externalId="e" * 300), "invalidValue"),
            (minimal_payload("x@contoso.example", phoneNumbers=[{"type": "work", "value": "1" * 60}]), "invalidValue"),
            (minimal_payload("x@contoso.example", emails=[{"type": "work", "value": "e" * 300}]), "invalidValue"),
            (
                minimal_payload("x@contoso.example", **{TRAVELPERK: {"emergencyContact": {"phone": "9" * 60}}}),
                "invalidValue",
            ),
            (minimal_payload("x@contoso.example", name="Ann Lee"), "invalidValue"),
            (minimal_payload("x@contoso.example", **{TRAVELPERK: "F"}), "invalidValue"),
        ],
        ids=[
            "no-userName",
            "empty-userName",
            "bad-boolean",
            "list-for-string",
            "bad-gender",
            "bad-date",
            "unknown-policy",
            "unknown-invoice-profile",
            "unknown-manager-id",
            "too-long",
            "userName-too-long",
            "externalId-too-long",
            "phone-too-long",
            "email-too-long",
            "emergency-phone-too-long",
            "name-as-string",
            "extension-as-string",
        ],
    )
    def test_a_bad_post_is_a_400_with_a_scim_type_and_nothing_written(
        self, entra, company, catalogue, payload, scim_type
    ):
        response = entra.post("Users", payload)

        if scim_type is None:
            # An unknown manager may be refused (400) or accepted as pending (201), never a 500.
            assert response.status_code in (201, 400), response.content
            if response.status_code == 400:
                assert_scim_error(response, 400, "invalidValue")
            return
        assert_scim_error(response, 400, scim_type)
        assert _count(company) == 0

    def test_a_body_that_is_not_json_is_a_400_invalid_syntax(self, entra, company):
        assert_scim_error(entra.post("Users", raw="{nope"), 400, "invalidSyntax")
        assert _count(company) == 0

    def test_a_body_that_is_not_an_object_is_a_400_invalid_syntax(self, entra, company):
        assert_scim_error(entra.post("Users", raw='["userName"]'), 400, "invalidSyntax")
        assert _count(company) == 0

    def test_the_detail_names_the_attribute_at_fault(self, entra, catalogue):
        doc = body(entra.post("Users", minimal_payload("x@contoso.example", **{TRAVELPERK: {"gender": "X"}})))

        assert "gender" in doc["detail"]


class TestNotFound:
    @pytest.mark.parametrize("user_id", ["5d0b8e7a-2c4f-4a19-b3e6-9f1c7d2a4e58", "not-a-uuid", "0", "%20"])
    def test_an_unknown_id_is_a_scim_404_for_every_method(self, entra, user_id):
        assert_scim_error(entra.get(f"Users/{user_id}"), 404)
        assert_scim_error(entra.delete(f"Users/{user_id}"), 404)
        assert_scim_error(entra.patch(f"Users/{user_id}", [{"op": "Replace", "path": "title", "value": "x"}]), 404)

    def test_a_user_of_another_company_is_a_404(self, other_entra, ann):
        doc = assert_scim_error(other_entra.get(f"Users/{ann['id']}"), 404)

        assert "ann" not in doc["detail"].lower()


class TestAuthentication:
    @pytest.mark.parametrize(
        "token,scheme",
        [(None, "Bearer"), ("wrong-token", "Bearer"), ("", "Bearer"), ("dXNlcjpwYXNz", "Basic")],
        ids=["missing", "wrong", "empty", "basic"],
    )
    @pytest.mark.parametrize(
        "method,path", [("get", "Users"), ("get", "Users?filter=userName+eq+%22a%22"), ("post", "Users")]
    )
    def test_bad_or_missing_credentials_are_a_401_with_www_authenticate_bearer(
        self, client, company, scim_token, token, scheme, method, path
    ):
        caller = Entra(client, token, scheme)

        response = caller.get(path) if method == "get" else caller.post(path, minimal_payload("x@contoso.example"))

        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert_scim_error(response, 401)
        assert _count(company) == 0

    def test_a_user_session_is_no_scim_credential(self, client, acme_admin):
        client.force_login(acme_admin)

        response = client.get("/scim/v2/Users")

        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")


class TestAnswers:
    def test_every_answer_is_scim_json_with_json_booleans(self, entra, catalogue):
        created = entra.post("Users", full_payload(active="True"))
        listed = entra.get("Users")
        read = entra.get(f"Users/{body(created)['id']}")
        patched = entra.patch(f"Users/{body(created)['id']}", [{"op": "Replace", "path": "active", "value": "False"}])

        for response in (created, listed, read, patched):
            assert response["Content-Type"].startswith("application/scim+json")
        assert body(created)["active"] is True
        assert body(listed)["Resources"][0]["active"] is True
        assert body(read)["active"] is True
        assert body(patched)["active"] is False
        assert b'"True"' not in created.content and b'"False"' not in patched.content

    def test_list_totals_are_integers(self, entra, ann):
        doc = body(entra.get("Users"))

        for key in ("totalResults", "startIndex", "itemsPerPage"):
            assert type(doc[key]) is int, key
        assert doc["totalResults"] == 1

    @pytest.mark.parametrize("method", ["put_root", "delete_collection"])
    def test_unsupported_methods_are_not_a_500(self, entra, client, scim_token, method):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {scim_token}"}
        if method == "put_root":
            response = client.put("/scim/v2/Users", data="{}", content_type="application/scim+json", **headers)
        else:
            response = client.delete("/scim/v2/Users", **headers)

        assert response.status_code in (404, 405)
        assert response["Content-Type"].startswith("application/scim+json")
