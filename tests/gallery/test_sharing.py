"""Sharing a result: the public link, revoking it, the owner's list and the public gallery (pages).

The API's side is tests/gallery/api/test_sharing.py; another user's routes are walked by
test_two_users.py.
"""

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from gallery import errors, services
from gallery.models import ShareLink, Stylization
from tests.gallery.factories import make_finished_stylization, make_style, make_stylization, make_user
from tests.gallery.responses import assert_served_as_an_image_only

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_page(client):
    user = make_user()
    client.force_login(user)
    client.user = user
    return client


def _share_from_the_result_page(page, stylization: Stylization, **form) -> ShareLink:
    response = page.post(reverse("gallery:stylization_share", args=[stylization.pk]), form)
    assert response.status_code == 302 and response["Location"] == stylization.get_absolute_url()
    return ShareLink.objects.get(stylization=stylization)


def _meta(page_html: str, key: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', page_html)
    assert match, f"no {key} tag"
    return html.unescape(match.group(1))


def test_a_shared_result_opens_for_anyone_without_an_account(owner_page):
    stylization = make_finished_stylization(owner_page.user)
    painting = stylization.style_links.get().style
    painting.artist = "Vincent van Gogh"
    painting.save()
    share = _share_from_the_result_page(owner_page, stylization)
    assert len(share.token) >= 22  # 128 bits or more of URL-safe base64

    anonymous = Client()
    page = anonymous.get(f"/s/{share.token}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert painting.title in text and "Vincent van Gogh" in text
    # The card tags: absolute URLs crawlers can fetch, and the image opens without an account.
    image_url = _meta(text, "og:image")
    assert image_url == f"http://testserver/s/{share.token}/result.png"
    assert _meta(text, "twitter:image") == image_url
    assert _meta(text, "twitter:card") == "summary_large_image"
    assert _meta(text, "og:url") == f"http://testserver/s/{share.token}/"
    assert painting.title in _meta(text, "og:title")
    assert_served_as_an_image_only(anonymous.get(image_url))
    # Nothing else of the owner's: not the photo, not the stylization's id, not the file names.
    assert str(stylization.pk) not in text and str(stylization.photo_id) not in text
    assert stylization.result.name.rsplit("/", 1)[-1].split(".")[0] not in text


def test_a_revoked_link_is_404_like_one_that_never_existed(owner_page):
    share = _share_from_the_result_page(owner_page, make_finished_stylization(owner_page.user))
    page, image = f"/s/{share.token}/", f"/s/{share.token}/result.png"
    assert Client().get(page).status_code == 200

    response = owner_page.post(reverse("gallery:share_revoke", args=[share.pk]))
    assert response.status_code == 302
    for url in (page, image, "/s/never-existed-token-aaaaaaaaaaaaaaaa/"):
        assert Client().get(url).status_code == 404
        assert owner_page.get(url).status_code == 404  # its owner too: the link is gone
    assert not ShareLink.objects.filter(pk=share.pk).exists()
    assert owner_page.get(share.stylization.get_absolute_url()).status_code == 200  # the result stays


def test_sharing_again_makes_a_new_token_after_a_revoke_and_keeps_it_otherwise(owner_page):
    stylization = make_finished_stylization(owner_page.user)
    first = _share_from_the_result_page(owner_page, stylization)
    assert _share_from_the_result_page(owner_page, stylization, public="on").token == first.token
    services.share_revoke(share=first)
    assert _share_from_the_result_page(owner_page, stylization).token != first.token


def test_only_a_succeeded_result_can_be_shared(owner_page):
    queued = make_stylization(owner_page.user)
    response = owner_page.post(reverse("gallery:stylization_share", args=[queued.pk]), follow=True)
    assert errors.CANNOT_SHARE in response.content.decode()
    assert not ShareLink.objects.exists()


def test_the_result_page_offers_the_share_link_and_the_owner_lists_and_revokes_links(owner_page):
    stylization = make_finished_stylization(owner_page.user)
    detail = owner_page.get(stylization.get_absolute_url()).content.decode()
    assert "Make a share link" in detail
    share = _share_from_the_result_page(owner_page, stylization)
    detail = owner_page.get(stylization.get_absolute_url()).content.decode()
    assert f"http://testserver/s/{share.token}/" in detail and "Revoke the link" in detail

    listing = owner_page.get(reverse("gallery:share_list")).content.decode()
    assert f"/s/{share.token}/" in listing
    owner_page.post(reverse("gallery:share_revoke", args=[share.pk]), {"next": "result"})
    assert f"/s/{share.token}/" not in owner_page.get(reverse("gallery:share_list")).content.decode()


def test_a_token_gives_no_rights_beyond_the_shared_result(owner_page):
    """Bob holding Alice's link sees the shared page and image; her result page, photo,
    actions and links stay 404 for him, and he cannot revoke or relist it."""
    stylization = make_finished_stylization(owner_page.user)
    share = _share_from_the_result_page(owner_page, stylization)
    bob = Client()
    bob.force_login(make_user())
    assert bob.get(f"/s/{share.token}/").status_code == 200
    for url in (
        stylization.get_absolute_url(),
        reverse("gallery:stylization_result", args=[stylization.pk]),
        reverse("gallery:photo_image", args=[stylization.photo_id]),
    ):
        assert bob.get(url).status_code == 404, url
    assert bob.post(reverse("gallery:share_revoke", args=[share.pk])).status_code == 404
    assert bob.post(reverse("gallery:stylization_share", args=[stylization.pk]), {"public": "on"}).status_code == 404
    share.refresh_from_db()
    assert not share.public
    assert f"/s/{share.token}/" not in bob.get(reverse("gallery:share_list")).content.decode()


def test_explore_lists_public_shares_newest_first_and_not_those_staff_hid(owner_page):
    first = _share_from_the_result_page(owner_page, make_finished_stylization(owner_page.user), public="on")
    private = _share_from_the_result_page(owner_page, make_finished_stylization(owner_page.user))
    second = _share_from_the_result_page(owner_page, make_finished_stylization(owner_page.user), public="on")
    text = Client().get(reverse("gallery:explore")).content.decode()
    assert text.index(second.token) < text.index(first.token)
    assert private.token not in text

    services.share_hide(share=second)
    text = Client().get(reverse("gallery:explore")).content.decode()
    assert second.token not in text and first.token in text
    assert Client().get(f"/s/{second.token}/").status_code == 200  # hidden from the gallery, the link still works


def test_a_private_style_images_title_stays_off_the_shared_page(owner_page):
    stylization = make_finished_stylization(owner_page.user)
    stylization.style_links.update(style=make_style("my-secret-sketch", owner=owner_page.user))
    share = _share_from_the_result_page(owner_page, stylization)
    text = Client().get(f"/s/{share.token}/").content.decode()
    assert "my-secret-sketch" not in text and "own style image" in text


def test_staff_hide_a_public_share_in_the_admin(owner_page):
    share = _share_from_the_result_page(owner_page, make_finished_stylization(owner_page.user), public="on")
    staff = Client()
    staff.force_login(make_user(is_staff=True, is_superuser=True))
    changelist = reverse("admin:gallery_sharelink_changelist")
    assert share.token in staff.get(changelist).content.decode()
    response = staff.post(changelist, {"action": "hide", "_selected_action": [share.pk]})
    assert response.status_code == 302
    share.refresh_from_db()
    assert share.hidden
    assert share.token not in Client().get(reverse("gallery:explore")).content.decode()
