from __future__ import annotations


def test_home_sends_a_signed_in_person_to_their_trips(client, traveller):
    client.force_login(traveller)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/trips/"


def test_home_sends_an_anonymous_visitor_to_sign_in_through_trips(client, db):
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=/trips/")
