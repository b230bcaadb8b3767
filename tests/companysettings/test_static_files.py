"""Static files are the portal's own, served by WhiteNoise: nothing comes from a CDN."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.http import HttpResponse
from django.test import RequestFactory
from whitenoise.middleware import WhiteNoiseMiddleware

BASE = Path(django_settings.BASE_DIR)


@pytest.fixture
def collected(tmp_path, settings):
    """collectstatic with the production storage (hashed names, compressed copies)."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    return WhiteNoiseMiddleware(lambda request: HttpResponse("not static", status=404))


@pytest.mark.parametrize(
    ("name", "content_type"), [("css/portal.css", "text/css"), ("js/portal.js", "text/javascript")]
)
def test_whitenoise_serves_hashed_static_files_forever_cacheable(collected, name, content_type):
    url = staticfiles_storage.url(name)
    assert re.fullmatch(rf"/static/{name.rsplit('.', 1)[0]}\.[0-9a-f]{{12}}\.{name.rsplit('.', 1)[1]}", url)

    response = collected(RequestFactory().get(url))

    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert "immutable" in response["Cache-Control"]
    assert "max-age=315360000" in response["Cache-Control"]


def test_whitenoise_serves_compressed_copies(collected):
    url = staticfiles_storage.url("css/portal.css")
    response = collected(RequestFactory().get(url, HTTP_ACCEPT_ENCODING="gzip"))
    assert response.status_code == 200
    assert response["Content-Encoding"] in {"gzip", "br"}


def test_unknown_static_files_are_not_found(collected):
    response = collected(RequestFactory().get("/static/css/nope.css"))
    assert response.status_code == 404


def test_pages_load_only_the_portals_own_static_files(acme_admin_client):
    html = acme_admin_client.get("/company/integrations/scim").content.decode()
    sources = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources, "the page should load its stylesheet and script"
    assert all(src.startswith("/static/") for src in sources), sources


def _own_files():
    for folder, patterns in ((BASE / "templates", ("*.html",)), (BASE / "static", ("*.css", "*.js"))):
        for pattern in patterns:
            yield from folder.rglob(pattern)


# Ways a page makes the browser fetch something: src=, <link href=>, CSS url() and @import, fetch().
_FETCHES = re.compile(
    r"""src=["']?(?:https?:)?//|<link[^>]+href=["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import[^;]*//|fetch\(\s*["'](?:https?:)?//""",
    re.I,
)


def test_no_template_or_static_file_loads_anything_from_another_host():
    offenders = [
        f"{path.relative_to(BASE)}: {match.group(0)}"
        for path in _own_files()
        for match in _FETCHES.finditer(path.read_text())
    ]
    assert not offenders, offenders
