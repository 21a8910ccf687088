"""Fixtures for the REST API tests: token-authenticated clients and finished stylizations."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from gallery import services
from gallery.models import Stylization
from stylizer.engine import StyleParams
from tests.gallery.factories import make_photo, make_style, make_user

TINY = StyleParams(size=64, steps=3)


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


def png_bytes(size=(64, 48), color=(10, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def make_stylization(owner, *, status=Stylization.Status.QUEUED, **fields) -> Stylization:
    """A stylization made by the service; non-queued statuses are written as a worker would."""
    stylization = services.stylization_create(
        owner=owner, photo=make_photo(owner), styles=[(make_style(), 1.0)], params=TINY
    )
    if status == Stylization.Status.SUCCEEDED:
        stylization.result.save("result.png", ContentFile(png_bytes()), save=False)
        stylization.preview.save("preview.jpg", ContentFile(png_bytes()), save=False)
        fields = {"step": 3, "total_steps": 3, "run_seconds": 1.5, **fields}
    if status in Stylization.FINISHED_STATUSES:
        fields = {"started_at": timezone.now(), "finished_at": timezone.now(), **fields}
    for name, value in {"status": status, **fields}.items():
        setattr(stylization, name, value)
    stylization.save()
    return stylization
