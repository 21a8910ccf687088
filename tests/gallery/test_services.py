"""gallery.services without a worker: validation, queueing, state changes, files."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from PIL import Image
from rq.job import Job

from gallery import errors, services
from gallery.models import Photo, Style, Stylization
from stylizer.engine import StyleParams
from tests.gallery.factories import TINY, make_photo, make_style, make_stylization, make_user, upload

_create = make_stylization


# Photos and styles -------------------------------------------------------------------


@pytest.mark.django_db
def test_photo_create_stores_image_and_thumbnail():
    photo = make_photo(make_user(), size=(120, 90))
    assert (photo.width, photo.height) == (120, 90)
    assert photo.image.storage.exists(photo.image.name)
    with Image.open(photo.thumbnail.path) as thumb:
        assert max(thumb.size) <= 480


@pytest.mark.django_db(transaction=True)
def test_photo_delete_removes_its_files_and_stylizations(idle_queue):
    stylization = _create()
    photo = stylization.photo
    files = [photo.image.name, photo.thumbnail.name]
    services.photo_delete(photo=photo)
    assert not Photo.objects.exists() and not Stylization.objects.exists()
    assert not any(photo.image.storage.exists(name) for name in files)


@pytest.mark.django_db
def test_private_style_stays_out_of_the_catalogue():
    user = make_user()
    private = make_style(owner=user)
    curated = make_style()
    assert list(Style.objects.active()) == [s for s in Style.objects.active() if s.owner_id is None]
    assert private not in Style.objects.active()
    assert curated in Style.objects.active()


@pytest.mark.django_db
def test_new_curated_styles_go_to_the_end_of_the_catalogue():
    first, second = make_style(), make_style()
    assert second.position > first.position


# Parameters --------------------------------------------------------------------------


def test_params_round_trip_through_json():
    params = StyleParams(size=300, preset="high", style_blend=(0.25, 0.75), preserve_colors=True, seed=9)
    stored = params.to_json()
    assert "device" not in stored
    assert StyleParams.from_json(stored, device="cpu") == params.replace(device="cpu")


def test_job_timeout_grows_with_size_and_preset_and_is_never_rqs_default():
    draft = services.job_timeout(StyleParams(size=256, preset="draft"))
    standard = services.job_timeout(StyleParams(size=512, preset="standard"))
    high = services.job_timeout(StyleParams(size=1024, preset="high"))
    assert 180 < standard < high and draft < standard


# Creating ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_refuses_someone_elses_photo():
    with pytest.raises(ValidationError) as caught:
        _create(photo=make_photo(make_user()))
    assert caught.value.message_dict == {"photo": [errors.PHOTO_NOT_AVAILABLE]}


@pytest.mark.django_db
def test_create_refuses_inactive_and_other_peoples_private_styles():
    hidden = make_style("Withdrawn", is_active=False)
    theirs = make_style(owner=make_user())
    expected = {hidden: errors.STYLE_WITHDRAWN.format(title="Withdrawn"), theirs: errors.STYLE_NOT_AVAILABLE}
    for style, message in expected.items():
        with pytest.raises(ValidationError) as caught:
            _create(styles=[(style, 1.0)])
        assert caught.value.message_dict == {"styles": [message]}


@pytest.mark.django_db
@pytest.mark.parametrize("weight", [0, -1, float("nan"), float("inf")])
def test_create_refuses_bad_weights(weight):
    with pytest.raises(ValidationError) as caught:
        _create(styles=[(make_style(), weight)])
    assert caught.value.message_dict == {"weights": [errors.BAD_WEIGHT]}


@pytest.mark.django_db
def test_create_refuses_params_the_engine_would_refuse():
    with pytest.raises(ValidationError) as caught:
        _create(params=StyleParams(size=5))
    assert "size must be between" in caught.value.message_dict["params"][0]


@pytest.mark.django_db(transaction=True)
def test_create_enqueues_after_commit_with_derived_id_and_timeout(idle_queue):
    stylization = _create(styles=[(make_style(), 2.0), (make_style(), 1.0)])
    job = Job.fetch(stylization.job_id, connection=idle_queue.connection)
    assert job.get_status() == "queued"
    assert job.timeout == services.job_timeout(StyleParams.from_json(stylization.params))
    assert job.kwargs == {"stylization_id": str(stylization.pk), "attempt": 1}
    stylization.refresh_from_db()
    assert stylization.params["style_blend"] == [2.0, 1.0]
    assert stylization.status == Stylization.Status.QUEUED


@pytest.mark.django_db(transaction=True)
def test_enqueue_waits_for_the_outer_transaction_to_commit(idle_queue):
    with transaction.atomic():
        stylization = _create()
        assert not Job.exists(stylization.job_id, connection=idle_queue.connection)
    assert Job.exists(stylization.job_id, connection=idle_queue.connection)


@pytest.mark.django_db(transaction=True)
def test_job_limit_counts_queued_and_running(settings, idle_queue):
    settings.STYLIZER_MAX_ACTIVE_JOBS = 2
    user = make_user()
    _create(user)
    _create(user)
    with pytest.raises(errors.JobLimitReached) as caught:
        _create(user)
    assert str(caught.value) == errors.JOB_LIMIT.format(limit=2)
    assert Stylization.objects.filter(owner=user).count() == 2


@pytest.mark.django_db(transaction=True)
def test_queue_down_fails_the_row_with_a_retryable_message(settings, tmp_path, idle_queue):
    user, style = make_user(), make_style()
    photo = make_photo(user)
    working_queues = settings.RQ_QUEUES
    settings.RQ_QUEUES = {settings.RQ_QUEUE: {"URL": f"unix://{tmp_path}/nothing.sock"}}
    with pytest.raises(errors.QueueUnavailable) as caught:
        services.stylization_create(owner=user, photo=photo, styles=[(style, 1.0)], params=TINY)
    assert str(caught.value) == errors.QUEUE_UNAVAILABLE
    stylization = Stylization.objects.get()
    assert stylization.status == Stylization.Status.FAILED
    assert stylization.error_message == errors.QUEUE_UNAVAILABLE

    settings.RQ_QUEUES = working_queues
    services.stylization_retry(stylization=stylization)
    stylization.refresh_from_db()
    assert stylization.status == Stylization.Status.QUEUED
    assert Job.exists(stylization.job_id, connection=idle_queue.connection)


# Cancel, retry, delete ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_cancel_queued_removes_the_job_from_the_queue(idle_queue):
    stylization = _create()
    services.stylization_cancel(stylization=stylization)
    assert stylization.status == Stylization.Status.CANCELLED
    assert stylization.job_id not in idle_queue.get_job_ids()


@pytest.mark.django_db(transaction=True)
def test_cancel_twice_is_refused(idle_queue):
    stylization = _create()
    services.stylization_cancel(stylization=stylization)
    with pytest.raises(errors.InvalidTransition, match=errors.CANNOT_CANCEL):
        services.stylization_cancel(stylization=stylization)


@pytest.mark.django_db(transaction=True)
def test_retry_is_a_new_attempt_with_a_new_job(idle_queue):
    stylization = _create()
    services.stylization_cancel(stylization=stylization)
    old_job_id = stylization.job_id
    services.stylization_retry(stylization=stylization)
    assert stylization.attempt == 2 and stylization.status == Stylization.Status.QUEUED
    assert stylization.job_id != old_job_id
    assert idle_queue.get_job_ids() == [stylization.job_id]


@pytest.mark.django_db(transaction=True)
def test_retry_of_a_queued_row_is_refused(idle_queue):
    stylization = _create()
    with pytest.raises(errors.InvalidTransition, match=errors.CANNOT_RETRY):
        services.stylization_retry(stylization=stylization)


@pytest.mark.django_db(transaction=True)
def test_delete_removes_private_styles_it_used(idle_queue):
    user = make_user()
    private = make_style(owner=user)
    stylization = _create(user, styles=[(private, 1.0)])
    services.stylization_delete(stylization=stylization)
    assert not Stylization.objects.exists()
    assert not Style.objects.filter(pk=private.pk).exists()
    assert not private.image.storage.exists(private.image.name)


@pytest.mark.django_db(transaction=True)
def test_deleting_a_queued_stylization_deletes_it_without_writing_to_it_first(idle_queue):
    """No "cancelled" update before the delete: nobody could ever see it. The job leaves the
    queue once the delete is committed (a running job's worker sees its row gone:
    tests/stylizer/test_faults.py)."""
    stylization = _create()
    job_id = stylization.job_id
    assert idle_queue.get_job_ids() == [job_id]
    with CaptureQueriesContext(connection) as queries:
        services.stylization_delete(stylization=stylization)
    writes = [query["sql"] for query in queries if query["sql"].startswith("UPDATE")]
    # (Remixes and prints of it lose their link to it: updates of other rows, SET ..._of_id = NULL.)
    writes = [sql for sql in writes if 'SET "remix_of_id" = NULL' not in sql and 'SET "print_of_id" = NULL' not in sql]
    assert not [sql for sql in writes if "gallery_stylization" in sql], writes
    assert not Stylization.objects.exists()
    assert idle_queue.get_job_ids() == []
    assert Job.fetch(job_id, connection=idle_queue.connection).get_status() == "canceled"


@pytest.mark.django_db(transaction=True)
def test_create_with_uploads_keeps_nothing_when_refused(settings, idle_queue, media_root_files):
    settings.STYLIZER_MAX_ACTIVE_JOBS = 0
    with pytest.raises(errors.JobLimitReached):
        services.stylization_create_with_uploads(
            owner=make_user(), photo_file=upload(), style_file=upload("mine.jpg"), styles=[], params=TINY
        )
    assert not Photo.objects.exists() and not Style.objects.filter(owner__isnull=False).exists()
    assert media_root_files() == []


@pytest.mark.django_db(transaction=True)
def test_create_with_uploads_reports_errors_on_the_upload_field(idle_queue):
    with pytest.raises(ValidationError) as caught:
        services.stylization_create_with_uploads(
            owner=make_user(), photo_file=upload("x.jpg", b"not an image"), styles=[(make_style(), 1.0)]
        )
    assert caught.value.message_dict == {"photo_file": [errors.NOT_AN_IMAGE.format(name="x.jpg")]}
