"""One rate limiter for the pages and the API (gallery.ratelimit): uploads, creates and retries
per user, sign-ups and failed log-ins per address. Over a limit, a page answers a 429 page in
the site's look saying when to try again, the API its `throttled` error; both send
Retry-After, and nothing is stored."""

import html
import threading
import types

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from gallery import errors, ratelimit, services
from gallery.models import Photo, Stylization
from tests.gallery.factories import make_photo, make_style, make_user, upload

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-pass-123"
HOME, ELSEWHERE = "10.0.0.1", "10.0.0.2"


def _limit(settings, scope: str, count: int, period: int = 3600) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, scope: (count, period)}


def _assert_429_page(response, scope: str) -> None:
    assert response.status_code == 429
    seconds = int(response["Retry-After"])
    assert seconds > 0
    page = html.unescape(response.content.decode())
    assert 'class="brand"' in page, "in the site's look"
    assert errors.RATE_LIMITED.split("{what}")[0] in page and errors.RATE_LIMITED_WHAT[scope] in page
    assert "Please try again in " in page


def _assert_429_api(response) -> None:
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert response.json()["code"] == "throttled"


def test_photo_uploads_on_the_pages_and_in_the_api_count_together(
    settings, member, member_page, member_api, media_root_files
):
    _limit(settings, "uploads", 3)
    assert member_page.post(reverse("gallery:photo_list"), {"image": upload()}).status_code == 302
    assert member_api.post("/api/v1/photos/", {"image": upload()}, format="multipart").status_code == 201
    assert member_page.post(reverse("gallery:photo_list"), {"image": upload()}).status_code == 302
    files = media_root_files()

    _assert_429_page(member_page.post(reverse("gallery:photo_list"), {"image": upload()}), "uploads")
    _assert_429_api(member_api.post("/api/v1/photos/", {"image": upload()}, format="multipart"))
    assert Photo.objects.filter(owner=member).count() == 3 and media_root_files() == files
    assert member_page.get(reverse("gallery:photo_list")).status_code == 200, "reading is not limited"
    other = Client()
    other.force_login(make_user())
    assert other.post(reverse("gallery:photo_list"), {"image": upload()}).status_code == 302, "per user"


@pytest.mark.django_db(transaction=True)
def test_creates_and_retries_on_the_pages_and_in_the_api_count_together(
    settings, member, member_page, member_api, idle_queue
):
    _limit(settings, "stylizations", 3)
    settings.STYLIZER_MAX_ACTIVE_JOBS = 10
    photo, style = make_photo(member), make_style()
    form = {"photo": str(photo.pk), "styles": [str(style.pk)], "size": "256", "preset": "draft"}
    form |= {"style_strength": "1", "seed": "0"}
    payload = {"photo": str(photo.pk), "styles": [{"style": str(style.pk)}], "options": {"size": 64, "steps": 3}}
    assert member_page.post(reverse("gallery:stylization_create"), form).status_code == 302
    first = Stylization.objects.get()
    services.stylization_cancel(stylization=first)
    assert member_page.post(reverse("gallery:stylization_retry", args=[first.pk])).status_code == 302
    assert member_api.post("/api/v1/stylizations/", payload, format="json").status_code == 201

    _assert_429_page(member_page.post(reverse("gallery:stylization_create"), form), "stylizations")
    services.stylization_cancel(stylization=first)
    _assert_429_page(member_page.post(reverse("gallery:stylization_retry", args=[first.pk])), "stylizations")
    _assert_429_api(member_api.post(f"/api/v1/stylizations/{first.pk}/retry/"))
    _assert_429_api(member_api.post("/api/v1/stylizations/", payload, format="json"))
    first.refresh_from_db()
    assert Stylization.objects.count() == 2 and (first.status, first.attempt) == ("cancelled", 2)
    assert len(idle_queue.get_job_ids()) == 2


def test_sign_ups_are_limited_per_address(settings):
    _limit(settings, "signups", 2)
    for name in ("ada", "grace"):
        form = {
            "username": name,
            "email": f"{name}@example.com",
            "password1": "Correct-Horse-9",
            "password2": "Correct-Horse-9",
        }
        assert Client(REMOTE_ADDR=HOME).post(reverse("signup"), form).status_code == 302
    form = {
        "username": "mallory",
        "email": "m@example.com",
        "password1": "Correct-Horse-9",
        "password2": "Correct-Horse-9",
    }
    _assert_429_page(Client(REMOTE_ADDR=HOME).post(reverse("signup"), form), "signups")
    assert not User.objects.filter(username="mallory").exists()
    assert Client(REMOTE_ADDR=HOME).get(reverse("signup")).status_code == 200, "the form still shows"
    assert Client(REMOTE_ADDR=ELSEWHERE).post(reverse("signup"), form).status_code == 302


def test_password_reset_requests_are_limited_per_address_so_no_one_floods_an_inbox(settings, mailoutbox):
    make_user("ada", email="ada@example.com")
    _limit(settings, "password_resets", 2)
    ask = {"email": "ada@example.com"}
    for _ in range(2):
        assert Client(REMOTE_ADDR=HOME).post(reverse("password_reset"), ask).status_code == 302
    _assert_429_page(Client(REMOTE_ADDR=HOME).post(reverse("password_reset"), ask), "password_resets")
    assert Client(REMOTE_ADDR=ELSEWHERE).post(reverse("password_reset"), ask).status_code == 302


def _site(username, password, address=HOME):
    return Client(REMOTE_ADDR=address).post(reverse("login"), {"username": username, "password": password})


def _admin(username, password, address=HOME):
    data = {"username": username, "password": password, "next": "/admin/"}
    return Client(REMOTE_ADDR=address).post(reverse("admin:login"), data)


def _token(username, password, address=HOME):
    data = {"username": username, "password": password}
    return APIClient(REMOTE_ADDR=address).post("/api/v1/auth/token/", data, format="json")


def test_failed_log_ins_across_usernames_are_limited_per_address_on_all_three_log_ins(settings, member):
    _limit(settings, "logins", 6)
    # Six usernames, one guess each: django-axes (per username and address) never locks.
    for index, login in enumerate([_site, _admin, _token] * 2):
        assert login(f"guess{index}", "wrong").status_code in (200, 400)

    # Now even the right password waits, on every log-in, from that address only.
    response = _site(member.username, PASSWORD)
    _assert_429_page(response, "logins")
    assert "_auth_user_id" not in response.client.session
    _assert_429_page(_admin(member.username, PASSWORD), "logins")
    _assert_429_api(_token(member.username, PASSWORD))
    assert _site(member.username, PASSWORD, ELSEWHERE).status_code == 302
    assert _token(member.username, PASSWORD, ELSEWHERE).status_code == 200
    assert Client(REMOTE_ADDR=HOME).get(reverse("login")).status_code == 200, "the page still shows"


def test_successful_log_ins_do_not_count(settings, member):
    _limit(settings, "logins", 2)
    for _ in range(5):
        assert _site(member.username, PASSWORD).status_code == 302
    assert _token(member.username, PASSWORD).status_code == 200


class _Clock:
    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now


def test_the_window_slides_and_retry_after_says_when_one_more_fits(settings, monkeypatch):
    _limit(settings, "uploads", 2, period=60)
    clock = _Clock(1_000 * 60.0)  # the start of a window
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=clock.time))
    request = types.SimpleNamespace(user=make_user(), META={"REMOTE_ADDR": HOME})

    assert ratelimit.check("uploads", request).allowed and ratelimit.check("uploads", request).allowed
    refused = ratelimit.check("uploads", request)
    # Both count fully for this minute, then fade over the next: one more fits halfway through it.
    assert not refused.allowed and refused.retry_after == 90
    clock.now += 89
    assert not ratelimit.check("uploads", request).allowed, "refused requests did not count, but 89 s is early"
    clock.now += 1
    assert ratelimit.check("uploads", request).allowed
    assert not ratelimit.check("uploads", request).allowed


def _separate_redis_db(url: str) -> str:
    """The test Redis, in a database of its own (so clearing the cache leaves the job queue alone)."""
    if "?db=" in url:
        return url.split("?db=")[0] + "?db=5"
    return url.rsplit("/", 1)[0] + "/5"


def test_counts_in_a_shared_redis_cache_are_exact_under_concurrent_requests(settings):
    """Two web processes share counts through CACHE_URL's Redis; increments are atomic, so
    requests arriving together cannot slip past the limit."""
    location = _separate_redis_db(settings.REDIS_URL)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}}
    _limit(settings, "uploads", 12)
    caches["default"].clear()
    request = types.SimpleNamespace(user=make_user(), META={"REMOTE_ADDR": HOME})
    allowed, lock = [], threading.Lock()

    def hammer() -> None:
        for _ in range(3):
            decision = ratelimit.check("uploads", request)
            with lock:
                allowed.append(decision.allowed)

    threads = [threading.Thread(target=hammer) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert allowed.count(True) == 12 and len(allowed) == 30
    finally:
        caches["default"].clear()
