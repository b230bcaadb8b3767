from __future__ import annotations

from io import StringIO

from django.core.management import call_command


def test_the_persona_world_has_two_companies(acme_admin, traveller, other_admin):
    assert acme_admin.company != other_admin.company
    assert traveller.company == acme_admin.company


def test_the_system_checks_pass(db):
    out = StringIO()

    call_command("check", stdout=out)

    assert "System check identified no issues" in out.getvalue()


def test_the_sign_in_page_and_the_admin_login_open(client, db):
    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/admin/login/").status_code == 200
