"""The cache that rate limits count in: one count for every process, and never a failed request.

Each gunicorn worker used to count in its own memory, so 3 workers let 38 of 45 attempts
through a 20/minute limit. The default cache is now the queue's Redis (nstsite.cache).
"""

import logging
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.test import Client

from gallery.models import Photo
from nstsite.cache import OPTIONS, SharedCache
from tests.conftest import ROOT, _worker_env
from tests.gallery.api.conftest import token_client
from tests.gallery.factories import make_user, upload

ADDRESS = "203.0.113.7"
# Another web process: three sign-ups from ADDRESS, each refused as incomplete (every one counts).
OTHER_PROCESS = f"""
import django
django.setup()
from django.test import Client
client = Client(REMOTE_ADDR="{ADDRESS}", HTTP_HOST="localhost")
print(*[client.post("/accounts/signup/", {{"username": "x"}}).status_code for _ in range(3)])
"""


@pytest.mark.django_db
def test_rate_limits_count_across_processes(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signups": (3, 60)}
    cache.clear()
    other = subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS],
        cwd=ROOT,
        env=_worker_env() | {"RATE_LIMIT_SIGNUPS": "3/minute"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert other.stdout.split() == ["400", "400", "400"], other.stderr

    here = Client(REMOTE_ADDR=ADDRESS).post("/accounts/signup/", {"username": "x"})
    assert here.status_code == 429 and "Retry-After" in here.headers
    elsewhere = Client(REMOTE_ADDR="198.51.100.2").post("/accounts/signup/", {"username": "x"})
    assert elsewhere.status_code == 400, "counted per address"
    cache.clear()


def test_an_unreachable_cache_answers_as_an_empty_one_and_says_so(tmp_path, caplog):
    unreachable = SharedCache(f"unix://{tmp_path}/no-redis-here.sock?db=1", {"OPTIONS": OPTIONS})
    with caplog.at_level(logging.WARNING, logger="nstsite.cache"):
        unreachable.set("count", 5)
        assert unreachable.get("count", "missed") == "missed"
        assert unreachable.add("count", 1) is True
        assert unreachable.incr("count") == 1
        assert unreachable.get_many(["count"]) == {}
    assert "The cache is unreachable" in caplog.text


@pytest.mark.django_db
def test_uploads_still_work_while_the_cache_server_is_down(redis_server, media_root_files):
    """The rate limit on uploads counts nothing during the outage instead of failing the upload."""
    user = make_user()
    redis_server.stop()
    response = token_client(user).post("/api/v1/photos/", {"image": upload("fine.jpg")}, format="multipart")
    assert response.status_code == 201, response.content
    assert Photo.objects.filter(owner=user).count() == 1 and media_root_files()
