"""Concurrent writes of one person never lose a change (issue 9, part 5).

Every writer (SCIM PATCH, the Company Settings edit, the Django admin change form) must
read the row under its lock, apply its change to that fresh row and save only what it
changed. Each test sends real requests through the URL stack from threads, each with
its own database connection, released together by a barrier, for many rounds: a lost
update shows up as a round after which one of the two changes is missing. Needs
PostgreSQL: SQLite serialises writers anyway.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence

import pytest
from django.db import connection
from django.test import Client

from tests.conftest import signed_in_client
from tests.foundation.test_admin import change_form_data
from tests.scim.conftest import ENTERPRISE, PATCH_OP, entra_user
from travelportal.companies.models import User

pytestmark = pytest.mark.django_db(transaction=True)

MANAGER = f"{ENTERPRISE}:manager"
COST_CENTER = f"{ENTERPRISE}:costCenter"


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent person writes need PostgreSQL row locks: set DATABASE_URL to a PostgreSQL database")


def race(*requests: Callable[[], object], delays: Sequence[float] = ()) -> list:
    """Run the requests in threads released at the same instant (each after its entry in
    ``delays``, in seconds, if any); return their results in order."""
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)
    errors: list[BaseException] = []

    def run(index: int, request: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            if index < len(delays):
                time.sleep(delays[index])
            results[index] = request()
        except BaseException as exc:  # re-raised in the test's thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a request was still running after 30 s (a lock never released?)"
    if errors:
        raise errors[0]
    return results


def scim_patch(token: str, person_id: str, *operations: dict) -> Callable[[], object]:
    """A SCIM PATCH from its own client, to be run in a thread."""
    body = json.dumps({"schemas": [PATCH_OP], "Operations": list(operations)})

    def send():
        return Client().patch(
            f"/scim/v2/Users/{person_id}",
            data=body,
            content_type="application/scim+json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    return send


def lost_changes(expected: dict, actual: dict) -> dict:
    """The expected values the person does not hold, each with what it holds instead."""
    return {k: {"sent": v, "stored": actual.get(k)} for k, v in expected.items() if actual.get(k) != v}


def assert_round_kept(round_no: int, responses: dict, expected: dict, stored: dict) -> None:
    statuses = {name: r.status_code for name, r in responses.items()}
    assert all(200 <= s < 400 for s in statuses.values()), (
        f"round {round_no}: a request failed: {statuses}; "
        + "; ".join(f"{n}: {r.content[:300]!r}" for n, r in responses.items() if r.status_code >= 400)
    )
    lost = lost_changes(expected, stored)
    assert not lost, f"round {round_no}: lost {lost} (both requests answered {statuses})"


def stored(person_id: str, *fields: str) -> dict:
    return User.objects.filter(pk=person_id).values(*fields).get()


@pytest.fixture
def person(scim, catalogue):
    """Ann, provisioned over SCIM (so she is SCIM-managed), as her SCIM resource."""
    response = scim.post("Users", entra_user())
    assert response.status_code == 201, response.content
    return response.json()


def test_two_patches_of_different_attributes_at_once_both_keep_their_change_in_every_round(scim, scim_token, person):
    for round_no in range(1, 51):
        title, family_name = f"Title {round_no}", f"Family {round_no}"

        by_title, by_name = race(
            scim_patch(scim_token, person["id"], {"op": "replace", "path": "title", "value": title}),
            scim_patch(scim_token, person["id"], {"op": "replace", "path": "name.familyName", "value": family_name}),
        )

        expected = {"title": title, "family_name": family_name}
        assert_round_kept(
            round_no, {"title PATCH": by_title, "familyName PATCH": by_name}, expected, stored(person["id"], *expected)
        )
        assert (by_title.status_code, by_name.status_code) == (200, 200), round_no
        resource = scim.get(f"Users/{person['id']}").json()
        assert (resource["title"], resource["name"]["familyName"]) == (title, family_name), (
            f"round {round_no}: SCIM GET shows {resource['title']!r} / {resource['name']['familyName']!r}"
        )


def test_a_scim_patch_racing_a_company_settings_role_change_keeps_both(scim_token, person, acme_admin):
    admin_client = signed_in_client(acme_admin)
    roles = [User.Role.TRAVEL_MANAGER, User.Role.TRAVELLER]

    def change_role(role: str):
        # A browser posts nothing for the disabled (identity provider's) fields: only the role.
        return lambda: admin_client.post(f"/company/people/{person['id']}/edit/", {"role": role})

    for round_no in range(1, 21):
        title, role = f"Title {round_no}", roles[round_no % 2]

        # The settings request does more before its write (session, form) than the PATCH
        # does before reading the person; starting the PATCH 0 to 45 ms later sweeps the
        # interleavings, so some round reads the person while the role change is in flight.
        by_scim, by_settings = race(
            scim_patch(scim_token, person["id"], {"op": "replace", "path": "title", "value": title}),
            change_role(role),
            delays=(0.005 * (round_no % 10), 0),
        )

        expected = {"title": title, "role": role}
        assert_round_kept(
            round_no,
            {"SCIM title PATCH": by_scim, "Company Settings role edit": by_settings},
            expected,
            stored(person["id"], *expected),
        )
        assert (by_scim.status_code, by_settings.status_code) == (200, 302), round_no


def test_a_scim_patch_racing_a_django_admin_edit_of_another_field_keeps_both(scim_token, person, staff_user):
    # The admin form posts back every field it shows, so SCIM changes one it does not show
    # (externalId is read-only there): a title changed by SCIM would be a real conflict,
    # the form posting the title it was loaded with.
    staff_client = signed_in_client(staff_user)
    url = f"/admin/companies/user/{person['id']}/change/"
    roles = [User.Role.TRAVEL_MANAGER, User.Role.TRAVELLER]

    for round_no in range(1, 11):
        external_id, role = f"ext-round-{round_no}", roles[round_no % 2]
        form = change_form_data(staff_client.get(url))
        form["role"] = role

        by_scim, by_admin = race(
            scim_patch(scim_token, person["id"], {"op": "replace", "path": "externalId", "value": external_id}),
            lambda form=form: staff_client.post(url, form),
        )

        expected = {"external_id": external_id, "role": role}
        assert_round_kept(
            round_no,
            {"SCIM externalId PATCH": by_scim, "Django admin role edit": by_admin},
            expected,
            stored(person["id"], *expected),
        )
        assert (by_scim.status_code, by_admin.status_code) == (200, 302), (
            round_no,
            by_admin.context and by_admin.context["adminform"].form.errors,
        )


def test_a_manager_patch_racing_a_cost_centre_patch_keeps_both(scim, scim_token, person, acme_admin, traveller):
    managers = [acme_admin, traveller]

    for round_no in range(1, 11):
        manager, centre = managers[round_no % 2], f"Centre {round_no}"

        by_manager, by_centre = race(
            scim_patch(scim_token, person["id"], {"op": "replace", "path": MANAGER, "value": str(manager.pk)}),
            scim_patch(scim_token, person["id"], {"op": "replace", "path": COST_CENTER, "value": centre}),
        )

        expected = {"manager_id": manager.pk, "cost_centre__name": centre}
        assert_round_kept(
            round_no,
            {"manager PATCH": by_manager, "costCenter PATCH": by_centre},
            expected,
            stored(person["id"], *expected),
        )
        assert (by_manager.status_code, by_centre.status_code) == (200, 200), round_no
        resource = scim.get(f"Users/{person['id']}").json()[ENTERPRISE]
        assert (resource["manager"]["value"], resource["costCenter"]) == (str(manager.pk), centre), round_no
