"""Tokens, sessions, /me/, and the 401 every endpoint gives without credentials."""

import uuid

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from gallery import services
from gallery.models import Photo, Stylization
from tests.gallery.api.conftest import token_client
from tests.gallery.factories import make_photo, make_stylization, make_user, upload

pytestmark = pytest.mark.django_db

SOME_ID = uuid.uuid4()
PROTECTED = [
    ("get", "/api/v1/me/"),
    ("delete", "/api/v1/auth/token/"),
    ("get", "/api/v1/styles/"),
    ("post", "/api/v1/styles/"),
    ("get", f"/api/v1/styles/{SOME_ID}/"),
    ("get", "/api/v1/photos/"),
    ("post", "/api/v1/photos/"),
    ("get", f"/api/v1/photos/{SOME_ID}/"),
    ("delete", f"/api/v1/photos/{SOME_ID}/"),
    ("get", f"/api/v1/photos/{SOME_ID}/image/"),
    ("get", "/api/v1/stylizations/"),
    ("post", "/api/v1/stylizations/"),
    ("get", f"/api/v1/stylizations/{SOME_ID}/"),
    ("delete", f"/api/v1/stylizations/{SOME_ID}/"),
    ("post", f"/api/v1/stylizations/{SOME_ID}/cancel/"),
    ("post", f"/api/v1/stylizations/{SOME_ID}/retry/"),
    ("get", f"/api/v1/stylizations/{SOME_ID}/result/"),
]


@pytest.mark.parametrize(("method", "url"), PROTECTED)
def test_without_credentials_every_endpoint_is_401_with_www_authenticate(anon, method, url):
    response = getattr(anon, method)(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
        "fields": {},
    }


def test_a_bad_token_is_401(anon):
    anon.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = anon.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_obtain_a_token_with_username_and_password_and_use_it(anon):
    make_user("carol", password="s3cret-pass-123")
    response = anon.post("/api/v1/auth/token/", {"username": "carol", "password": "s3cret-pass-123"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    anon.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = anon.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "carol"
    again = APIClient().post("/api/v1/auth/token/", {"username": "carol", "password": "s3cret-pass-123"})
    assert again.json()["token"] == token, "the same token until it is revoked"


def test_wrong_password_is_a_400_with_a_message(anon):
    make_user("dave", password="s3cret-pass-123")
    response = anon.post("/api/v1/auth/token/", {"username": "dave", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "Unable to log in with provided credentials.",
        "fields": {"non_field_errors": ["Unable to log in with provided credentials."]},
    }


def test_missing_credentials_are_field_errors(anon):
    response = anon.post("/api/v1/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"username", "password"}


def test_revoked_token_no_longer_works(alice):
    client = token_client(alice)
    assert client.delete("/api/v1/auth/token/").status_code == 204
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_me_reports_the_job_allowance(settings, alice, as_alice):
    settings.STYLIZER_MAX_ACTIVE_JOBS = 4
    make_stylization(alice)
    make_stylization(alice, status=Stylization.Status.SUCCEEDED)
    assert as_alice.get("/api/v1/me/").json() == {
        "username": "alice",
        "email": "",
        "is_staff": False,
        "active_stylizations": 1,
        "max_active_stylizations": 4,
        "notify_by_email": False,
    }


def test_the_browser_session_works_and_its_writes_need_the_csrf_token(alice):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(alice)
    assert browser.get("/api/v1/me/").status_code == 200
    response = browser.post("/api/v1/stylizations/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "CSRF" in response.json()["detail"]


def _session_writes(alice):
    """Each session-authenticated API write: (method, url, data, what must be unchanged after it)."""
    photo = make_photo(alice)
    queued = make_stylization(alice)
    failed = make_stylization(alice, status=Stylization.Status.FAILED)
    token = services.auth_token_get_or_create(user=alice)
    photos = Photo.objects.count()

    def status_of(stylization):
        return Stylization.objects.filter(pk=stylization.pk).values_list("status", flat=True).first()

    return [
        ("post", "/api/v1/photos/", {"image": upload()}, lambda: Photo.objects.count() == photos),
        ("delete", f"/api/v1/photos/{photo.pk}/", None, lambda: Photo.objects.filter(pk=photo.pk).exists()),
        ("post", f"/api/v1/stylizations/{queued.pk}/cancel/", None, lambda: status_of(queued) == "queued"),
        ("post", f"/api/v1/stylizations/{failed.pk}/retry/", None, lambda: status_of(failed) == "failed"),
        ("delete", f"/api/v1/stylizations/{queued.pk}/", None, lambda: status_of(queued) == "queued"),
        ("delete", "/api/v1/auth/token/", None, lambda: Token.objects.filter(pk=token.pk).exists()),
    ]


def test_every_session_write_without_the_csrf_token_is_403_and_changes_nothing(alice):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(alice)
    for method, url, data, unchanged in _session_writes(alice):
        response = getattr(browser, method)(url, data, format="multipart" if data else None)
        assert response.status_code == 403, url
        assert response.json()["code"] == "permission_denied" and "CSRF" in response.json()["detail"]
        assert unchanged(), f"{method.upper()} {url} changed something"


def test_obtaining_a_token_ignores_a_stale_session(alice):
    make_user("erin", password="s3cret-pass-123")
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(alice)
    response = browser.post("/api/v1/auth/token/", {"username": "erin", "password": "s3cret-pass-123"})
    assert response.status_code == 200
