"""The queue's outages, with the real test Redis taken down or wiped and a real worker.

- Redis down: creating answers 503 and keeps the request as a failed, retryable row (no
  row claims to be queued without a job); every page and API read still renders from the
  database; when Redis is back the worker resumes by itself and the retry runs.
- Redis wiped (FLUSHALL): queued and running rows whose jobs vanished are failed by the
  worker's reconciler with a message that says so, and retrying them works.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from gallery import errors, services
from gallery.models import Stylization
from tests.gallery.factories import make_photo, make_style, make_user
from tests.stylizer.jobs import LONG, create, finished, running_with_progress, shorten, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

JOB_WAIT = 120  # the worker's reconnection backoff grows while Redis is down


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _reads(stylization: Stylization, failed: Stylization) -> list[str]:
    """Every page and API read a user of these rows can make."""
    pages = [
        reverse("gallery:home"),
        reverse("gallery:stylization_list"),
        reverse("gallery:stylization_list") + "?status=failed",
        reverse("gallery:stylization_create"),
        reverse("gallery:photo_list"),
        reverse("gallery:style_list"),
        reverse("password_change"),
    ]
    for row in (stylization, failed):
        pages += [
            reverse("gallery:stylization_detail", args=[row.pk]),
            reverse("gallery:stylization_status", args=[row.pk]),
            reverse("gallery:stylization_delete", args=[row.pk]),
            reverse("gallery:photo_image", args=[row.photo_id]),
        ]
    pages += [
        reverse("gallery:stylization_result", args=[stylization.pk]),
        reverse("gallery:stylization_preview", args=[stylization.pk]),
    ]
    api = [
        "/api/v1/me/",
        "/api/v1/styles/",
        "/api/v1/photos/",
        "/api/v1/stylizations/",
        "/api/v1/stylizations/?status=failed",
        f"/api/v1/stylizations/{stylization.pk}/",
        f"/api/v1/stylizations/{failed.pk}/",
        f"/api/v1/stylizations/{stylization.pk}/result/",
        "/api/schema/",
        "/api/docs/",
    ]
    return pages + api


def test_redis_down_is_503_on_create_pages_still_render_and_work_resumes(
    worker_factory,
    idle_queue,
    client,
    redis_server,  # last: its teardown brings Redis back first
):
    worker_factory()
    user = make_user()
    done = wait_for(create(user=user), finished)
    assert done.status == Stylization.Status.SUCCEEDED
    photo, style = make_photo(user), make_style()
    payload = {"photo": str(photo.pk), "styles": [{"style": str(style.pk)}], "options": {"size": 64, "steps": 3}}

    redis_server.stop()
    response = _api(user).post("/api/v1/stylizations/", payload, format="json")
    assert response.status_code == 503 and response.json()["code"] == "queue_unavailable"
    failed = Stylization.objects.get(pk=response.json()["stylization"])
    assert (failed.status, failed.error_message) == (Stylization.Status.FAILED, errors.QUEUE_UNAVAILABLE)
    assert not Stylization.objects.filter(status__in=Stylization.ACTIVE_STATUSES).exists()

    client.force_login(user)
    for url in _reads(done, failed):
        reader = _api(user) if url.startswith("/api/") else client
        assert reader.get(url, follow=True).status_code == 200, url
    client.force_login(make_user(is_staff=True, is_superuser=True))
    for url in [
        reverse("admin:index"),
        reverse("admin:gallery_stylization_changelist"),
        reverse("admin:gallery_stylization_change", args=[failed.pk]),
    ]:
        assert client.get(url).status_code == 200, url
    dashboard = client.get(reverse("admin:django_rq_home"))  # the one page that is about Redis itself
    assert dashboard.status_code == 503 and errors.QUEUE_DOWN in dashboard.content.decode()

    redis_server.start()
    response = _api(user).post(f"/api/v1/stylizations/{failed.pk}/retry/")
    assert response.status_code == 200 and response.json()["status"] == "queued"
    failed = wait_for(failed, finished, timeout=JOB_WAIT)  # the worker reconnected on its own
    assert failed.status == Stylization.Status.SUCCEEDED, failed.error_message


def test_after_redis_is_wiped_rows_without_jobs_fail_saying_so_and_retry_works(worker_factory, idle_queue):
    worker_factory()
    running = wait_for(create(LONG), running_with_progress)
    queued = create(LONG)

    idle_queue.connection.flushall()
    # The worker's reconciler (every second here) fails both rows...
    for row in (running, queued):
        row = wait_for(row, finished, timeout=30)
        assert (row.status, row.error_message) == (Stylization.Status.FAILED, errors.QUEUE_LOST)

    # ...and stops painting the running one (LONG would take minutes): the retries run now.
    for row in (running, queued):
        shorten(row)
        services.stylization_retry(stylization=row)
        assert wait_for(row, finished, timeout=60).status == Stylization.Status.SUCCEEDED
