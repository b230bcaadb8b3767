"""Company Settings > Developers: the company's API keys (create, shown once; list; revoke)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from travelportal.companies.models import Company
from travelportal.companysettings.access import company_admin_required
from travelportal.companysettings.forms import ApiKeyForm
from travelportal.tokens.models import Credential
from travelportal.tokens.services import issue_credential, list_company_credentials, revoke_credential

API_KEY = Credential.Kind.API_KEY


def _render_developers_page(
    request: HttpRequest,
    company: Company,
    *,
    key_form: ApiKeyForm | None = None,
    new_key: tuple[Credential, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "section": "developers",
        "company": company,
        "api_base_url": request.build_absolute_uri(reverse("api:docs")).removesuffix("docs/"),
        "keys": list_company_credentials(company=company, kind=API_KEY),
        "key_form": key_form or ApiKeyForm(),
        "new_key": new_key,
    }
    return render(request, "companysettings/developers.html", context, status=status)


@company_admin_required
@require_GET
def developers(request: HttpRequest, company: Company) -> HttpResponse:
    return _render_developers_page(request, company)


@company_admin_required
@require_POST
@never_cache
def api_key_create(request: HttpRequest, company: Company) -> HttpResponse:
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _render_developers_page(request, company, key_form=form, status=400)
    data = form.cleaned_data
    # API keys record no creator: they act for the company, whoever made them.
    key, raw = issue_credential(
        company=company, kind=API_KEY, name=data["name"], scopes=data["scopes"], expires_at=form.expires_at
    )
    # Rendered, not redirected: the key is shown this once and is never stored anywhere.
    return _render_developers_page(request, company, new_key=(key, raw), status=201)


@company_admin_required
@require_POST
def api_key_revoke(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    key = get_object_or_404(Credential.objects.for_company(company).of_kind(API_KEY), pk=pk)
    revoke_credential(credential=key)
    messages.success(request, f"The API key “{key.name}” is revoked; requests using it are refused from now on.")
    return redirect("companysettings:developers")
