"""Prints run by a real worker process: it advertises the sizes it makes (it listens on
their queues), continues a finished result to a print, and stops a running print on cancel."""

import pytest
from django.test import Client
from PIL import Image

from gallery import errors, services
from gallery.models import Stylization
from gallery.services.prints import print_create
from gallery.services.queue import print_sides_available
from tests.conftest import _stop_workers
from tests.gallery.prints import workers_making
from tests.stylizer.jobs import create, finished, running_with_progress, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

Status = Stylization.Status
# What the site offers in these tests; the worker makes up to 1024 px (STYLIZER_PRINT_MAX_SIDE).
SIDES = (96, 1024, 1448)


@pytest.fixture
def print_worker(settings, _worker_pool, worker_factory, empty_queue):
    """The only worker for this test, making prints up to 1024 px."""
    settings.STYLIZER_PRINT_SIDES = SIDES
    _stop_workers(_worker_pool)
    return worker_factory({"STYLIZER_PRINT_SIDES": ",".join(map(str, SIDES)), "STYLIZER_PRINT_MAX_SIDE": "1024"})


def _finished_source() -> Stylization:
    source = wait_for(create(), finished)
    assert source.status == Status.SUCCEEDED, source.error_traceback
    return source


def test_a_worker_continues_a_finished_result_to_a_print(print_worker):
    assert print_sides_available() == [96, 1024]  # what the live worker listens for
    source = _finished_source()
    page = Client()
    page.force_login(source.owner)
    html = page.get(source.get_absolute_url()).content.decode()
    assert "Make a 96 px print" in html and "Make a 1024 px print" in html
    assert errors.PRINT_NO_WORKER.format(side=1448, others="") in html

    made = wait_for(print_create(owner=source.owner, source=source, side=96), finished)
    assert made.status == Status.SUCCEEDED, made.error_traceback
    with Image.open(made.result.path) as result:
        assert result.format == "JPEG" and result.size == (96, 72)
    assert made.step == made.total_steps == sum(stage.steps for stage in _plan(made))
    assert len(made.losses) == made.total_steps and made.preview
    download = page.get(f"/results/{made.pk}/result.png?download=1")
    assert download.status_code == 200 and download["Content-Type"] == "image/jpeg"
    assert 'filename="photo--' in download["Content-Disposition"]
    assert '--print-96px.jpg"' in download["Content-Disposition"]


def _plan(stylization: Stylization):
    from stylizer.engine import StyleParams

    return StyleParams.from_json(stylization.params).stages()


def test_a_running_print_stops_on_cancel_and_the_worker_goes_on(print_worker):
    source = _finished_source()
    large = print_create(owner=source.owner, source=source, side=1024)
    assert len(_plan(large)) == 8  # 91 px up to 1024 px
    large = wait_for(large, running_with_progress)
    services.stylization_cancel(stylization=large)
    follower = wait_for(print_create(owner=source.owner, source=source, side=96), finished)
    assert follower.status == Status.SUCCEEDED, follower.error_traceback
    large.refresh_from_db()
    assert large.status == Status.CANCELLED and not large.result
    assert large.step < large.total_steps


def test_a_print_whose_result_was_deleted_while_queued_fails_saying_so(print_worker, _worker_pool, worker_factory):
    source = _finished_source()
    _stop_workers(_worker_pool)
    with workers_making(96):  # offered, while no worker runs it yet
        made = print_create(owner=source.owner, source=source, side=96)
    services.stylization_delete(stylization=source)
    worker_factory({"STYLIZER_PRINT_SIDES": ",".join(map(str, SIDES)), "STYLIZER_PRINT_MAX_SIDE": "96"})
    made = wait_for(made, finished)
    assert (made.status, made.error_message) == (Status.FAILED, errors.PRINT_SOURCE_GONE)
    assert made.print_of is None and not made.result
