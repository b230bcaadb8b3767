"""Company Settings > Integrations > SCIM."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from travelportal.companies.models import Company, User
from travelportal.provisioning.models import ProvisioningLogEntry
from travelportal.tokens.models import Credential, hash_token
from travelportal.tokens.services import issue_credential

URL = "/company/integrations/scim"


def test_the_page_shows_the_scim_base_url_with_a_copy_button(acme_admin_client, settings):
    settings.PUBLIC_BASE_URL = "https://travel.example.com/"
    html = acme_admin_client.get(URL).content.decode()
    assert 'value="https://travel.example.com/scim/v2"' in html
    assert 'data-copy-target="#scim-base-url"' in html


def test_the_base_url_falls_back_to_the_request_host(acme_admin_client):
    html = acme_admin_client.get(URL).content.decode()
    assert 'value="http://testserver/scim/v2"' in html


def test_enable_scim_api(acme_admin_client, company, other_company):
    Company.objects.filter(pk__in=[company.pk, other_company.pk]).update(scim_enabled=False)
    assert "Enable SCIM API" in acme_admin_client.get(URL).content.decode()

    response = acme_admin_client.post(f"{URL}/enable", follow=True)

    assert response.status_code == 200
    company.refresh_from_db()
    other_company.refresh_from_db()
    assert company.scim_enabled is True
    assert other_company.scim_enabled is False
    assert "The SCIM API is enabled" in response.content.decode()


def test_disable_scim_api(acme_admin_client, company):
    response = acme_admin_client.post(f"{URL}/disable", follow=True)
    company.refresh_from_db()
    assert company.scim_enabled is False
    assert "Enable SCIM API" in response.content.decode()


def test_creating_a_token_shows_its_value_once(acme_admin_client, company, acme_admin):
    response = acme_admin_client.post(f"{URL}/tokens", {"name": "Entra production", "expires_on": ""})

    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    token = Credential.objects.get(company=company, name="Entra production")
    raw = response.context["new_token"][1]
    assert token.token_hash == hash_token(raw)
    assert token.created_by == acme_admin
    assert token.expires_at is None
    html = response.content.decode()
    assert f'value="{raw}"' in html
    assert "shown only this once" in html
    # The next visit lists the token by its prefix, never the value.
    html = acme_admin_client.get(URL).content.decode()
    assert raw not in html
    assert token.prefix in html
    assert "Entra production" in html


def test_a_token_can_expire_at_the_end_of_a_chosen_day(acme_admin_client, company):
    day = timezone.now().date() + dt.timedelta(days=30)
    response = acme_admin_client.post(f"{URL}/tokens", {"name": "Trial", "expires_on": day.isoformat()})
    assert response.status_code == 201
    token = Credential.objects.get(company=company, name="Trial")
    assert token.expires_at == dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "  ", "expires_on": ""}, "name", "Give the token a name."),
        ({"name": "x" * 101, "expires_on": ""}, "name", "at most 100 characters"),
        ({"name": "Old", "expires_on": "2000-01-01"}, "expires_on", "today or later"),
        ({"name": "Bad date", "expires_on": "next week"}, "expires_on", "Enter a valid date"),
        # The last day a date input offers has no next day to expire at.
        ({"name": "Forever", "expires_on": "9999-12-31"}, "expires_on", "within 10 years"),
    ],
)
def test_an_invalid_token_form_keeps_the_input_and_writes_nothing(acme_admin_client, company, data, field, message):
    response = acme_admin_client.post(f"{URL}/tokens", data)

    assert response.status_code == 400
    assert message in str(response.context["token_form"].errors[field])
    assert not Credential.objects.exists()
    if data["name"].strip() and len(data["name"]) <= 100:
        assert f'value="{data["name"]}"' in response.content.decode()


def test_revoking_a_token(acme_admin_client, company):
    token, _ = issue_credential(company=company, kind=Credential.Kind.SCIM_TOKEN, name="Old")
    response = acme_admin_client.post(f"{URL}/tokens/{token.pk}/revoke", follow=True)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "is revoked" in response.content.decode()


def test_another_companys_token_is_not_found(acme_admin_client, other_company):
    token, _ = issue_credential(company=other_company, kind=Credential.Kind.SCIM_TOKEN, name="Theirs")
    response = acme_admin_client.post(f"{URL}/tokens/{token.pk}/revoke")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoke_refuses_get(acme_admin_client, company):
    token, _ = issue_credential(company=company, kind=Credential.Kind.SCIM_TOKEN, name="Old")
    assert acme_admin_client.get(f"{URL}/tokens/{token.pk}/revoke").status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_token_list_shows_creator_last_use_and_expiry(acme_admin_client, company, acme_admin, other_company):
    token, _ = issue_credential(
        company=company,
        kind=Credential.Kind.SCIM_TOKEN,
        name="Listed",
        created_by=acme_admin,
        expires_at=timezone.now() + dt.timedelta(days=3),
    )
    Credential.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - dt.timedelta(minutes=5))
    issue_credential(company=other_company, kind=Credential.Kind.SCIM_TOKEN, name="Globex secret")
    html = acme_admin_client.get(URL).content.decode()
    assert "Listed" in html
    assert str(acme_admin) in html
    assert "5\xa0minutes ago" in html
    assert "Globex secret" not in html


def _make_tokens(company, user, count):
    for i in range(count):
        issue_credential(company=company, kind=Credential.Kind.SCIM_TOKEN, name=f"t{i}", created_by=user)


def test_the_page_makes_the_same_number_of_queries_for_5_and_50_tokens(acme_admin_client, company, acme_admin):
    _make_tokens(company, acme_admin, 5)
    with CaptureQueriesContext(connection) as few:
        assert acme_admin_client.get(URL).status_code == 200
    _make_tokens(company, acme_admin, 45)
    with CaptureQueriesContext(connection) as many:
        assert acme_admin_client.get(URL).status_code == 200
    assert len(many) == len(few), "\n".join(q["sql"] for q in many.captured_queries)


def test_the_health_summary_counts_the_last_24_hours(acme_admin_client, company, other_company, traveller):
    now = timezone.now()
    log = ProvisioningLogEntry.objects
    log.create(company=company, created_at=now - dt.timedelta(minutes=3), operation="create", status=201)
    log.create(company=company, created_at=now - dt.timedelta(hours=2), operation="update", status=400)
    log.create(company=company, created_at=now - dt.timedelta(hours=30), operation="update", status=500)
    log.create(company=company, created_at=now - dt.timedelta(hours=1), operation="manager_cycle", detail="A>B>A")
    log.create(company=other_company, created_at=now, operation="create", status=500)
    User.objects.filter(pk=traveller.pk).update(pending_manager_ref="boss@acme.example")

    health = acme_admin_client.get(URL).context["health"]

    assert health.requests_24h == 2
    assert health.errors_24h == 1
    assert health.cycles_found == 1
    assert health.pending_manager_refs == 1
    assert abs(health.last_request_at - (now - dt.timedelta(minutes=3))) < dt.timedelta(seconds=1)


# --- Entra connection -------------------------------------------------------------------


def _connect(company, user):
    from oauth2_provider.models import get_access_token_model, get_refresh_token_model

    from travelportal.tokens.services import register_entra_application

    application = register_entra_application().application
    access = get_access_token_model().objects.create(
        company=company,
        user=user,
        application=application,
        token=f"access-{company.slug}",
        expires=timezone.now() + dt.timedelta(hours=1),
        scope="scim:read scim:write scim:delete",
    )
    get_refresh_token_model().objects.create(
        company=company, user=user, application=application, token=f"refresh-{company.slug}", access_token=access
    )


def test_the_entra_connection_shows_who_authorized_it(acme_admin_client, company, acme_admin):
    _connect(company, acme_admin)
    html = acme_admin_client.get(URL).content.decode()
    assert "Connected" in html
    assert f"Authorized by <strong>{acme_admin}</strong>" in html


def test_disconnecting_entra_revokes_only_this_companys_tokens(
    acme_admin_client, company, acme_admin, other_company, other_admin
):
    from oauth2_provider.models import get_access_token_model

    _connect(company, acme_admin)
    _connect(other_company, other_admin)

    response = acme_admin_client.post(f"{URL}/connection/disconnect", follow=True)

    assert "Entra ID is disconnected" in response.content.decode()
    assert not get_access_token_model().objects.filter(company=company).exists()
    assert get_access_token_model().objects.filter(company=other_company).exists()
    assert "Not connected" in response.content.decode()


def test_disconnecting_without_a_connection_says_so(acme_admin_client):
    response = acme_admin_client.post(f"{URL}/connection/disconnect", follow=True)
    assert "Entra ID was not connected." in response.content.decode()


# --- Approvals settings -----------------------------------------------------------------


@pytest.fixture
def approvals_service(monkeypatch):
    """Stands in for approvals.services.approval_settings.update_approval_settings, recording its calls."""
    calls = []

    def update_approval_settings(**kwargs):
        calls.append(kwargs)
        company = kwargs["company"]
        company.approvals_through_idp = kwargs["approvals_through_idp"]
        company.auto_approval_processes = kwargs["auto_approval_processes"]
        company.approval_chain_depth = kwargs["chain_depth"]
        company.auto_process_trips = kwargs["auto_process_trips"]
        company.save()

    monkeypatch.setattr("travelportal.companysettings.views.scim.update_approval_settings", update_approval_settings)
    return calls


APPROVALS_ON = {
    "approvals_through_idp": "on",
    "auto_approval_processes": "on",
    "chain_depth": "2",
    "auto_process_trips": "out_of_policy",
}


def test_saving_approval_settings_calls_the_approvals_service(acme_admin_client, company, approvals_service):
    response = acme_admin_client.post(f"{URL}/approvals", APPROVALS_ON, follow=True)

    assert response.status_code == 200
    assert "Your changes have been saved." in response.content.decode()
    assert approvals_service == [
        {
            "company": company,
            "approvals_through_idp": True,
            "auto_approval_processes": True,
            "chain_depth": 2,
            "auto_process_trips": "out_of_policy",
            "on_disable": "convert",
        }
    ]


def test_turning_automation_off_asks_what_happens_to_existing_processes(acme_admin_client, company, approvals_service):
    Company.objects.filter(pk=company.pk).update(approvals_through_idp=True, auto_approval_processes=True)
    data = {"approvals_through_idp": "on", "chain_depth": "1", "auto_process_trips": "all"}

    response = acme_admin_client.post(f"{URL}/approvals", data)
    assert response.status_code == 400
    assert "Choose what happens" in response.content.decode()
    assert approvals_service == []

    acme_admin_client.post(f"{URL}/approvals", {**data, "on_disable": "delete"})
    assert approvals_service[0]["on_disable"] == "delete"
    assert approvals_service[0]["auto_approval_processes"] is False


def test_automatic_processes_need_approvals_through_an_identity_provider(acme_admin_client, company, approvals_service):
    data = {**APPROVALS_ON}
    del data["approvals_through_idp"]
    response = acme_admin_client.post(f"{URL}/approvals", data)

    assert response.status_code == 400
    assert "need “Through an Identity Provider”" in response.content.decode()
    assert approvals_service == []
    # What was typed is kept.
    assert response.context["approvals_form"]["chain_depth"].value() == "2"


def test_an_invalid_chain_depth_is_refused(acme_admin_client, company, approvals_service):
    response = acme_admin_client.post(f"{URL}/approvals", {**APPROVALS_ON, "chain_depth": "9"})
    assert response.status_code == 400
    assert approvals_service == []
    company.refresh_from_db()
    assert company.approval_chain_depth == 1


def test_saving_approval_settings_updates_the_company(acme_admin_client, company):
    response = acme_admin_client.post(f"{URL}/approvals", APPROVALS_ON, follow=True)
    assert "Your changes have been saved." in response.content.decode()
    company.refresh_from_db()
    assert company.approvals_through_idp is True
    assert company.auto_approval_processes is True
    assert company.approval_chain_depth == 2
    assert company.auto_process_trips == "out_of_policy"


def test_refusals_of_the_approvals_service_are_shown_next_to_the_field(acme_admin_client, company, monkeypatch):
    from django.core.exceptions import ValidationError

    def refuse(**kwargs):
        raise ValidationError({"chain_depth": "The chain depth must be 1, 2 or 3."})

    monkeypatch.setattr("travelportal.companysettings.views.scim.update_approval_settings", refuse)
    response = acme_admin_client.post(f"{URL}/approvals", APPROVALS_ON)
    assert response.status_code == 400
    assert response.context["approvals_form"].errors["chain_depth"] == ["The chain depth must be 1, 2 or 3."]


def test_a_request_in_the_last_minute_reads_just_now(acme_admin_client, company):
    ProvisioningLogEntry.objects.create(company=company, created_at=timezone.now(), operation="read", status=200)
    assert ">just now</time>" in acme_admin_client.get(URL).content.decode()
