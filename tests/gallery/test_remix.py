"""Remix on the pages: from your own result as the photo or as a style, from a shared result
as a style; the new stylization keeps its origin, shown to each viewer as they may see it."""

import pytest
from django.test import Client
from django.urls import reverse

from gallery import errors, services
from gallery.models import Photo, Style, Stylization
from tests.gallery.factories import make_finished_stylization, make_photo, make_style, make_stylization, make_user

pytestmark = pytest.mark.django_db

OPTIONS = {"size": "256", "preset": "draft", "style_strength": "1"}
CREATE = reverse("gallery:stylization_create")


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _remix(client: Client, query: str, form: dict):
    return client.post(f"{CREATE}?{query}", {**OPTIONS, **form})


def test_remix_your_result_as_the_photo():
    user = make_user()
    origin = make_finished_stylization(user)
    page = _signed_in(user)
    form_page = page.get(f"{CREATE}?remix={origin.pk}&as=photo").content.decode()
    assert 'data-remix="photo"' in form_page
    assert reverse("gallery:stylization_result", args=[origin.pk]) in form_page

    new_style = make_style("Water Lilies")
    response = _remix(page, f"remix={origin.pk}&as=photo", {"styles": new_style.pk})
    assert response.status_code == 302
    remix = Stylization.objects.exclude(pk=origin.pk).get()
    assert (remix.remix_of, remix.remix_as) == (origin, "photo")
    # The result became a photo of the user's: its pixels, in their photos, under their quota.
    assert remix.photo != origin.photo and remix.photo.owner == user
    assert (remix.photo.width, remix.photo.height) == (origin.result.width, origin.result.height)
    assert [link.style for link in remix.style_links.all()] == [new_style]
    detail = page.get(remix.get_absolute_url()).content.decode()
    assert "Remix of" in detail and origin.get_absolute_url() in detail and "as the photo" in detail


def test_remix_your_result_as_a_style_blended_with_a_catalogue_style():
    user = make_user()
    origin = make_finished_stylization(user)
    page = _signed_in(user)
    photo, curated = make_photo(user), make_style()
    response = _remix(page, f"remix={origin.pk}&as=style", {"photo": photo.pk, "styles": curated.pk})
    assert response.status_code == 302
    remix = Stylization.objects.exclude(pk=origin.pk).get()
    assert (remix.remix_of, remix.remix_as, remix.photo) == (origin, "style", photo)
    styles = [link.style for link in remix.style_links.all()]
    assert styles[0] == curated and styles[1].owner == user and not styles[1].is_curated
    # With no other style, the remixed result alone is the style.
    response = _remix(page, f"remix={origin.pk}&as=style", {"photo": photo.pk})
    assert response.status_code == 302


def test_remix_a_shared_result_as_a_style_only_and_its_origin_shows_as_the_link():
    alice, bob = make_user(), make_user()
    origin = make_finished_stylization(alice)
    share = services.share_create(stylization=origin)
    page = _signed_in(bob)
    photo = make_photo(bob)
    response = _remix(page, f"remix_share={share.token}&as=photo", {"photo": photo.pk})
    assert response.status_code == 400 and errors.REMIX_SHARED_AS_PHOTO in response.content.decode()

    response = _remix(page, f"remix_share={share.token}&as=style", {"photo": photo.pk})
    assert response.status_code == 302
    remix = Stylization.objects.get(owner=bob)
    assert (remix.remix_of, remix.remix_as) == (origin, "style")
    detail = page.get(remix.get_absolute_url()).content.decode()
    # Bob sees the share link, never Alice's stylization id or her result page.
    assert share.get_absolute_url() in detail and str(origin.pk) not in detail
    # Alice's rows are untouched; Bob's copy of the picture is his private style.
    assert Style.objects.filter(owner=bob).count() == 1 and not Photo.objects.filter(owner=alice).exclude(
        pk=origin.photo_id
    )
    services.share_revoke(share=share)
    assert "no longer shared" in page.get(remix.get_absolute_url()).content.decode()
    assert _remix(page, f"remix_share={share.token}&as=style", {"photo": photo.pk}).status_code == 404


def test_someone_elses_result_and_unfinished_ones_cannot_be_remixed():
    alice, bob = make_user(), make_user()
    theirs = make_finished_stylization(alice)
    page = _signed_in(bob)
    assert page.get(f"{CREATE}?remix={theirs.pk}&as=style").status_code == 404
    assert _remix(page, f"remix={theirs.pk}&as=photo", {"styles": make_style().pk}).status_code == 404
    queued = make_stylization(bob)
    response = _remix(page, f"remix={queued.pk}&as=photo", {"styles": make_style().pk})
    assert response.status_code == 400 and errors.REMIX_NOT_FINISHED in response.content.decode()
    response = _remix(page, f"remix={queued.pk}&as=sideways", {"styles": make_style().pk})
    assert response.status_code == 400 and errors.REMIX_AS in response.content.decode()
    assert Stylization.objects.filter(owner=bob).count() == 1


def test_a_remix_counts_against_the_job_cap_and_quotas_like_any_stylization(settings):
    settings.STYLIZER_MAX_ACTIVE_JOBS = 1
    user = make_user()
    origin = make_finished_stylization(user)
    make_stylization(user)  # the one job allowed
    page = _signed_in(user)
    response = _remix(page, f"remix={origin.pk}&as=photo", {"styles": make_style().pk})
    assert response.status_code == 400 and errors.JOB_LIMIT.format(limit=1) in response.content.decode()
    assert Photo.objects.filter(owner=user).count() == 2  # the origin's and the queued one's: no copy kept


def test_the_origin_is_kept_as_long_as_it_exists():
    user = make_user()
    origin = make_finished_stylization(user)
    page = _signed_in(user)
    _remix(page, f"remix={origin.pk}&as=style", {"photo": make_photo(user).pk})
    remix = Stylization.objects.exclude(pk=origin.pk).get()
    services.stylization_delete(stylization=origin)
    remix.refresh_from_db()
    assert remix.remix_of is None and remix.remix_as == "style"
    assert "Remix of" not in page.get(remix.get_absolute_url()).content.decode()
