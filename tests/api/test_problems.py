"""Every error is application/problem+json (RFC 9457); Api-Version 1 is the only version."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem

pytestmark = pytest.mark.django_db


def test_an_unknown_path_is_a_problem_404(api):
    assert_problem(api.get("/api/no_such_thing"), 404, instance="/api/no_such_thing")


def test_a_malformed_id_is_a_problem_404(api):
    assert_problem(api.get("/api/cost_centers/abc"), 404)


def test_a_wrong_method_is_a_problem_405(api):
    body = assert_problem(api.delete("/api/cost_centers"), 405)
    assert "DELETE" in body["detail"]


def test_invalid_json_is_a_problem_400(api):
    response = api.client.post(
        "/api/cost_centers", data="{not json", content_type="application/json", HTTP_AUTHORIZATION=api.authorization
    )
    assert_problem(response, 400)


def test_a_body_that_is_not_json_is_a_problem_415(api):
    response = api.client.post(
        "/api/cost_centers", data="name=x", content_type="text/plain", HTTP_AUTHORIZATION=api.authorization
    )
    assert_problem(response, 415)


def test_a_limit_over_50_is_a_field_problem(api):
    body = assert_problem(api.get("/api/cost_centers?limit=51"), 400)
    assert body["errors"][0]["field"] == "limit"


def test_a_malformed_cursor_is_a_field_problem(api):
    body = assert_problem(api.get("/api/cost_centers?cursor=%%%"), 400)
    assert body["errors"][0]["field"] == "cursor"


def test_api_version_1_is_accepted_and_echoed(api):
    response = api.get("/api/users", api_version="1")
    assert response.status_code == 200
    assert response["Api-Version"] == "1"


def test_a_missing_api_version_means_1(api):
    assert api.get("/api/users")["Api-Version"] == "1"


@pytest.mark.parametrize("version", ["2", "0", "v1", ""])
def test_another_api_version_is_a_400_naming_the_supported_ones(api, version):
    body = assert_problem(api.get("/api/users", api_version=version), 400, supported_versions=["1"])
    assert "Supported versions: 1" in body["detail"]


def test_the_version_is_checked_before_anything_is_written(api):
    from travelportal.companies.models import CostCentre

    assert_problem(api.post("/api/cost_centers", {"name": "Sales"}, api_version="2"), 400)
    assert not CostCentre.objects.exists()
