"""Running one stylization (stylizer.run), with the engine stubbed: what the row says after."""

import pytest

from gallery import errors, services
from gallery.models import Stylization
from stylizer import run as run_module
from stylizer.engine import StyleParams
from tests.gallery.factories import make_stylization as _create

# The worker's side, with the engine stubbed ---------------------------------------------


def _run_with_engine(monkeypatch, engine) -> Stylization:
    stylization = _create()
    monkeypatch.setattr(run_module, "stylize", engine)
    run_module.stylization_run(stylization_id=str(stylization.pk), attempt=stylization.attempt, device="cpu")
    stylization.refresh_from_db()
    return stylization


def _raises(exc):
    def engine(*args, **kwargs):
        raise exc

    return engine


@pytest.mark.django_db(transaction=True)
def test_job_timeout_is_reported_with_the_limit(monkeypatch, idle_queue):
    from rq.timeouts import JobTimeoutException

    stylization = _run_with_engine(monkeypatch, _raises(JobTimeoutException("too slow")))
    seconds = services.job_timeout(StyleParams.from_json(stylization.params))
    assert stylization.status == "failed"
    assert stylization.error_message == errors.JOB_TIMED_OUT.format(seconds=seconds)


@pytest.mark.django_db(transaction=True)
def test_unexpected_errors_show_a_generic_message_and_keep_the_traceback_for_staff(monkeypatch, idle_queue):
    stylization = _run_with_engine(monkeypatch, _raises(RuntimeError("CUDA out of memory")))
    assert (stylization.status, stylization.error_message) == ("failed", errors.JOB_FAILED)
    assert "CUDA out of memory" in stylization.error_traceback


@pytest.mark.django_db(transaction=True)
def test_engine_errors_are_shown_as_the_engine_words_them(monkeypatch, idle_queue):
    from stylizer.engine import ImageError

    stylization = _run_with_engine(monkeypatch, _raises(ImageError("style.png: the image is empty")))
    assert (stylization.status, stylization.error_message) == ("failed", "style.png: the image is empty")


@pytest.mark.django_db(transaction=True)
def test_a_row_cancelled_before_the_job_starts_is_skipped(monkeypatch, idle_queue):
    stylization = _create()
    services.stylization_cancel(stylization=stylization)
    monkeypatch.setattr(run_module, "stylize", _raises(AssertionError("the engine must not run")))
    run_module.stylization_run(stylization_id=str(stylization.pk), attempt=stylization.attempt, device="cpu")
    stylization.refresh_from_db()
    assert stylization.status == "cancelled" and stylization.started_at is None


@pytest.mark.django_db(transaction=True)
def test_a_stale_attempt_is_skipped(monkeypatch, idle_queue):
    stylization = _create()
    monkeypatch.setattr(run_module, "stylize", _raises(AssertionError("the engine must not run")))
    run_module.stylization_run(stylization_id=str(stylization.pk), attempt=stylization.attempt + 1, device="cpu")
    stylization.refresh_from_db()
    assert stylization.status == "queued"
