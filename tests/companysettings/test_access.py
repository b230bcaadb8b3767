"""The permission matrix every Company Settings page shares: admins in, travellers and
support staff 403, anonymous visitors to the sign-in page, wrong methods 405."""

from __future__ import annotations

import pytest
from django.urls import reverse

from travelportal.accounts.models import SsoConfiguration
from travelportal.companies.models import CostCentre
from travelportal.tokens.models import Credential

GET_PAGES = [
    "/company/",
    "/company/integrations/scim",
    "/company/integrations/scim/",
    "/company/people/",
    "/company/groups/",
    "/company/cost-centres/",
    "/company/cost-centres/new/",
    "/company/invoice-profiles/",
    "/company/invoice-profiles/new/",
    "/company/travel-policies/",
    "/company/travel-policies/new/",
    "/company/provisioning-activity/",
    "/company/integrations/sso",
    "/company/integrations/sso/",
    "/company/sign-in-activity/",
]

POST_ENDPOINTS = [
    "/company/integrations/scim/enable",
    "/company/integrations/scim/disable",
    "/company/integrations/scim/tokens",
    "/company/integrations/scim/connection/disconnect",
    "/company/integrations/scim/approvals",
    "/company/integrations/sso/setup",
    "/company/integrations/sso/certificate/rotate",
    "/company/integrations/sso/idp/metadata",
    "/company/integrations/sso/idp",
    "/company/integrations/sso/options",
]


@pytest.mark.parametrize("url", GET_PAGES)
def test_an_admin_opens_every_settings_page(acme_admin_client, url):
    response = acme_admin_client.get(url, follow=True)
    assert response.status_code == 200
    assert b"Company Settings" in response.content


@pytest.mark.parametrize("url", GET_PAGES + POST_ENDPOINTS)
def test_anonymous_visitors_are_sent_to_sign_in(client, db, url):
    response = client.get(url) if url in GET_PAGES else client.post(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", GET_PAGES + POST_ENDPOINTS)
def test_a_traveller_is_refused(traveller_client, company, url):
    data = {"name": "Mine", "approvals_through_idp": "on", "chain_depth": "2", "auto_process_trips": "all"}
    response = traveller_client.get(url) if url in GET_PAGES else traveller_client.post(url, data)
    assert response.status_code == 403
    # Nothing was written.
    company.refresh_from_db()
    assert company.scim_enabled is True
    assert company.approvals_through_idp is False
    assert not Credential.objects.exists()
    assert not SsoConfiguration.objects.exists()


@pytest.mark.parametrize("url", ["/company/integrations/scim", "/company/people/"])
def test_support_staff_without_a_company_are_refused(staff_client, url):
    assert staff_client.get(url).status_code == 403


def test_a_deactivated_admin_is_refused(acme_admin_client, acme_admin):
    acme_admin.is_active = False
    acme_admin.save(update_fields=["is_active"])
    # The session no longer resolves to a user, so the visitor is anonymous.
    assert acme_admin_client.get("/company/integrations/scim").status_code == 302


@pytest.mark.parametrize("url", POST_ENDPOINTS)
def test_post_endpoints_refuse_get(acme_admin_client, url):
    assert acme_admin_client.get(url).status_code == 405


@pytest.mark.parametrize(
    "url",
    [
        "/company/",
        "/company/integrations/scim",
        "/company/people/",
        "/company/groups/",
        "/company/provisioning-activity/",
    ],
)
def test_read_only_pages_refuse_post(acme_admin_client, url):
    assert acme_admin_client.post(url).status_code == 405


def test_the_landing_page_goes_to_the_scim_page(acme_admin_client):
    response = acme_admin_client.get("/company/")
    assert response.status_code == 302
    assert response["Location"] == reverse("companysettings:scim")


def test_the_sidebar_mirrors_the_tutorial_path(acme_admin_client):
    html = acme_admin_client.get("/company/integrations/scim").content.decode()
    for label in (
        "Integrations",
        "SCIM",
        "People",
        "Groups",
        "Cost centres",
        "Invoice profiles",
        "Travel policies",
        "Approval processes",
        "Provisioning activity",
        "SSO",
        "Sign-in activity",
    ):
        assert label in html
    assert 'href="/company/approval-processes/"' in html
    assert 'href="/company/groups/"' in html
    assert 'aria-current="page">SCIM<' in html


def test_archive_endpoints_refuse_get(acme_admin_client, company):
    centre = CostCentre.objects.create(company=company, name="R&D")
    assert acme_admin_client.get(f"/company/cost-centres/{centre.pk}/archive").status_code == 405
    centre.refresh_from_db()
    assert centre.archived_at is None


# --- Pages of one object: another company's is a 404 -------------------------------------


@pytest.fixture
def acme_group(company, traveller):
    from travelportal.companies.groups import GroupData, create_group

    return create_group(company=company, data=GroupData(display_name="Sales", members=[str(traveller.pk)]))


GROUP_PAGES = ["/company/groups/{pk}/", "/company/groups/{pk}/edit/"]


@pytest.mark.parametrize("url", GROUP_PAGES)
def test_an_admin_opens_a_groups_pages(acme_admin_client, acme_group, url):
    response = acme_admin_client.get(url.format(pk=acme_group.pk))
    assert response.status_code == 200
    assert b"Company Settings" in response.content


@pytest.mark.parametrize("url", GROUP_PAGES)
def test_a_traveller_is_refused_a_groups_pages(traveller_client, acme_group, url):
    assert traveller_client.get(url.format(pk=acme_group.pk)).status_code == 403


@pytest.mark.parametrize("url", GROUP_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in_from_a_groups_pages(client, acme_group, url):
    response = client.get(url.format(pk=acme_group.pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", GROUP_PAGES)
def test_another_companys_group_is_not_found(other_admin_client, acme_group, url):
    assert other_admin_client.get(url.format(pk=acme_group.pk)).status_code == 404


def test_another_companys_group_can_not_be_edited(other_admin_client, acme_group):
    response = other_admin_client.post(f"/company/groups/{acme_group.pk}/edit/", {"policy_rank": "1"})
    assert response.status_code == 404
    acme_group.refresh_from_db()
    assert acme_group.policy_rank == 100
