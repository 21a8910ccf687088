"""A real worker run: the wait shown while it runs, and the mail when it is done."""

import time

import pytest
from django.conf import settings
from django.test import Client

from gallery import services
from gallery.models import Stylization
from stylizer.engine import StyleParams
from tests.gallery.factories import make_photo, make_style, make_user
from tests.stylizer.jobs import create, finished, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

# Two coarse-to-fine stages (128 and 256 px), long enough for several polls.
TWO_STAGES = StyleParams(size=256, steps=30)


def test_the_eta_is_shown_while_running_and_falls_as_the_steps_run(rq_worker, empty_queue):
    user = make_user()
    stylization = services.stylization_create(
        owner=user, photo=make_photo(user, size=(96, 64)), styles=[(make_style(), 1.0)], params=TWO_STAGES
    )
    assert len(TWO_STAGES.stages()) >= 2
    page = Client()
    page.force_login(user)
    seen: list[int] = []
    card_said = ""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        status = page.get(f"/results/{stylization.pk}/status").json()
        if status["status"] not in ("queued", "running"):
            break
        if status["status"] == "running" and status["eta_seconds"] is not None:
            seen.append(status["eta_seconds"])
            assert status["eta_text"].endswith("left")
            if not card_said:
                card = page.get("/results/").content.decode()
                card_said = "left" if " left</p>" in card else card
        time.sleep(0.5)
    assert status["status"] == "succeeded", status
    assert status["eta_seconds"] is None, "a finished job has no wait"
    assert len(seen) >= 3, f"the ETA was shown in only {len(seen)} polls"
    assert seen[-1] < seen[0], f"the ETA did not fall: {seen}"
    assert card_said == "left", "the gallery card shows the wait"


def _link(stylization: Stylization) -> str:
    return f"{settings.SITE_URL}/results/{stylization.pk}/"


def test_an_opted_in_user_is_mailed_once_with_the_link_and_an_opted_out_one_never(rq_worker, empty_queue):
    opted_in = make_user(email="ada@example.com")
    services.profile_update(user=opted_in, notify_by_email=True)
    opted_out = make_user(email="bob@example.com")
    mailed = wait_for(create(user=opted_in), finished)
    silent = wait_for(create(user=opted_out), finished)
    assert mailed.status == silent.status == Stylization.Status.SUCCEEDED
    time.sleep(3)  # the reconciler's sweep runs every second in the tests: it must not mail again
    log = rq_worker.log_path.read_text(errors="replace")
    assert log.count(_link(mailed)) == 1, log[-3000:]
    assert "To: ada@example.com" in log
    assert _link(silent) not in log and "To: bob@example.com" not in log
    mailed.refresh_from_db()
    assert mailed.notified_attempt == mailed.attempt
