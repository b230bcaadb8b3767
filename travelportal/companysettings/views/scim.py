"""Company Settings > Integrations > SCIM: the page and one POST endpoint per form."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from approvals.services.approval_settings import update_approval_settings
from travelportal.companies.models import Company
from travelportal.companies.rate_limits import limit_for, refusals_in_last_day
from travelportal.companies.services import set_scim_enabled
from travelportal.companysettings.access import company_admin_required
from travelportal.companysettings.forms import ApprovalSettingsForm, CredentialForm
from travelportal.forms import add_service_errors
from travelportal.provisioning.activity import scim_health
from travelportal.tokens.models import Credential
from travelportal.tokens.services import (
    disconnect_entra,
    entra_connection,
    issue_credential,
    list_company_credentials,
    revoke_credential,
)

SCIM_TOKEN = Credential.Kind.SCIM_TOKEN


def scim_base_url(request: HttpRequest) -> str:
    """The Tenant URL an admin pastes into Entra: the configured public base, else this host."""
    path = reverse("scim:root").rstrip("/")
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL.rstrip("/") + path
    return request.build_absolute_uri(path)


def _render_scim_page(
    request: HttpRequest,
    company: Company,
    *,
    token_form: CredentialForm | None = None,
    approvals_form: ApprovalSettingsForm | None = None,
    new_token: tuple[Credential, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "section": "scim",
        "company": company,
        "scim_base_url": scim_base_url(request),
        "connection": entra_connection(company),
        "tokens": list_company_credentials(company=company, kind=SCIM_TOKEN),
        "token_form": token_form or CredentialForm(),
        "approvals_form": approvals_form or ApprovalSettingsForm(company=company),
        "health": scim_health(company=company),
        "rate_limit": limit_for(company),
        "throttled_24h": refusals_in_last_day(company),
        "new_token": new_token,
    }
    return render(request, "companysettings/scim.html", context, status=status)


@company_admin_required
@require_GET
def landing(request: HttpRequest, company: Company) -> HttpResponse:
    return redirect("companysettings:scim")


@company_admin_required
@require_GET
def scim_settings(request: HttpRequest, company: Company) -> HttpResponse:
    return _render_scim_page(request, company)


@company_admin_required
@require_POST
def scim_enable(request: HttpRequest, company: Company) -> HttpResponse:
    if set_scim_enabled(company=company, enabled=True):
        messages.success(request, "The SCIM API is enabled. Create a token or authorize Entra ID to connect.")
    return redirect("companysettings:scim")


@company_admin_required
@require_POST
def scim_disable(request: HttpRequest, company: Company) -> HttpResponse:
    if set_scim_enabled(company=company, enabled=False):
        messages.success(request, "The SCIM API is disabled. Provisioning requests are refused until you enable it.")
    return redirect("companysettings:scim")


@company_admin_required
@require_POST
@never_cache
def token_create(request: HttpRequest, company: Company) -> HttpResponse:
    form = CredentialForm(request.POST)
    if not form.is_valid():
        return _render_scim_page(request, company, token_form=form, status=400)
    token, raw = issue_credential(
        company=company,
        kind=SCIM_TOKEN,
        name=form.cleaned_data["name"],
        created_by=request.user,
        expires_at=form.expires_at,
    )
    # Rendered, not redirected: the value is shown this once and is never stored anywhere.
    return _render_scim_page(request, company, new_token=(token, raw), status=201)


@company_admin_required
@require_POST
def token_revoke(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    token = get_object_or_404(Credential.objects.for_company(company).of_kind(SCIM_TOKEN), pk=pk)
    revoke_credential(credential=token)
    messages.success(request, f"The token “{token.name}” is revoked; requests using it are refused from now on.")
    return redirect("companysettings:scim")


@company_admin_required
@require_POST
def connection_disconnect(request: HttpRequest, company: Company) -> HttpResponse:
    revoked = disconnect_entra(company=company)
    if revoked:
        messages.success(request, "Entra ID is disconnected. Authorize again in Entra to reconnect.")
    else:
        messages.info(request, "Entra ID was not connected.")
    return redirect("companysettings:scim")


@company_admin_required
@require_POST
def approvals_save(request: HttpRequest, company: Company) -> HttpResponse:
    form = ApprovalSettingsForm(request.POST, company=company)
    if not form.is_valid():
        return _render_scim_page(request, company, approvals_form=form, status=400)
    data = form.cleaned_data
    try:
        update_approval_settings(
            company=company,
            approvals_through_idp=data["approvals_through_idp"],
            auto_approval_processes=data["auto_approval_processes"],
            chain_depth=data["chain_depth"],
            auto_process_trips=data["auto_process_trips"],
            on_disable=data["on_disable"],
        )
    except ValidationError as error:
        # The approvals service owns the rules; its refusals are shown next to the fields.
        company.refresh_from_db()
        add_service_errors(form, error)
        return _render_scim_page(request, company, approvals_form=form, status=400)
    messages.success(request, "Your changes have been saved.")
    return redirect("companysettings:scim")
