from __future__ import annotations


def test_the_persona_world_has_two_companies(admin_user, traveller, other_admin):
    assert admin_user.company != other_admin.company
    assert traveller.company == admin_user.company
