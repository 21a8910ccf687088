"""Hostile request bodies and unexpected errors: the API answers each in its error shape.

- JSON nested deeper than Python's decoder goes is a 400 `parse_error` (it was a 500);
- a JSON body over REQUEST_DATA_MAX_BYTES is a 413 before it is read (it was parsed in
  memory up to the upload limit), while multipart uploads keep their own, larger limit;
- an unexpected error under /api/ is a JSON 500 (it was the site's HTML page).
"""

import io
import os
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from gallery import errors, selectors, services
from gallery.api import serializers
from gallery.models import Photo, Style, Stylization
from tests.gallery.api.conftest import token_client
from tests.gallery.factories import make_photo, make_style, make_user, upload

pytestmark = pytest.mark.django_db

NESTED = "[" * 1000 + "]" * 1000  # 2 KB


def _json_endpoints() -> list[tuple[str, str, bool]]:
    """(method, URL, staff) of every API endpoint that reads a JSON body."""
    style = make_style()
    return [
        ("post", "/api/v1/auth/token/", False),
        ("post", "/api/v1/stylizations/", False),
        ("post", "/api/v1/styles/", True),
        ("patch", f"/api/v1/styles/{style.pk}/", True),
    ]


def test_deeply_nested_json_is_a_400_parse_error_everywhere_and_stores_nothing():
    user, staff = make_user(), make_user(is_staff=True)
    endpoints = _json_endpoints()
    styles_before = list(Style.objects.values_list("pk", "title", "is_active"))
    for method, url, as_staff in endpoints:
        client = token_client(staff if as_staff else user)
        response = getattr(client, method)(url, NESTED, content_type="application/json")
        assert response.status_code == 400, (url, response.content[:200])
        assert response.json() == {"code": "parse_error", "detail": errors.JSON_TOO_DEEP, "fields": {}}, url
    assert not Photo.objects.exists() and not Stylization.objects.exists()
    assert list(Style.objects.values_list("pk", "title", "is_active")) == styles_before


def test_nested_json_that_python_can_read_is_an_ordinary_field_error():
    photo_owner = make_user()
    payload = f'{{"photo": "{make_photo(photo_owner).pk}", "styles": {"[" * 50 + "]" * 50}}}'
    response = token_client(photo_owner).post("/api/v1/stylizations/", payload, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert not Stylization.objects.exists()


def test_a_json_body_over_its_limit_is_413_unread_in_the_error_shape(settings):
    user = make_user()
    size = settings.REQUEST_DATA_MAX_BYTES + 1
    payload = f'{{"photo": "{make_photo(user).pk}", "styles": [], "pad": "{"x" * size}"}}'
    response = token_client(user).post("/api/v1/stylizations/", payload, content_type="application/json")
    assert response.status_code == 413
    detail = errors.DATA_TOO_LARGE.format(size_kb=len(payload) / 1024, limit_kb=256)
    assert response.json() == {"code": "request_too_large", "detail": detail, "fields": {}}
    assert not Stylization.objects.exists()


def test_a_20_mb_json_body_is_refused_before_a_byte_is_read():
    """Announced with 5 bytes sent: reading the body would fail the test client's payload."""
    response = token_client(make_user()).generic(
        "POST",
        "/api/v1/stylizations/",
        b"short",
        content_type="application/json",
        CONTENT_LENGTH=str(20 * 2**20),
    )
    assert response.status_code == 413 and response.json()["detail"].startswith("The request body is 20480 KB")


def test_a_form_without_files_over_the_data_limit_is_a_413_page(client, settings):
    form = urlencode({"username": "ada", "password": "x" * settings.REQUEST_DATA_MAX_BYTES})
    response = client.post(reverse("login"), form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert "That request is too large" in response.content.decode()


def test_uploads_keep_the_large_limit(settings):
    """A photo larger than the JSON limit is an ordinary upload (multipart)."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (600, 400), os.urandom(600 * 400 * 3)).save(buffer, "PNG")  # noise: 700 KB
    assert settings.REQUEST_DATA_MAX_BYTES < len(buffer.getvalue()) < settings.UPLOAD_MAX_BYTES
    image = upload("noise.png", buffer.getvalue(), "image/png")
    response = token_client(make_user()).post("/api/v1/photos/", {"image": image}, format="multipart")
    assert response.status_code == 201, response.content
    assert Photo.objects.get().width == 600


def test_an_unexpected_error_under_the_api_is_a_json_500_never_html(monkeypatch, caplog):
    def broken(self, instance):
        raise RuntimeError("a bug")

    monkeypatch.setattr(serializers.MeSerializer, "to_representation", broken)
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {services.auth_token_get_or_create(user=make_user()).key}")
    response = client.get("/api/v1/me/", HTTP_ACCEPT="text/html,*/*")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "server_error", "detail": errors.SERVER_ERROR, "fields": {}}
    assert any("RuntimeError: a bug" in (record.exc_text or "") for record in caplog.records), "logged for us"


def test_an_unexpected_error_on_a_page_is_the_sites_500_page(client, monkeypatch):
    def broken():
        raise RuntimeError("a bug")

    monkeypatch.setattr(selectors, "style_list_active", broken)
    client.raise_request_exception = False
    response = client.get(reverse("gallery:style_list"))
    assert response.status_code == 500 and response["Content-Type"].startswith("text/html")
    assert "Something went wrong" in response.content.decode()
