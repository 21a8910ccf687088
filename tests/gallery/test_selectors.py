"""gallery.selectors: who may see what, and queue positions."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from gallery import errors, selectors, services
from gallery.models import Stylization
from tests.gallery.factories import make_photo, make_style, make_stylization, make_user

pytestmark = pytest.mark.django_db(transaction=True)

_create = make_stylization


def test_other_users_stylization_is_404(idle_queue):
    stylization = _create(make_user())
    with pytest.raises(Http404):
        selectors.stylization_get(fetched_by=make_user(), stylization_id=stylization.pk)
    with pytest.raises(Http404):
        selectors.stylization_get(fetched_by=AnonymousUser(), stylization_id=stylization.pk)


def test_staff_can_see_anyones_stylization_and_photo(idle_queue):
    stylization = _create(make_user())
    staff = make_user(is_staff=True)
    assert selectors.stylization_get(fetched_by=staff, stylization_id=stylization.pk) == stylization
    assert selectors.photo_get(fetched_by=staff, photo_id=stylization.photo_id) == stylization.photo


def test_lists_hold_only_the_users_own_rows_newest_first(idle_queue):
    user = make_user()
    first, second = _create(user), _create(user)
    _create(make_user())
    assert list(selectors.stylization_list(fetched_by=user)) == [second, first]
    assert list(selectors.photo_list(fetched_by=user)) == [second.photo, first.photo]
    assert list(selectors.stylization_list(fetched_by=user, status="succeeded")) == []


def test_other_users_photo_is_404():
    photo = make_photo(make_user())
    with pytest.raises(Http404):
        selectors.photo_get(fetched_by=make_user(), photo_id=photo.pk)


def test_private_style_is_visible_only_to_its_owner():
    owner = make_user()
    private = make_style(owner=owner)
    assert selectors.style_get(fetched_by=owner, style_id=private.pk) == private
    with pytest.raises(Http404):
        selectors.style_get(fetched_by=make_user(), style_id=private.pk)
    assert private not in selectors.style_list_active()


def test_queue_position_counts_the_queued_rows_ahead(idle_queue):
    first, second = _create(make_user()), _create(make_user())
    assert selectors.stylization_queue_position(stylization=first) == 1
    assert selectors.stylization_queue_position(stylization=second) == 2
    services.stylization_cancel(stylization=first)
    second.refresh_from_db()
    assert selectors.stylization_queue_position(stylization=second) == 1
    assert selectors.stylization_queue_position(stylization=first) is None


def test_style_pictures_stay_visible_to_those_whose_results_used_them(idle_queue):
    user = make_user()
    stylization = _create(user)
    style = stylization.styles.get()
    style.is_active = False
    style.save()
    assert selectors.style_get_image_source(fetched_by=user, style_id=style.pk) == style
    with pytest.raises(Http404):
        selectors.style_get_image_source(fetched_by=make_user(), style_id=style.pk)
    with pytest.raises(Http404):
        selectors.style_get_image_source(fetched_by=AnonymousUser(), style_id=make_style(owner=user).pk)
    catalogue = make_style()
    assert selectors.style_get_image_source(fetched_by=AnonymousUser(), style_id=catalogue.pk) == catalogue


def test_a_stale_running_row_reads_as_failed_and_nothing_is_written(settings, idle_queue):
    user = make_user()
    long_ago = timezone.now() - timedelta(seconds=settings.STYLIZER_STALE_AFTER + 1)
    stale = _create(user, status="running", started_at=long_ago, heartbeat_at=long_ago)
    silent = _create(user, status="running", started_at=long_ago, heartbeat_at=None)
    alive = _create(user, status="running", started_at=long_ago, heartbeat_at=timezone.now())

    for row in (stale, silent):
        seen = selectors.stylization_get(fetched_by=user, stylization_id=row.pk)
        assert (seen.status, seen.error_message) == ("failed", errors.WORKER_LOST)
    assert selectors.stylization_get(fetched_by=user, stylization_id=alive.pk).status == "running"
    assert {row.status for row in selectors.stylization_list(fetched_by=user) if row.pk != alive.pk} == {"failed"}
    assert set(selectors.stylization_list(fetched_by=user, status="failed")) == {stale, silent}
    assert list(selectors.stylization_list(fetched_by=user, status="running")) == [alive]
    assert selectors.stylization_count_active(fetched_by=user) == 1
    assert Stylization.objects.filter(status="running").count() == 3, "reads write nothing; the reaper does"
