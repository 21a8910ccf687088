"""Login throttling (django-axes): failed log-ins on the site, the admin and the API's token
endpoint count together; at LOGIN_FAILURE_LIMIT all three refuse that username from that
address for the cool-off, even with the right password, and say until when."""

import html
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from gallery import errors

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-pass-123"
HOME = "10.0.0.1"
COOL_OFF = 15 * 60


@pytest.fixture
def ada(django_user_model):
    # Staff, so that the admin would let her in with the right password.
    return django_user_model.objects.create_user("ada", password=PASSWORD, is_staff=True)


def site_login(username, password, address=HOME, **headers):
    return Client(REMOTE_ADDR=address, **headers).post(reverse("login"), {"username": username, "password": password})


def admin_login(username, password, address=HOME, **headers):
    return Client(REMOTE_ADDR=address, **headers).post(
        reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"}
    )


def token_login(username, password, address=HOME, **headers):
    return APIClient(REMOTE_ADDR=address, **headers).post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


LOGINS = [site_login, admin_login, token_login]


def _logged_in(response) -> bool:
    return response.status_code == 302 or (response.status_code == 200 and "token" in response.json())


def _assert_locked(response, *, api: bool) -> None:
    assert response.status_code == 429
    assert COOL_OFF - 60 < int(response["Retry-After"]) <= COOL_OFF
    message = errors.LOGIN_LOCKED.format(wait="15 minutes")
    if api:
        assert response.json() == {"code": "login_locked", "detail": message, "fields": {}}
    else:
        assert html.escape(message) in response.content.decode()


def _lock(username="ada", address=HOME) -> None:
    """Five failures spread over the three log-ins; the fifth is refused as locked."""
    for attempt, login in enumerate([site_login, admin_login, token_login, site_login]):
        response = login(username, "wrong", address)
        assert response.status_code in (200, 400), f"failure {attempt + 1} is an ordinary error"
    _assert_locked(token_login(username, "wrong", address), api=True)


def test_failures_on_the_three_log_ins_count_together_and_lock_all_three(ada):
    _lock()
    for login in LOGINS:
        _assert_locked(login("ada", PASSWORD), api=login is token_login)
    assert Client(REMOTE_ADDR=HOME).get(reverse("gallery:stylization_list")).status_code == 302


def test_the_site_log_in_page_says_it_is_locked_in_the_sites_look(ada):
    _lock()
    page = site_login("ada", PASSWORD).content.decode()
    assert "Log-in locked" in page and 'class="brand"' in page


def test_another_address_and_another_user_are_not_locked(ada, django_user_model):
    django_user_model.objects.create_user("bob", password=PASSWORD)
    _lock()
    assert _logged_in(site_login("ada", PASSWORD, address="10.0.0.2"))
    assert _logged_in(token_login("ada", PASSWORD, address="10.0.0.2"))
    assert _logged_in(site_login("bob", PASSWORD))


def test_a_forged_forwarded_address_does_not_dodge_the_lock(ada):
    _lock()
    response = site_login("ada", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.23")
    _assert_locked(response, api=False)


def test_behind_a_trusted_proxy_each_client_has_its_own_lock(ada, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.250"
    for _ in range(4):
        site_login("ada", "wrong", proxy, HTTP_X_FORWARDED_FOR="203.0.113.5")
    _assert_locked(site_login("ada", "wrong", proxy, HTTP_X_FORWARDED_FOR="203.0.113.5"), api=False)
    assert _logged_in(site_login("ada", PASSWORD, proxy, HTTP_X_FORWARDED_FOR="203.0.113.6"))


def test_log_in_works_again_after_the_cool_off(ada):
    _lock()
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(seconds=COOL_OFF))
    for login in LOGINS:
        assert _logged_in(login("ada", PASSWORD)), login.__name__


def test_trying_while_locked_does_not_extend_the_lock(ada):
    _lock()
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=10))
    response = site_login("ada", "wrong")
    assert response.status_code == 429 and int(response["Retry-After"]) <= 5 * 60
    assert errors.LOGIN_LOCKED.format(wait="5 minutes") in html.unescape(response.content.decode())


def test_a_successful_log_in_clears_the_count(ada):
    for _ in range(4):
        site_login("ada", "wrong")
    assert _logged_in(site_login("ada", PASSWORD))
    for _ in range(4):
        assert site_login("ada", "wrong").status_code == 200
    assert _logged_in(token_login("ada", PASSWORD))


def test_the_limit_and_cool_off_come_from_the_settings(ada, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=1)
    assert site_login("ada", "wrong").status_code == 200
    response = token_login("ada", "wrong")
    assert response.status_code == 429 and response["Retry-After"] == "60"
    assert response.json()["detail"] == errors.LOGIN_LOCKED.format(wait="1 minute")
