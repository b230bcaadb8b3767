"""Signed-in clients for the Company Settings tests."""

from __future__ import annotations

import pytest
from django.test import Client

BACKEND = "travelportal.accounts.backends.UserNameBackend"


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client


@pytest.fixture
def admin_client(admin_user) -> Client:
    return _client_for(admin_user)


@pytest.fixture
def traveller_client(traveller) -> Client:
    return _client_for(traveller)


@pytest.fixture
def other_admin_client(other_admin) -> Client:
    return _client_for(other_admin)


@pytest.fixture
def staff_client(staff_user) -> Client:
    return _client_for(staff_user)
