"""Company Settings > Integrations > SSO: the portal's values for Entra, the identity
provider (from federation metadata or by hand), the options, and the sign-in activity.
One POST endpoint per form."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from travelportal.accounts.models import SsoConfiguration, SsoSignInEvent
from travelportal.accounts.saml.config import public_base_url, sp_urls
from travelportal.accounts.saml.federation import MAX_METADATA_BYTES, MetadataError, fetch_metadata, parse_metadata
from travelportal.accounts.saml.forms import IdpManualForm, IdpMetadataForm, SsoOptionsForm
from travelportal.accounts.saml.services import (
    configure_from_metadata,
    configure_identity_provider,
    normalise_domains,
    read_certificates,
    rotate_sp_certificate,
    set_up_sso,
    update_sso_options,
)
from travelportal.companies.models import Company
from travelportal.companysettings.access import company_admin_required
from travelportal.forms import add_service_errors

RECENT_EVENTS = 10
PAGE_SIZE = 50


def _configuration(company: Company) -> SsoConfiguration | None:
    return SsoConfiguration.objects.filter(company=company).select_related("company").first()


def _render_sso_page(
    request: HttpRequest,
    company: Company,
    *,
    metadata_form: IdpMetadataForm | None = None,
    manual_form: IdpManualForm | None = None,
    options_form: SsoOptionsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    configuration = _configuration(company)
    certificates = list(configuration.idp_certificates.all()) if configuration else []
    if manual_form is None and configuration is not None:
        manual_form = IdpManualForm(
            initial={
                "idp_entity_id": configuration.idp_entity_id,
                "idp_sso_url": configuration.idp_sso_url,
                "certificate": certificates[0].pem if certificates else "",
                "next_certificate": certificates[1].pem if len(certificates) > 1 else "",
            }
        )
    context = {
        "section": "sso",
        "company": company,
        "configuration": configuration,
        "urls": sp_urls(company=company, base_url=public_base_url(request)),
        "certificates": certificates,
        "metadata_form": metadata_form or IdpMetadataForm(),
        "manual_form": manual_form,
        "options_form": options_form or (SsoOptionsForm(configuration=configuration) if configuration else None),
        "events": SsoSignInEvent.objects.for_company(company).select_related("user")[:RECENT_EVENTS],
        "test_sign_in_url": f"{reverse('saml:login', args=[company.slug])}?"
        + urlencode({"next": reverse("companysettings:sso")}, safe="/"),
    }
    return render(request, "companysettings/sso.html", context, status=status)


def _not_set_up(request: HttpRequest) -> HttpResponse:
    messages.error(request, "Set up single sign-on first.")
    return redirect("companysettings:sso")


@company_admin_required
@require_GET
def sso_settings(request: HttpRequest, company: Company) -> HttpResponse:
    return _render_sso_page(request, company)


@company_admin_required
@require_POST
def sso_setup(request: HttpRequest, company: Company) -> HttpResponse:
    _, created = set_up_sso(company=company)
    if created:
        messages.success(request, "Single sign-on is set up. Copy the three values below into Entra.")
    return redirect("companysettings:sso")


@company_admin_required
@require_POST
def sp_certificate_rotate(request: HttpRequest, company: Company) -> HttpResponse:
    configuration = _configuration(company)
    if configuration is None:
        return _not_set_up(request)
    rotate_sp_certificate(configuration=configuration)
    messages.success(request, "The portal's signing certificate is replaced; the metadata shows the new one.")
    return redirect("companysettings:sso")


@company_admin_required
@require_POST
def idp_metadata_save(request: HttpRequest, company: Company) -> HttpResponse:
    configuration = _configuration(company)
    if configuration is None:
        return _not_set_up(request)
    form = IdpMetadataForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_sso_page(request, company, metadata_form=form, status=400)
    url = form.cleaned_data["metadata_url"]
    try:
        document = fetch_metadata(url) if url else form.cleaned_data["metadata_file"].read(MAX_METADATA_BYTES + 1)
        changed = configure_from_metadata(
            configuration=configuration, provider=parse_metadata(document), metadata_url=url
        )
    except (MetadataError, ValidationError) as error:
        form.add_error(None, error.messages if isinstance(error, ValidationError) else str(error))
        return _render_sso_page(request, company, metadata_form=form, status=400)
    messages.success(request, _saved("The identity provider is set from its metadata.", changed))
    return redirect("companysettings:sso")


@company_admin_required
@require_POST
def idp_manual_save(request: HttpRequest, company: Company) -> HttpResponse:
    configuration = _configuration(company)
    if configuration is None:
        return _not_set_up(request)
    form = IdpManualForm(request.POST)
    if not form.is_valid():
        return _render_sso_page(request, company, manual_form=form, status=400)
    data = form.cleaned_data
    try:
        changed = configure_identity_provider(
            configuration=configuration,
            entity_id=data["idp_entity_id"],
            sso_url=data["idp_sso_url"],
            certificates=read_certificates([data["certificate"], data["next_certificate"]]),
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return _render_sso_page(request, company, manual_form=form, status=400)
    messages.success(request, _saved("The identity provider is saved.", changed))
    return redirect("companysettings:sso")


@company_admin_required
@require_POST
def options_save(request: HttpRequest, company: Company) -> HttpResponse:
    configuration = _configuration(company)
    if configuration is None:
        return _not_set_up(request)
    form = SsoOptionsForm(request.POST, configuration=configuration)
    if not form.is_valid():
        return _render_sso_page(request, company, options_form=form, status=400)
    data = form.cleaned_data
    try:
        changed = update_sso_options(
            configuration=configuration,
            require_sso=data["require_sso"],
            jit_provisioning=data["jit_provisioning"],
            break_glass_admins=data["break_glass_admins"],
            email_domains=normalise_domains(data["email_domains"]),
            name_id_attribute=data["name_id_attribute"] or None,
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return _render_sso_page(request, company, options_form=form, status=400)
    messages.success(request, _saved("Your changes have been saved.", changed))
    return redirect("companysettings:sso")


@company_admin_required
@require_GET
def sign_in_activity(request: HttpRequest, company: Company) -> HttpResponse:
    events = SsoSignInEvent.objects.for_company(company).select_related("user")
    if request.GET.get("outcome") == "refused":
        events = events.refused()
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"section": "sign-in-activity", "page": page, "outcome": request.GET.get("outcome", "")}
    return render(request, "companysettings/sign_in_activity.html", context)


def _saved(message: str, changed: list[str]) -> str:
    return message if changed else "Nothing changed."
