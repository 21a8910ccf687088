"""Accounts: sign-up with an e-mail address, the password reset by e-mail, and what a new
password ends (the API token, the other sessions, a log-in lock)."""

import html
import re
import time

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from gallery import errors, services
from tests.gallery.factories import make_user
from tests.nstsite.test_login_lockout import HOME, _lock, site_login

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-pass-123"
NEW_PASSWORD = "Another-Secret-7"
RESET_LINK = re.compile(r"https?://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)")
MAIL_WAIT = 5.0


@pytest.fixture
def ada() -> User:
    return make_user("ada", password=PASSWORD, email="ada@example.com")


def _logged_in(username: str, password: str = PASSWORD) -> Client:
    client = Client(REMOTE_ADDR="10.0.0.9")
    assert client.post(reverse("login"), {"username": username, "password": password}).status_code == 302
    return client


def _token_works(key: str) -> bool:
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/me/").status_code == 200


def _is_logged_in(client: Client) -> bool:
    return client.get(reverse("gallery:stylization_list")).status_code == 200


def _mails(count: int) -> list:
    """The outbox once it holds `count` mails (they are sent from a thread of their own)."""
    deadline = time.monotonic() + MAIL_WAIT
    while len(mail.outbox) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return mail.outbox


def _ask_for_reset(address: str, client: Client | None = None):
    return (client or Client()).post(reverse("password_reset"), {"email": address})


def _reset_link() -> str:
    [message] = _mails(1)
    return RESET_LINK.search(message.body).group(1)


def _set_password_through(link: str, password: str = NEW_PASSWORD, client: Client | None = None):
    client = client or Client()
    form_page = client.get(link, follow=True)  # Django moves the token out of the URL first
    assert form_page.status_code == 200 and "Choose a new password" in form_page.content.decode()
    return client.post(form_page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password})


# Sign-up -----------------------------------------------------------------------------


def test_sign_up_needs_an_email_address_and_stores_it(client):
    form = {"username": "grace", "password1": "Correct-Horse-9", "password2": "Correct-Horse-9"}
    response = client.post(reverse("signup"), form)
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    assert not User.objects.filter(username="grace").exists()

    response = client.post(reverse("signup"), form | {"email": "Grace@Example.COM"})
    assert response.status_code == 302
    assert User.objects.get(username="grace").email == "Grace@example.com"  # the domain is case-blind


def test_sign_up_does_not_tell_whether_an_address_has_an_account(client, ada):
    """Two accounts may share an address: refusing it would tell anyone the address is registered."""
    form = {"username": "ada2", "email": ada.email, "password1": "Correct-Horse-9", "password2": "Correct-Horse-9"}
    assert client.post(reverse("signup"), form).status_code == 302


# Password reset by e-mail ------------------------------------------------------------


def test_the_log_in_page_and_the_lockout_page_link_to_the_reset(ada):
    reset = reverse("password_reset")
    assert f'href="{reset}"' in Client().get(reverse("login")).content.decode()
    _lock("ada", HOME)
    locked = site_login("ada", PASSWORD, HOME)
    assert locked.status_code == 429
    page = locked.content.decode()
    assert html.escape(errors.LOGIN_LOCKED.format(wait="15 minutes")) in page
    assert f'href="{reset}"' in page and "Reset your password" in page


def test_a_reset_link_by_mail_sets_a_new_password_once(ada):
    response = _ask_for_reset("ADA@example.com")  # any case
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    [message] = _mails(1)
    assert message.to == ["ada@example.com"] and message.subject == "Reset your nstsite password"
    assert "ada" in message.body
    link = _reset_link()

    done = _set_password_through(link)
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    assert _logged_in("ada", NEW_PASSWORD)
    assert Client().post(reverse("login"), {"username": "ada", "password": PASSWORD}).status_code == 200

    used = Client().get(link, follow=True).content.decode()
    assert "This link does not work" in used and 'name="new_password1"' not in used


def test_a_wrong_reset_link_changes_nothing(ada):
    _ask_for_reset(ada.email)
    link = _reset_link()
    forged = re.sub(r"/[^/]+/$", "/cf3-0123456789abcdef0123/", link)
    page = Client().get(forged, follow=True).content.decode()
    assert "This link does not work" in page
    ada.refresh_from_db()
    assert ada.check_password(PASSWORD)


def test_the_reset_answers_the_same_whether_or_not_an_account_uses_the_address(ada):
    """An address no account uses gets the answer a real one gets, word for word, and no mail
    goes out. (An account made before sign-up asked for an address has none to match.)"""
    make_user("old_timer", password=PASSWORD)
    known = _ask_for_reset(ada.email)
    unknown = _ask_for_reset("old_timer@example.com")
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert Client().get(unknown["Location"]).content == Client().get(known["Location"]).content
    assert len(_mails(2)) == 1 and mail.outbox[0].to == [ada.email]


def test_a_reset_ends_every_session_and_the_api_token_and_lifts_the_log_in_lock(ada):
    token = services.auth_token_get_or_create(user=ada).key
    elsewhere = _logged_in("ada")
    _lock("ada", HOME)  # someone guessed at her password; she no longer remembers it either
    assert site_login("ada", PASSWORD, HOME).status_code == 429

    _ask_for_reset(ada.email)
    _set_password_through(_reset_link())

    assert not _token_works(token)
    assert not Token.objects.filter(user=ada).exists()
    assert not _is_logged_in(elsewhere)
    assert site_login("ada", NEW_PASSWORD, HOME).status_code == 302


# Changing the password ---------------------------------------------------------------


def test_changing_the_password_revokes_the_api_token_and_ends_the_other_sessions(ada):
    """The one that changed it stays in: it just proved it knows both passwords. The token
    never expires, so whoever had the old password may have taken one: it must go too."""
    token = services.auth_token_get_or_create(user=ada).key
    assert _token_works(token)
    here, elsewhere = _logged_in("ada"), _logged_in("ada")

    form = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    response = here.post(reverse("password_change"), form)
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    assert "API token was revoked" in here.get(response["Location"]).content.decode()

    assert not _token_works(token)
    assert _is_logged_in(here) and not _is_logged_in(elsewhere)
    new_token = APIClient().post("/api/v1/auth/token/", {"username": "ada", "password": NEW_PASSWORD}).json()["token"]
    assert new_token != token and _token_works(new_token)


def test_a_refused_password_change_keeps_the_token(ada):
    token = services.auth_token_get_or_create(user=ada).key
    form = {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    assert _logged_in("ada").post(reverse("password_change"), form).status_code == 200
    assert _token_works(token)


def test_staff_setting_a_password_in_the_admin_revokes_the_users_token(ada):
    token = services.auth_token_get_or_create(user=ada).key
    staff = Client()
    staff.force_login(make_user(is_staff=True, is_superuser=True))
    url = reverse("admin:auth_user_password_change", args=[ada.pk])
    form = {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert staff.post(url, form).status_code == 302
    assert not _token_works(token)
    ada.refresh_from_db()
    assert ada.check_password(NEW_PASSWORD)
