from __future__ import annotations

import re

import pytest
from django.core import mail
from django.utils import timezone

from tests.accounts.test_login import sign_in, signed_in_user_id

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase 2026"


def reset_link(message) -> str:
    match = re.search(r"https?://testserver(/accounts/reset/[^/\s]+/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_the_reset_page_asks_for_an_email(client):
    response = client.get("/accounts/password-reset/")

    assert response.status_code == 200
    assert ">Email</label>" in response.content.decode()


def test_a_reset_link_is_emailed_and_sets_a_new_password(client, traveller):
    response = client.post("/accounts/password-reset/", {"email": "TOM@acme.example"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["tom@acme.example"]
    assert message.subject == "Reset your Travel Portal password"

    form_page = client.get(reset_link(message), follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == "/accounts/reset/done/"

    traveller.refresh_from_db()
    assert traveller.check_password(NEW_PASSWORD)
    sign_in(client, traveller.username, NEW_PASSWORD)
    assert signed_in_user_id(client) == str(traveller.pk)


def test_the_link_works_only_once(client, traveller):
    client.post("/accounts/password-reset/", {"email": traveller.work_email})
    link = reset_link(mail.outbox[0])
    url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = client.get(link, follow=True)

    assert again.context["validlink"] is False
    assert "This link no longer works" in again.content.decode()


def test_a_person_provisioned_without_a_password_can_choose_one(client, company):
    from travelportal.companies.models import User

    person = User.objects.create_user("sam@acme.example", None, company=company, scim_managed=True)
    assert not person.has_usable_password()

    client.post("/accounts/password-reset/", {"email": "sam@acme.example"})

    # No work email: the userName is the address.
    assert [m.to for m in mail.outbox] == [["sam@acme.example"]]


def test_mismatched_new_passwords_are_refused(client, traveller):
    client.post("/accounts/password-reset/", {"email": traveller.work_email})
    url = client.get(reset_link(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    old_hash = traveller.password

    response = client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"})

    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    traveller.refresh_from_db()
    assert traveller.password == old_hash


@pytest.mark.parametrize("state", ["unknown", "deactivated", "deleted"])
def test_no_email_goes_to_unknown_deactivated_or_deleted_people_and_the_page_says_the_same(client, traveller, state):
    if state == "deactivated":
        traveller.is_active = False
    if state == "deleted":
        traveller.deleted_at = timezone.now()
    traveller.save()
    email = "nobody@acme.example" if state == "unknown" else traveller.work_email

    response = client.post("/accounts/password-reset/", {"email": email})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert mail.outbox == []


def test_an_invalid_email_is_refused_with_a_message(client, traveller):
    response = client.post("/accounts/password-reset/", {"email": "not an email"})

    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert mail.outbox == []


def test_the_reset_page_refuses_other_methods(client):
    assert client.put("/accounts/password-reset/").status_code == 405
