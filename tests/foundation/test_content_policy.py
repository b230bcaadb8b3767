"""The Content-Security-Policy and Permissions-Policy of every page (issue 21), without a
browser: the headers each response carries, and templates with no inline code that a
policy without 'unsafe-inline' would refuse (tests/browser/test_content_policy.py loads
the pages in Chromium and watches for violations)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.companysettings.test_access import GET_PAGES
from tests.foundation.test_outages import database_down
from tests.tokens.conftest import ENTRA_REDIRECT, authorize_params, entra  # noqa: F401
from travelportal.content_policy import style_hashes

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

ANONYMOUS_PAGES = ["/accounts/login/", "/accounts/sso/", "/accounts/password-reset/", "/api/docs/", "/api/docs/redoc/"]
ADMIN_PAGES = [*GET_PAGES, "/", "/trips/", "/api/docs/", "/api/docs/redoc/"]


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: sources for name, *sources in directives}


def assert_strict(response) -> dict[str, list[str]]:
    directives = policy(response)
    for name in ("script-src", "style-src"):
        assert not {"'unsafe-inline'", "'unsafe-eval'"} & set(directives[name]), (name, directives[name])
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    html = response.content.decode()
    assert not INLINE_SCRIPT.findall(html), INLINE_SCRIPT.findall(html)
    assert not INLINE_HANDLER.findall(html), INLINE_HANDLER.findall(html)
    assert not STYLE_ATTRIBUTE.findall(html), STYLE_ATTRIBUTE.findall(html)
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    return directives


@pytest.mark.parametrize("url", ANONYMOUS_PAGES)
def test_every_public_page_has_a_strict_policy(client, db, url):
    response = client.get(url, follow=True)

    assert response.status_code == 200
    directives = assert_strict(response)
    if url != "/accounts/sso/":
        assert directives["form-action"] == ["'self'"]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_every_signed_in_page_has_a_strict_policy(acme_admin_client, url):
    response = acme_admin_client.get(url, follow=True)

    assert response.status_code == 200
    assert policy(response)["form-action"] == ["'self'"]
    assert_strict(response)


def test_the_redoc_page_passes_redoc_the_nonce_its_policy_allows(client, db):
    response = client.get("/api/docs/redoc/")

    directives = assert_strict(response)
    (nonce,) = re.findall(r'<script src="[^"]*redoc-init\.js" nonce="([^"]+)"', response.content.decode())
    assert f"'nonce-{nonce}'" in directives["script-src"]
    # Redoc nonces the <style> elements it writes at run time with the same value.
    assert f"'nonce-{nonce}'" in directives["style-src"]
    assert client.get("/api/docs/redoc/").content.decode().count(nonce) == 0  # a new nonce per request


def test_the_consent_page_lets_its_form_lead_only_to_the_clients_redirect_uri(acme_admin_client, entra):  # noqa: F811
    response = acme_admin_client.get("/oauth2/authorize/", authorize_params(entra))

    assert response.status_code == 200
    assert policy(response)["form-action"] == ["'self'", "https://portal.azure.com"]
    assert ENTRA_REDIRECT.startswith("https://portal.azure.com/")
    assert_strict(response)


def test_the_sso_page_lets_its_form_lead_on_to_an_https_identity_provider_only(client, db, settings):
    assert policy(client.get("/accounts/sso/"))["form-action"] == ["'self'", "https:"]

    settings.SSO_METADATA_ALLOW_PRIVATE_URLS = True
    assert policy(client.get("/accounts/sso/"))["form-action"] == ["'self'", "https:", "http:"]


def test_the_outage_page_allows_its_inline_style_by_hash_only(acme_admin_client):
    with database_down():
        response = acme_admin_client.get("/company/")

    assert response.status_code == 503
    directives = assert_strict(response)
    (digest,) = style_hashes(response.content.decode())
    assert directives["style-src"] == ["'self'", digest]


def test_a_404_has_the_policy_too(client, db):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert_strict(response)


def template_files() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


COMMENT = re.compile(r"{% comment %}.*?{% endcomment %}|{#.*?#}", re.DOTALL)
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(?:href|action|src)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


@pytest.mark.parametrize("path", template_files(), ids=lambda path: str(path.relative_to(TEMPLATES)))
def test_no_template_has_inline_script_handlers_or_style_attributes(path):
    html = COMMENT.sub("", path.read_text())

    assert not INLINE_HANDLER.findall(html), "inline event handler: use a data- attribute and static/js/portal.js"
    assert not STYLE_ATTRIBUTE.findall(html), "style attribute: use a class in static/css/portal.css"
    assert not INLINE_SCRIPT.findall(html), "inline <script>: move it to static/js/"
    assert not JAVASCRIPT_URL.findall(html), "javascript: URL"
    # The one named exception: the 503 page keeps its <style> (allowed by hash, see
    # travelportal.outages), as it must render without static files.
    if path.relative_to(TEMPLATES).as_posix() != "503.html":
        assert "<style" not in html.lower(), "<style> block: move it to static/css/"


def test_the_template_check_sees_the_patterns_it_refuses():
    assert INLINE_HANDLER.findall('<button type="button" onclick="go()">')
    assert STYLE_ATTRIBUTE.findall('<p class="x" style="color: red">')
    assert INLINE_SCRIPT.findall("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.findall('<script src="/static/js/portal.js" defer></script>')
    assert not INLINE_HANDLER.findall('<input name="x" data-confirm="Delete?">')


def test_the_redoc_hashes_are_of_the_installed_redoc_bundle(settings):
    """REDOC_CONTENT_SECURITY_POLICY allows the <style> elements of one Redoc bundle by
    hash: a new drf-spectacular-sidecar needs them taken again (the browser test prints
    the refused ones)."""
    import hashlib

    import drf_spectacular_sidecar

    bundle = Path(drf_spectacular_sidecar.__file__).parent / "static/drf_spectacular_sidecar/redoc/bundles"
    digest = hashlib.sha256((bundle / "redoc.standalone.js").read_bytes()).hexdigest()

    assert digest == settings.REDOC_BUNDLE_SHA256


def test_only_the_redoc_page_has_redocs_exception(client, db, settings):
    redoc = policy(client.get("/api/docs/redoc/"))
    swagger = policy(client.get("/api/docs/"))

    for source in settings.REDOC_CONTENT_SECURITY_POLICY["style-src"]:
        assert source in redoc["style-src"]
        assert source not in swagger["style-src"]
    assert redoc["worker-src"] == ["'self'", "blob:"]
    assert "worker-src" not in swagger
