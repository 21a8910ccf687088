"""A form sent without its CSRF token (a stale page, or another site posting in the user's name)
is refused with our own 403 page, and nothing changes. The API's session writes are covered
in tests/gallery/api/test_auth.py."""

import html
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from gallery import errors
from gallery.models import Photo, Stylization
from tests.gallery.factories import make_photo, make_style, make_stylization, make_user, upload

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-pass-123"


@dataclass
class Action:
    """A POST a signed-in user can make: its URL and form, and what must be unchanged after."""

    url: str
    data: dict
    unchanged: Callable[[], bool]


def _stylization(owner, status=Stylization.Status.QUEUED) -> Stylization:
    return make_stylization(owner, status=status)


def _status_is(stylization, status) -> Callable[[], bool]:
    return lambda: Stylization.objects.get(pk=stylization.pk).status == status


def upload_photo(user) -> Action:
    return Action(reverse("gallery:photo_list"), {"image": upload("new.jpg")}, lambda: not Photo.objects.exists())


def delete_photo(user) -> Action:
    photo = make_photo(user)
    url = reverse("gallery:photo_delete", args=[photo.pk])
    return Action(url, {}, lambda: Photo.objects.filter(pk=photo.pk).exists())


def create_stylization(user) -> Action:
    form = {"photo_file": upload("new.jpg"), "styles": [str(make_style().pk)], "size": "256", "preset": "draft"}
    return Action(
        reverse("gallery:stylization_create"),
        form | {"style_strength": "1"},
        lambda: not Stylization.objects.exists() and not Photo.objects.exists(),
    )


def cancel_stylization(user) -> Action:
    stylization = _stylization(user)
    url = reverse("gallery:stylization_cancel", args=[stylization.pk])
    return Action(url, {}, _status_is(stylization, Stylization.Status.QUEUED))


def retry_stylization(user) -> Action:
    stylization = _stylization(user, Stylization.Status.FAILED)
    url = reverse("gallery:stylization_retry", args=[stylization.pk])
    return Action(url, {}, _status_is(stylization, Stylization.Status.FAILED))


def delete_stylization(user) -> Action:
    stylization = _stylization(user)
    url = reverse("gallery:stylization_delete", args=[stylization.pk])
    return Action(url, {}, lambda: Stylization.objects.filter(pk=stylization.pk).exists())


def change_password(user) -> Action:
    form = {"old_password": PASSWORD, "new_password1": "Another-Secret-7", "new_password2": "Another-Secret-7"}
    return Action(reverse("password_change"), form, lambda: User.objects.get(pk=user.pk).check_password(PASSWORD))


def log_out(user) -> Action:
    return Action(reverse("logout"), {}, lambda: True)  # checked below: still signed in


SIGNED_IN_ACTIONS = [
    upload_photo,
    delete_photo,
    create_stylization,
    cancel_stylization,
    retry_stylization,
    delete_stylization,
    change_password,
    log_out,
]


@pytest.fixture
def user():
    return make_user(password=PASSWORD)


@pytest.fixture
def browser(user) -> Client:
    """A signed-in browser whose requests are CSRF-checked, as real ones are."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def _assert_refused_kindly(response) -> None:
    assert response.status_code == 403
    page = response.content.decode()
    assert html.escape(errors.CSRF_FAILED) in page
    assert 'class="brand"' in page, "the site's own page"


@pytest.mark.parametrize("make_action", SIGNED_IN_ACTIONS, ids=[action.__name__ for action in SIGNED_IN_ACTIONS])
def test_a_signed_in_post_without_the_csrf_token_is_403_and_changes_nothing(browser, user, make_action):
    action = make_action(user)
    _assert_refused_kindly(browser.post(action.url, action.data))
    assert action.unchanged()
    assert browser.get(reverse("gallery:stylization_list")).status_code == 200, "still signed in"


@pytest.mark.parametrize("make_action", [upload_photo, cancel_stylization, change_password], ids=lambda f: f.__name__)
def test_the_same_post_with_its_token_goes_through(browser, user, make_action):
    """The control: the refusals above are about the token, not the requests."""
    action = make_action(user)
    browser.get(reverse("gallery:photo_list"))  # sets the CSRF cookie, as any page does
    response = browser.post(action.url, action.data | {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
    assert response.status_code == 302
    assert not action.unchanged()


@pytest.mark.parametrize(
    ("url", "form"),
    [
        (
            "signup",
            {
                "username": "eve",
                "email": "eve@example.com",
                "password1": "Correct-Horse-9",
                "password2": "Correct-Horse-9",
            },
        ),
        ("login", {"username": "ada", "password": PASSWORD}),
        ("password_reset", {"email": "ada@example.com"}),
        ("admin:login", {"username": "ada", "password": PASSWORD, "next": "/admin/"}),
    ],
)
def test_signing_up_or_in_without_the_csrf_token_is_403(url, form):
    make_user("ada", password=PASSWORD, is_staff=True, email="ada@example.com")
    client = Client(enforce_csrf_checks=True)
    _assert_refused_kindly(client.post(reverse(url), form))
    assert not User.objects.filter(username="eve").exists()
    assert "_auth_user_id" not in client.session
