"""Mails when a stylization ends (stylizer/notify.py) and the setting that asks for them."""

from datetime import timedelta

import pytest
from django.core import mail

from gallery import errors, services
from gallery.models import Profile, Stylization
from stylizer.notify import stylization_notify, stylization_notify_settled
from stylizer.reconcile import stylization_reap_stale
from tests.gallery.factories import make_stylization, make_user

pytestmark = pytest.mark.django_db


def _opted_in(**fields):
    user = make_user(email="ada@example.com", **fields)
    services.profile_update(user=user, notify_by_email=True)
    return user


def _settle(stylization: Stylization, status: str, **fields) -> None:
    Stylization.objects.filter(pk=stylization.pk).update(status=status, **fields)
    stylization.refresh_from_db()


def test_a_success_is_mailed_once_with_an_absolute_link(settings, idle_queue):
    settings.SITE_URL = "https://nst.example.com"
    stylization = make_stylization(owner=_opted_in())
    _settle(stylization, "succeeded")
    assert stylization_notify(stylization_id=stylization.pk, attempt=1)
    assert not stylization_notify(stylization_id=stylization.pk, attempt=1), "the job and ..."
    assert stylization_notify_settled() == 0, "... the reconciler's sweep never mail twice"
    [message] = mail.outbox
    assert message.to == ["ada@example.com"]
    assert message.subject.startswith("Your stylization is ready")
    assert f"https://nst.example.com/results/{stylization.pk}/" in message.body


def test_a_failure_the_reaper_settles_is_mailed_by_the_sweep_with_its_reason(idle_queue, settings):
    stylization = make_stylization(owner=_opted_in())
    long_ago = stylization.created_at - timedelta(seconds=settings.STYLIZER_STALE_AFTER + 60)
    _settle(stylization, "running", started_at=long_ago, heartbeat_at=long_ago)
    assert stylization_reap_stale() == 1
    assert stylization_notify_settled() == 1
    assert stylization_notify_settled() == 0
    [message] = mail.outbox
    assert message.subject.startswith("Your stylization failed")
    assert errors.WORKER_LOST in message.body


def test_a_retry_is_a_new_attempt_with_its_own_mail_and_a_cancel_is_never_mailed(idle_queue):
    stylization = make_stylization(owner=_opted_in())
    _settle(stylization, "failed", error_message="boom")
    assert stylization_notify_settled() == 1
    _settle(stylization, "succeeded", attempt=2)
    assert stylization_notify_settled() == 1
    _settle(stylization, "cancelled", attempt=3)
    assert stylization_notify_settled() == 0
    assert [m.subject.split(":")[0] for m in mail.outbox] == ["Your stylization failed", "Your stylization is ready"]


def test_no_mail_to_an_opted_out_user_nor_for_an_unsettled_row(idle_queue):
    quiet = make_stylization(owner=make_user(email="bob@example.com"))
    _settle(quiet, "succeeded")
    running = make_stylization(owner=_opted_in())
    _settle(running, "running")
    assert stylization_notify_settled() == 0
    assert mail.outbox == []
    quiet.refresh_from_db()
    assert quiet.notified_attempt == 1, "settled and decided: opting in later mails nothing old"


def test_the_settings_page_turns_the_mail_on_and_off(member_page, member):
    member.email = "member@example.com"
    member.save()
    page = member_page.get("/accounts/settings/")
    assert page.status_code == 200 and member.email in page.content.decode()
    assert "E-mail me when a stylization finishes" in page.content.decode()
    response = member_page.post("/accounts/settings/", {"notify_by_email": "on"})
    assert response.status_code == 302
    assert Profile.objects.get(user=member).notify_by_email
    member_page.post("/accounts/settings/", {})
    assert not Profile.objects.get(user=member).notify_by_email


def test_an_account_without_an_address_cannot_opt_in():
    from django.test import Client

    user = make_user(email="")
    page = Client()
    page.force_login(user)
    response = page.post("/accounts/settings/", {"notify_by_email": "on"})
    assert response.status_code == 400
    assert errors.NO_EMAIL_TO_NOTIFY in response.content.decode()
    assert not Profile.objects.filter(user=user, notify_by_email=True).exists()


def test_the_api_reads_and_changes_the_setting(member_api, member):
    member.email = "member@example.com"
    member.save()
    assert member_api.get("/api/v1/me/").json()["notify_by_email"] is False
    response = member_api.patch("/api/v1/me/", {"notify_by_email": True}, format="json")
    assert response.status_code == 200 and response.json()["notify_by_email"] is True
    assert Profile.objects.get(user=member).notify_by_email
    bad = member_api.patch("/api/v1/me/", {"notify_by_email": "maybe"}, format="json")
    assert bad.status_code == 400


def test_the_api_refuses_opting_in_without_an_address():
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(make_user(email=""))
    response = client.patch("/api/v1/me/", {"notify_by_email": True}, format="json")
    assert response.status_code == 400
    assert errors.NO_EMAIL_TO_NOTIFY in str(response.json())


def test_staff_see_and_change_a_users_mail_setting_in_the_admin():
    from django.test import Client

    staff = make_user(is_staff=True, is_superuser=True)
    user = make_user(email="x@example.com")
    page = Client()
    page.force_login(staff)
    response = page.get(f"/admin/auth/user/{user.pk}/change/")
    assert response.status_code == 200 and 'name="profile-0-notify_by_email"' in response.content.decode()
