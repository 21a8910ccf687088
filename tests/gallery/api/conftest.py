"""Fixtures for the REST API tests: token-authenticated clients (rows: tests.gallery.factories)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from gallery import services
from tests.gallery.factories import make_user


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {services.auth_token_get_or_create(user=user).key}")
    return client


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture
def alice():
    return make_user("alice")


@pytest.fixture
def bob():
    return make_user("bob")


@pytest.fixture
def as_alice(alice) -> APIClient:
    return token_client(alice)


@pytest.fixture
def as_bob(bob) -> APIClient:
    return token_client(bob)
