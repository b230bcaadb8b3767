from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def parse(output: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in output.splitlines())


def test_create_entra_application_registers_the_client_and_prints_its_credentials_once():
    from django.contrib.auth.hashers import check_password
    from oauth2_provider.models import get_application_model

    out, _ = run("create_entra_application")

    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("client_id: ")
    assert lines[1].startswith("client_secret: ")
    values = parse(out)
    app = get_application_model().objects.get()
    assert app.client_id == values["client_id"]
    assert app.client_type == "confidential"
    assert app.authorization_grant_type == "authorization-code"
    assert app.redirect_uris.split() == [
        "https://portal.azure.com/TokenAuthorize",
        "https://entra.microsoft.com/TokenAuthorize",
    ]
    assert app.skip_authorization is False
    assert app.client_secret != values["client_secret"]
    assert check_password(values["client_secret"], app.client_secret)


def test_running_it_again_keeps_the_client_and_does_not_print_a_secret():
    from oauth2_provider.models import get_application_model

    first = parse(run("create_entra_application")[0])
    stored = get_application_model().objects.get().client_secret

    out, err = run("create_entra_application")

    assert out.splitlines() == [f"client_id: {first['client_id']}"]
    assert "--rotate-secret" in err
    assert get_application_model().objects.get().client_secret == stored


def test_rotate_secret_replaces_the_secret_of_the_same_client():
    from django.contrib.auth.hashers import check_password
    from oauth2_provider.models import get_application_model

    first = parse(run("create_entra_application")[0])

    second = parse(run("create_entra_application", "--rotate-secret")[0])

    app = get_application_model().objects.get()
    assert second["client_id"] == first["client_id"]
    assert second["client_secret"] != first["client_secret"]
    assert check_password(second["client_secret"], app.client_secret)
    assert not check_password(first["client_secret"], app.client_secret)


def test_extra_redirect_uris_are_added_once():
    from oauth2_provider.models import get_application_model

    run("create_entra_application", "--redirect-uri", "https://portal.azure.us/TokenAuthorize")
    run(
        "create_entra_application",
        "--redirect-uri",
        "https://portal.azure.us/TokenAuthorize",
        "--redirect-uri",
        "https://portal.azure.cn/TokenAuthorize",
    )

    assert get_application_model().objects.get().redirect_uris.split() == [
        "https://portal.azure.com/TokenAuthorize",
        "https://entra.microsoft.com/TokenAuthorize",
        "https://portal.azure.us/TokenAuthorize",
        "https://portal.azure.cn/TokenAuthorize",
    ]


def test_an_invalid_redirect_uri_is_refused_and_nothing_is_written():
    from oauth2_provider.models import get_application_model

    with pytest.raises(CommandError, match="redirect"):
        run("create_entra_application", "--redirect-uri", "ftp://nope.example/x")

    assert not get_application_model().objects.exists()


def test_issue_scim_token_prints_only_a_working_token(company):
    from travelportal.tokens.models import Credential, hash_token
    from travelportal.tokens.services import find_bearer_credential

    out, _ = run("issue_scim_token", "acme")

    assert out.count("\n") == 1
    raw = out.strip()
    token = Credential.objects.get()
    assert token.company == company
    assert token.token_hash == hash_token(raw)
    assert raw not in {token.prefix, token.token_hash}
    assert find_bearer_credential(raw).company == company


def test_issue_scim_token_refuses_an_unknown_company(company):
    from travelportal.tokens.models import Credential

    with pytest.raises(CommandError, match="No company has the slug 'nope'"):
        run("issue_scim_token", "nope")

    assert not Credential.objects.exists()
