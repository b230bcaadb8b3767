"""The service provider's endpoints, at fixed paths per company (``/sso/saml/<slug>/``),
and the sign-in page's "Sign in with SSO" path."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from saml2.metadata import entity_descriptor

from travelportal.accounts.models import SsoConfiguration, SsoSignInEvent
from travelportal.accounts.saml.config import public_base_url, saml_client, sp_urls
from travelportal.accounts.saml.forms import SsoStartForm
from travelportal.accounts.saml.services import complete_sign_in, start_sign_in
from travelportal.accounts.throttling import count_sso_refusal, sso_response_allowed
from travelportal.client_addresses import client_address
from travelportal.content_policy import allow_form_action

# The backend whose get_user() ends the session once the person is deactivated or
# deleted (by SCIM or anyone), as for password sessions.
SESSION_BACKEND = "travelportal.accounts.backends.UserNameBackend"
# Holds the nonce that binds a started sign-in to this browser (services.start_sign_in).
# SameSite=None: the identity provider's form POSTs the Response cross-site, and the
# browser must send the cookie with it. Only sent to the SSO paths; HttpOnly.
BROWSER_COOKIE = "sso_request"
BROWSER_COOKIE_PATH = "/sso/saml/"
# Browsers drop a SameSite=None cookie that is not Secure, and accept Secure cookies over
# plain http only from these (development): there it is marked Secure too.
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]"}


def _configuration(slug: str) -> SsoConfiguration | None:
    return SsoConfiguration.objects.select_related("company").filter(company__slug=slug).first()


def _refused(request: HttpRequest, reason: str, *, status: int = 403) -> HttpResponse:
    context = {"reason": reason, "message": SsoSignInEvent.Reason(reason).label}
    return render(request, "accounts/sso_refused.html", context, status=status)


def _too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/sso_too_many.html", status=429)


def _safe_next(request: HttpRequest, candidate: str) -> str:
    allowed = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if candidate and allowed else ""


@require_GET
def metadata(request: HttpRequest, slug: str) -> HttpResponse:
    """The SP metadata document (SAML 2.0 Metadata §2.4.4), which Entra can import."""
    configuration = _configuration(slug)
    if configuration is None:
        return _refused(request, SsoSignInEvent.Reason.NOT_CONFIGURED, status=404)
    urls = sp_urls(company=configuration.company, base_url=public_base_url(request))
    with saml_client(configuration=configuration, urls=urls) as client:
        document = entity_descriptor(client.config).to_string()
    response = HttpResponse(document, content_type="application/samlmetadata+xml")
    if "download" in request.GET:
        response["Content-Disposition"] = f'attachment; filename="{configuration.company.slug}-sp-metadata.xml"'
    return response


@require_GET
@never_cache
def login_start(request: HttpRequest, slug: str) -> HttpResponse:
    configuration = _configuration(slug)
    if configuration is None or not configuration.has_identity_provider:
        return _refused(request, SsoSignInEvent.Reason.NOT_CONFIGURED, status=404)
    urls = sp_urls(company=configuration.company, base_url=public_base_url(request))
    next_url = _safe_next(request, request.GET.get("next", ""))
    started = start_sign_in(configuration=configuration, urls=urls, next_url=next_url)
    response = redirect(started.location)
    response.set_cookie(
        BROWSER_COOKIE,
        started.browser_nonce,
        max_age=settings.SSO_REQUEST_MAX_AGE_SECONDS,
        path=BROWSER_COOKIE_PATH,
        secure=request.is_secure() or split_domain_port(request.get_host())[0] in LOOPBACK_HOSTS,
        httponly=True,
        samesite="None",
    )
    return response


# The identity provider POSTs cross-site: there is no CSRF token, and the Response's
# signature, InResponseTo (of a request started in this browser, by its cookie) and
# one-time use are what protect this endpoint.
@csrf_exempt
@require_POST
@never_cache
def acs(request: HttpRequest, slug: str) -> HttpResponse:
    """The assertion consumer service (HTTP-POST binding, Bindings §3.5)."""
    configuration = _configuration(slug)
    if configuration is None:
        return _refused(request, SsoSignInEvent.Reason.NOT_CONFIGURED, status=404)
    ip_address = client_address(request)
    if not sso_response_allowed(ip_address=ip_address):
        return _too_many(request)
    result = complete_sign_in(
        configuration=configuration,
        urls=sp_urls(company=configuration.company, base_url=public_base_url(request)),
        posted=request.POST.get("SAMLResponse", ""),
        browser_nonce=request.COOKIES.get(BROWSER_COOKIE, ""),
        ip_address=ip_address,
    )
    if result.refused:
        count_sso_refusal(ip_address=ip_address)
        return _refused(request, result.reason)
    login(request, result.user, backend=SESSION_BACKEND)
    response = redirect(_safe_next(request, result.next_url) or resolve_url(settings.LOGIN_REDIRECT_URL))
    response.delete_cookie(BROWSER_COOKIE, path=BROWSER_COOKIE_PATH, samesite="None")
    return response


@require_GET
def sso_start(request: HttpRequest) -> HttpResponse:
    """Sign in with SSO: the company from the email's domain, or as the person names it."""
    bound = "email" in request.GET or "company" in request.GET
    form = SsoStartForm(request.GET if bound else None)
    next_url = _safe_next(request, request.GET.get("next", ""))
    if bound and form.is_valid():
        target = reverse("saml:login", args=[form.company_found.slug])
        # Encoded: a next of its own (``/trips/?page=1&all=1``) stays whole.
        return redirect(f"{target}?{urlencode({'next': next_url}, safe='/')}" if next_url else target)
    context = {"form": form, "next": next_url}
    response = render(request, "accounts/sso_start.html", context, status=400 if bound else 200)
    # The form's answer redirects on to whichever company's identity provider the email
    # names, unknown when the page is drawn: form-action allows https (and http only where
    # identity providers may be http, development and tests).
    schemes = ["https:", "http:"] if settings.SSO_METADATA_ALLOW_PRIVATE_URLS else ["https:"]
    return allow_form_action(response, *schemes)
