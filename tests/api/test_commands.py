"""issue_api_key prints the key alone; register_api_client prints the client id and secret."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from travelportal.tokens.models import Credential, hash_token
from travelportal.tokens.scopes import API_SCOPES

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_issue_api_key_prints_only_the_key_with_every_scope(company):
    out = _run("issue_api_key", "acme")
    assert out.count("\n") == 1
    raw = out.strip()
    key = Credential.objects.get()
    assert key.token_hash == hash_token(raw) and key.company == company
    assert key.scopes == set(API_SCOPES) and key.name == "issue_api_key"


def test_issue_api_key_takes_a_name_and_scopes(company):
    _run("issue_api_key", "acme", "--name", "ERP", "--scopes", "users:read,trips:read")
    key = Credential.objects.get()
    assert key.name == "ERP" and key.scopes == {"users:read", "trips:read"}


def test_the_printed_key_works_against_the_api(company, client):
    raw = _run("issue_api_key", "acme", "--scopes", "users:read").strip()
    assert client.get("/api/users", HTTP_AUTHORIZATION=f"ApiKey {raw}").status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "No company has the slug 'nope'."),
        (["acme", "--scopes", "users:read,everything"], "Unknown scopes: everything"),
        (["acme", "--name", " "], "A key needs a name"),
    ],
)
def test_issue_api_key_refuses_bad_input_and_writes_nothing(company, args, message):
    with pytest.raises(CommandError, match=message):
        _run("issue_api_key", *args)
    assert not Credential.objects.exists()


def test_register_api_client_prints_the_id_and_secret(company):
    client_id, secret = _run("register_api_client", "acme", "--name", "ERP", "--scopes", "users:read").split()
    from travelportal.tokens.models import CompanyApplication

    link = CompanyApplication.objects.get()
    assert link.application.client_id == client_id and link.company == company and link.scopes == ["users:read"]
    assert link.application.client_secret != secret
