"""Company Settings > People."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from travelportal.companies.models import CostCentre, TravelPolicy, User
from travelportal.companies.signals import people_changed


def _person(company, username, **fields):
    return User.objects.create_user(username, None, company=company, **fields)


def _make_people(company, count, start=0):
    centre = CostCentre.objects.get_or_create(company=company, name="Ops")[0]
    policy = TravelPolicy.objects.get_or_create(company=company, name="Standard")[0]
    boss = User.objects.filter(company=company, username="boss@acme.example").first() or _person(
        company, "boss@acme.example", given_name="Bea", family_name="Boss"
    )
    for i in range(start, start + count):
        _person(
            company,
            f"p{i}@acme.example",
            given_name=f"P{i}",
            family_name="Person",
            manager=boss,
            cost_centre=centre,
            travel_policy=policy,
            scim_managed=True,
        )


def test_the_list_shows_every_column(acme_admin_client, company):
    _make_people(company, 1)
    html = acme_admin_client.get("/company/people/").content.decode()
    for text in ("p0@acme.example", "Bea Boss", "Ops", "Standard", "Active", ">SCIM<"):
        assert text in html


def test_the_list_hides_other_companies_and_deleted_people(acme_admin_client, company, other_admin):
    gone = _person(company, "gone@acme.example")
    User.objects.filter(pk=gone.pk).update(deleted_at="2026-01-01T00:00:00Z")
    html = acme_admin_client.get("/company/people/").content.decode()
    assert other_admin.username not in html
    assert "gone@acme.example" not in html


def test_searching_people(acme_admin_client, company, traveller):
    _make_people(company, 3)
    page = acme_admin_client.get("/company/people/", {"q": "TOM"}).context["page"]
    assert [p.username for p in page.object_list] == [traveller.username]


def test_filtering_inactive_people(acme_admin_client, company):
    _person(company, "off@acme.example", is_active=False)
    page = acme_admin_client.get("/company/people/", {"status": "inactive"}).context["page"]
    assert [p.username for p in page.object_list] == ["off@acme.example"]


def test_the_list_is_paginated(acme_admin_client, company):
    _make_people(company, 30)
    first = acme_admin_client.get("/company/people/")
    assert len(first.context["page"].object_list) == 25
    assert "Page 1 of 2" in first.content.decode()
    second = acme_admin_client.get("/company/people/", {"page": 2})
    assert second.context["page"].number == 2
    # A page number that is not a number falls back to the first page instead of failing.
    assert acme_admin_client.get("/company/people/", {"page": "x"}).status_code == 200


def test_the_list_makes_the_same_number_of_queries_for_5_and_50_people(acme_admin_client, company):
    _make_people(company, 5)
    with CaptureQueriesContext(connection) as few:
        acme_admin_client.get("/company/people/")
    _make_people(company, 45, start=5)
    with CaptureQueriesContext(connection) as many:
        acme_admin_client.get("/company/people/")
    assert len(many) == len(few), "\n".join(q["sql"] for q in many.captured_queries)


def test_a_persons_page_shows_every_attribute(acme_admin_client, company, traveller):
    User.objects.filter(pk=traveller.pk).update(
        title="Engineer", work_phone="+44 20 1234", emergency_contact_name="Tia", pending_manager_ref="x@acme.example"
    )
    html = acme_admin_client.get(f"/company/people/{traveller.pk}/").content.decode()
    for text in (str(traveller.pk), "tom@acme.example", "Engineer", "+44 20 1234", "Tia", "x@acme.example", "pending"):
        assert text in html
    assert "Who approves Tom\u2019s trips" in html


def test_a_scim_managed_persons_page_explains_why_attributes_are_read_only(acme_admin_client, company):
    person = _person(company, "scim@acme.example", scim_managed=True)
    html = acme_admin_client.get(f"/company/people/{person.pk}/").content.decode()
    assert "Your identity provider manages this person" in html


def test_another_companys_person_is_not_found(acme_admin_client, other_admin):
    assert acme_admin_client.get(f"/company/people/{other_admin.pk}/").status_code == 404
    assert acme_admin_client.get(f"/company/people/{other_admin.pk}/edit/").status_code == 404
    response = acme_admin_client.post(f"/company/people/{other_admin.pk}/edit/", {"role": "traveller"})
    assert response.status_code == 404
    other_admin.refresh_from_db()
    assert other_admin.role == "admin"


def test_a_traveller_cannot_open_a_persons_page(traveller_client, acme_admin):
    assert traveller_client.get(f"/company/people/{acme_admin.pk}/").status_code == 403
    assert traveller_client.post(f"/company/people/{acme_admin.pk}/edit/", {"role": "traveller"}).status_code == 403
    acme_admin.refresh_from_db()
    assert acme_admin.role == "admin"


def test_anonymous_visitors_are_sent_to_sign_in(client, traveller):
    response = client.get(f"/company/people/{traveller.pk}/edit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_person_pages_refuse_other_methods(acme_admin_client, traveller):
    assert acme_admin_client.post(f"/company/people/{traveller.pk}/").status_code == 405
    assert acme_admin_client.delete(f"/company/people/{traveller.pk}/edit/").status_code == 405


def _form_data(person, **overrides):
    data = {
        "role": person.role,
        "is_active": "on" if person.is_active else "",
        "honorific_prefix": person.honorific_prefix,
        "given_name": person.given_name,
        "middle_name": person.middle_name,
        "family_name": person.family_name,
        "display_name": person.display_name,
        "title": person.title,
        "work_email": person.work_email,
        "work_phone": person.work_phone,
        "preferred_language": person.preferred_language,
        "locale": person.locale,
        "manager": person.manager_id or "",
        "cost_centre": person.cost_centre_id or "",
        "travel_policy": person.travel_policy_id or "",
        "gender": person.gender,
        "date_of_birth": person.date_of_birth or "",
        "emergency_contact_name": person.emergency_contact_name,
        "emergency_contact_phone": person.emergency_contact_phone,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != "" or k in ("manager",)}


def test_editing_a_person_the_portal_owns(acme_admin_client, company, traveller, acme_admin):
    centre = CostCentre.objects.create(company=company, name="Sales")
    received = []
    people_changed.connect(lambda **kw: received.append(kw), weak=False, dispatch_uid="test-edit")
    try:
        response = acme_admin_client.post(
            f"/company/people/{traveller.pk}/edit/",
            _form_data(traveller, title="Sales lead", manager=acme_admin.pk, cost_centre=centre.pk),
        )
    finally:
        people_changed.disconnect(dispatch_uid="test-edit")

    assert response.status_code == 302
    traveller.refresh_from_db()
    assert traveller.title == "Sales lead"
    assert traveller.manager == acme_admin
    assert traveller.cost_centre == centre
    assert received and received[0]["user_ids"] == [traveller.pk]


def test_idp_owned_attributes_of_a_scim_managed_person_cannot_be_changed(acme_admin_client, company, acme_admin):
    person = _person(company, "sam@acme.example", given_name="Sam", title="Analyst", scim_managed=True)
    html = acme_admin_client.get(f"/company/people/{person.pk}/edit/").content.decode()
    assert "attributes it sends are read-only" in html
    assert 'name="given_name"' in html and "disabled" in html

    response = acme_admin_client.post(
        f"/company/people/{person.pk}/edit/",
        _form_data(person, given_name="Hacked", title="CEO", manager=acme_admin.pk, role="travel_manager"),
    )

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.given_name == "Sam"
    assert person.title == "Analyst"
    assert person.manager is None
    assert person.role == "travel_manager"


def test_an_admin_cannot_demote_or_deactivate_themselves(acme_admin_client, acme_admin):
    data = _form_data(acme_admin, role="traveller")
    del data["is_active"]
    response = acme_admin_client.post(f"/company/people/{acme_admin.pk}/edit/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "You can&#x27;t remove your own admin role" in html
    assert "You can&#x27;t deactivate yourself" in html
    acme_admin.refresh_from_db()
    assert acme_admin.role == "admin" and acme_admin.is_active


def test_a_manager_loop_is_refused(acme_admin_client, company, traveller, acme_admin):
    User.objects.filter(pk=acme_admin.pk).update(manager=traveller)
    response = acme_admin_client.post(
        f"/company/people/{traveller.pk}/edit/", _form_data(traveller, manager=acme_admin.pk, title="Typed")
    )
    assert response.status_code == 400
    assert "that would be a loop" in response.content.decode()
    # What was typed is kept, and nothing was written.
    assert 'value="Typed"' in response.content.decode()
    traveller.refresh_from_db()
    assert traveller.manager is None
    assert traveller.title == ""


@pytest.mark.parametrize("field", ["manager", "cost_centre", "travel_policy"])
def test_another_companys_choices_are_refused(acme_admin_client, traveller, other_company, other_admin, field):
    foreign = {
        "manager": other_admin.pk,
        "cost_centre": CostCentre.objects.create(company=other_company, name="Theirs").pk,
        "travel_policy": TravelPolicy.objects.create(company=other_company, name="Theirs").pk,
    }[field]
    response = acme_admin_client.post(
        f"/company/people/{traveller.pk}/edit/", _form_data(traveller, **{field: foreign})
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    traveller.refresh_from_db()
    assert getattr(traveller, f"{field}_id") is None


def test_an_invalid_date_of_birth_is_refused(acme_admin_client, traveller):
    response = acme_admin_client.post(
        f"/company/people/{traveller.pk}/edit/", _form_data(traveller, date_of_birth="31/31/1990")
    )
    assert response.status_code == 400
    assert "Enter a valid date" in response.content.decode()
    traveller.refresh_from_db()
    assert traveller.date_of_birth is None


def test_deactivating_a_person_signs_them_out(acme_admin_client, traveller, django_capture_on_commit_callbacks):
    from tests.conftest import signed_in_client

    travellers_browser = signed_in_client(traveller)
    data = _form_data(traveller)
    del data["is_active"]
    with django_capture_on_commit_callbacks(execute=True):
        response = acme_admin_client.post(f"/company/people/{traveller.pk}/edit/", data)
    assert response.status_code == 302
    traveller.refresh_from_db()
    assert traveller.is_active is False
    assert "_auth_user_id" not in travellers_browser.session


def test_a_persons_page_shows_who_approves_their_trips_step_by_step(
    acme_admin_client, company, traveller, django_capture_on_commit_callbacks
):
    from approvals.services.approval_settings import update_approval_settings

    manager = _person(company, "mia@acme.example", given_name="Mia", family_name="Manager")
    big_boss = _person(company, "bo@acme.example", given_name="Bo", family_name="Boss")
    User.objects.filter(pk=manager.pk).update(manager=big_boss)
    User.objects.filter(pk=traveller.pk).update(manager=manager)
    with django_capture_on_commit_callbacks(execute=True):
        update_approval_settings(
            company=company,
            approvals_through_idp=True,
            auto_approval_processes=True,
            chain_depth=2,
            auto_process_trips="all",
        )

    response = acme_admin_client.get(f"/company/people/{traveller.pk}/")

    assert [[str(p) for p in step] for step in response.context["chain"]] == [["Mia Manager"], ["Bo Boss"]]
    html = response.content.decode()
    assert "Step 1:" in html and "Step 2:" in html
