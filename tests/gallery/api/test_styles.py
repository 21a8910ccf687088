"""styles/: the curated catalogue for everyone signed in; staff create, update, deactivate."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery.models import Style
from tests.gallery.api.conftest import token_client
from tests.gallery.factories import image_bytes, make_style, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_staff():
    return token_client(make_user(is_staff=True))


def _ids(response) -> set[str]:
    return {item["id"] for item in response.json()["results"]}


def test_list_has_active_curated_styles_only(alice, as_alice):
    active = make_style("Starry", artist="Vincent", year="1889")
    hidden = make_style(is_active=False)
    private = make_style(owner=alice)
    response = as_alice.get("/api/v1/styles/?page_size=100")
    assert response.status_code == 200
    assert str(active.pk) in _ids(response)
    assert not {str(hidden.pk), str(private.pk)} & _ids(response)
    item = next(item for item in response.json()["results"] if item["id"] == str(active.pk))
    assert (item["title"], item["artist"], item["year"]) == ("Starry", "Vincent", "1889")
    assert item["thumbnail_url"] == f"http://testserver/api/v1/styles/{active.pk}/thumbnail/"
    assert as_alice.get(item["image_url"]).status_code == 200
    assert as_alice.get(item["thumbnail_url"]).status_code == 200


def test_inactive_style_is_404_for_users_and_visible_to_staff(as_alice, as_staff):
    hidden = make_style(is_active=False)
    assert as_alice.get(f"/api/v1/styles/{hidden.pk}/").status_code == 404
    assert as_staff.get(f"/api/v1/styles/{hidden.pk}/").json()["is_active"] is False
    assert str(hidden.pk) in _ids(as_staff.get("/api/v1/styles/?page_size=100"))


def test_users_cannot_change_the_catalogue(as_alice):
    style = make_style()
    assert as_alice.post("/api/v1/styles/", {"title": "Mine"}).status_code == 403
    assert as_alice.patch(f"/api/v1/styles/{style.pk}/", {"title": "Mine"}, format="json").status_code == 403
    response = as_alice.delete(f"/api/v1/styles/{style.pk}/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    style.refresh_from_db()
    assert style.is_active


def test_staff_create_update_and_deactivate_a_style(as_staff, as_alice):
    image = SimpleUploadedFile("wave.png", image_bytes((40, 40), "PNG"), content_type="image/png")
    created = as_staff.post("/api/v1/styles/", {"title": "Wave", "artist": "Hokusai", "image": image})
    assert created.status_code == 201, created.json()
    style_id = created.json()["id"]
    assert Style.objects.get(pk=style_id).is_curated
    assert created.json()["is_active"] is True, "left out of the form, it defaults to active"
    assert as_alice.get(f"/api/v1/styles/{style_id}/").status_code == 200

    updated = as_staff.patch(f"/api/v1/styles/{style_id}/", {"year": "c. 1831"}, format="json")
    assert updated.status_code == 200 and updated.json()["year"] == "c. 1831"

    assert as_staff.delete(f"/api/v1/styles/{style_id}/").status_code == 204
    assert Style.objects.get(pk=style_id).is_active is False
    assert as_alice.get(f"/api/v1/styles/{style_id}/").status_code == 404

    reactivated = as_staff.patch(f"/api/v1/styles/{style_id}/", {"is_active": True}, format="json")
    assert reactivated.json()["is_active"] is True


def test_staff_create_needs_a_title_and_an_image(as_staff):
    response = as_staff.post("/api/v1/styles/", {}, format="multipart")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"title", "image"}
