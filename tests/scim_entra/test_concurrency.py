"""Entra sends at least 25 requests a second per company; two creates of the same person
racing each other must still leave one user (a 201 and a 409, never a 500 or a twin)."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from .conftest import minimal_payload


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="in-memory SQLite's shared cache raises 'table is locked' on concurrent writers; run on PostgreSQL",
)
def test_racing_creates_of_one_username_leave_one_user(company, scim_token):
    from travelportal.companies.models import User

    spellings = ["race@contoso.example", "RACE@contoso.example", "Race@Contoso.example", "race@CONTOSO.example"]
    statuses: list[int] = []
    barrier = threading.Barrier(len(spellings))

    def create(user_name):
        try:
            barrier.wait()
            response = Client().post(
                "/scim/v2/Users",
                data=json.dumps(minimal_payload(user_name)),
                content_type="application/scim+json",
                HTTP_AUTHORIZATION=f"Bearer {scim_token}",
            )
            statuses.append(response.status_code)
            if response.status_code == 409:
                assert json.loads(response.content)["scimType"] == "uniqueness"
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(name,)) for name in spellings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201, 409, 409, 409], statuses
    assert User.objects.with_username("race@contoso.example").count() == 1
