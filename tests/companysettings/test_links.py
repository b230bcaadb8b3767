"""Links and form actions name their URL ({% url %}, {% static %}), so a page never points
at a path that no longer exists."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve, reverse

from approvals.models import ApprovalProcess
from travelportal.companies.groups import GroupData, create_group
from travelportal.companies.models import CostCentre, Group, InvoiceProfile, TravelPolicy

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# An attribute whose value starts with one "/": a path on this site written by hand.
# "//host/..." and "https://..." are external links; {% url %} and {% static %} start with "{".
HARD_CODED_PATH = re.compile(r"""\b(?:href|action|formaction|src|srcset|poster|data-[\w-]+)\s*=\s*["']\s*/(?!/)""")
LINK_ATTRIBUTES = {"href", "action", "formaction", "src"}


def hard_coded_paths(text: str) -> list[str]:
    return [match.group(0) for match in HARD_CODED_PATH.finditer(text)]


def test_the_pattern_finds_hard_coded_paths_and_allows_named_and_external_ones():
    # Guards the regular expression: if it matched nothing, the scan below would pass vacuously.
    assert hard_coded_paths('<a href="/company/">') == ['href="/']
    assert hard_coded_paths("<form action='/trips/new/'>") == ["action='/"]
    assert hard_coded_paths('<a class="brand" href="/">') == ['href="/']
    assert hard_coded_paths('<img src="/static/logo.png">') == ['src="/']
    assert hard_coded_paths("<a href=\"{% url 'companysettings:people' %}\">") == []
    assert hard_coded_paths("<link href=\"{% static 'css/portal.css' %}\">") == []
    assert hard_coded_paths('<a href="https://learn.microsoft.com/entra/">') == []
    assert hard_coded_paths('<script src="//cdn.example/x.js">') == []
    assert hard_coded_paths('<a href="#main">') == []


def test_no_template_hard_codes_a_portal_path():
    templates = sorted(TEMPLATES.rglob("*.html")) + sorted(TEMPLATES.rglob("*.txt"))
    assert len(templates) > 20

    offenders = [
        f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}"
        for path in templates
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if hard_coded_paths(line)
    ]

    assert offenders == [], "\n".join(offenders)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in LINK_ATTRIBUTES and value]


def local_paths(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return [urlsplit(url).path for url in parser.urls if url.startswith("/") and not url.startswith("//")]


def assert_every_local_link_resolves(html: str) -> None:
    paths = local_paths(html)
    assert paths, "the page links nowhere: the parser found nothing"
    broken = []
    for path in paths:
        if path.startswith(settings.STATIC_URL):
            continue
        try:
            resolve(path)
        except Resolver404:
            broken.append(path)
    assert broken == []


@pytest.fixture
def catalogue(company):
    return {
        "cost-centres": CostCentre.objects.create(company=company, name="R&D"),
        "invoice-profiles": InvoiceProfile.objects.create(company=company, name="Acme Ltd"),
        "travel-policies": TravelPolicy.objects.create(company=company, name="Standard"),
    }


def settings_pages(company, traveller, catalogue) -> list[str]:
    process = ApprovalProcess.objects.create(company=company, name="Tom's", kind=ApprovalProcess.Kind.MANUAL)
    group = create_group(company=company, data=GroupData(display_name="Sales", members=[str(traveller.pk)]))
    process.requester_groups.add(group)
    Group.objects.filter(pk=group.pk).update(travel_policy=catalogue["travel-policies"])
    pages = [
        reverse("companysettings:scim"),
        reverse("companysettings:people"),
        reverse("companysettings:person", args=[traveller.pk]),
        reverse("companysettings:person-edit", args=[traveller.pk]),
        reverse("companysettings:groups"),
        reverse("companysettings:group", args=[group.pk]),
        reverse("companysettings:group-edit", args=[group.pk]),
        reverse("companysettings:activity"),
        reverse("companysettings:approval-processes"),
        reverse("companysettings:approval-process-create"),
        reverse("companysettings:approval-process", args=[process.pk]),
        reverse("companysettings:approval-process-edit", args=[process.pk]),
    ]
    for kind, entry in catalogue.items():
        pages += [
            reverse(f"companysettings:{kind}"),
            reverse(f"companysettings:{kind}-create"),
            reverse(f"companysettings:{kind}-edit", args=[entry.pk]),
        ]
    return pages


def test_every_link_on_every_settings_page_resolves(acme_admin_client, company, traveller, catalogue):
    for url in settings_pages(company, traveller, catalogue):
        response = acme_admin_client.get(url)
        assert response.status_code == 200, url
        assert_every_local_link_resolves(response.content.decode())


def test_the_navigation_links_to_the_named_pages(acme_admin_client):
    html = acme_admin_client.get(reverse("companysettings:people")).content.decode()
    paths = set(local_paths(html))

    for name in (
        "home",
        "approvals:trip_list",
        "approvals:queue",
        "companysettings:landing",
        "companysettings:scim",
        "companysettings:people",
        "companysettings:groups",
        "companysettings:cost-centres",
        "companysettings:invoice-profiles",
        "companysettings:travel-policies",
        "companysettings:approval-processes",
        "companysettings:activity",
        "accounts:logout",
    ):
        assert reverse(name) in paths, name


@pytest.mark.parametrize("name", ["approvals:trip_list", "approvals:trip_new", "approvals:queue"])
def test_every_link_on_a_travellers_page_resolves(traveller_client, name):
    response = traveller_client.get(reverse(name))
    assert response.status_code == 200
    assert_every_local_link_resolves(response.content.decode())


def test_every_link_on_the_sign_in_page_resolves(client, db):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert_every_local_link_resolves(response.content.decode())
