"""Remix through the API: `remix` in a create request, `remix_of` on the stylization."""

import pytest

from gallery import errors, services
from gallery.models import Stylization
from tests.gallery.factories import make_finished_stylization, make_photo, make_style, make_stylization

pytestmark = pytest.mark.django_db

CREATE = "/api/v1/stylizations/"
TINY = {"size": 64, "preset": "draft"}


def test_remix_your_result_as_the_photo_keeps_its_origin(as_alice, alice):
    origin = make_finished_stylization(alice)
    style = make_style()
    body = {
        "styles": [{"style": str(style.pk)}],
        "options": TINY,
        "remix": {"stylization": str(origin.pk), "as": "photo"},
    }
    response = as_alice.post(CREATE, body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["remix_of"] == {"as": "photo", "stylization": str(origin.pk), "shared_url": None}
    assert created["photo"] != str(origin.photo_id)
    assert as_alice.get(f"{CREATE}{created['id']}/").json()["remix_of"]["stylization"] == str(origin.pk)
    assert as_alice.get(f"{CREATE}{origin.pk}/").json()["remix_of"] is None


def test_remix_a_shared_result_as_a_style(as_alice, alice, as_bob, bob):
    origin = make_finished_stylization(alice)
    share = services.share_create(stylization=origin)
    photo = make_photo(bob)
    body = {"photo": str(photo.pk), "styles": [], "options": TINY, "remix": {"share_token": share.token, "as": "style"}}
    response = as_bob.post(CREATE, body, format="json")
    assert response.status_code == 201, response.json()
    remix_of = response.json()["remix_of"]
    assert remix_of == {"as": "style", "stylization": None, "shared_url": f"http://testserver/s/{share.token}/"}
    assert str(origin.pk) not in response.content.decode()
    assert len(response.json()["styles"]) == 1

    as_photo = {**body, "remix": {"share_token": share.token, "as": "photo"}}
    response = as_bob.post(CREATE, as_photo, format="json")
    assert response.status_code == 400 and response.json()["detail"].endswith(errors.REMIX_SHARED_AS_PHOTO)


@pytest.mark.parametrize(
    ("remix", "status"),
    [
        ({"as": "style"}, 400),  # no source
        ({"stylization": "a2c9e2f4-0000-4000-8000-000000000000", "share_token": "x", "as": "style"}, 400),
        ({"share_token": "no-such-token", "as": "style"}, 404),
        ({"stylization": "a2c9e2f4-0000-4000-8000-000000000000", "as": "style"}, 404),
        ({"stylization": "a2c9e2f4-0000-4000-8000-000000000000", "as": "sideways"}, 400),
    ],
)
def test_bad_remix_requests_are_refused_and_create_nothing(as_bob, bob, remix, status):
    body = {"photo": str(make_photo(bob).pk), "styles": [], "options": TINY, "remix": remix}
    response = as_bob.post(CREATE, body, format="json")
    assert response.status_code == status
    assert not Stylization.objects.exists()


def test_someone_elses_result_cannot_be_remixed_by_its_id(as_alice, alice, as_bob, bob):
    theirs = make_finished_stylization(alice)
    body = {"photo": str(make_photo(bob).pk), "styles": [], "remix": {"stylization": str(theirs.pk), "as": "style"}}
    response = as_bob.post(CREATE, body, format="json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    unfinished = make_stylization(bob)
    body["remix"]["stylization"] = str(unfinished.pk)
    response = as_bob.post(CREATE, body, format="json")
    assert response.status_code == 400 and errors.REMIX_NOT_FINISHED in response.json()["detail"]


def test_without_a_remix_photo_and_styles_are_required_as_before(as_alice, alice):
    response = as_alice.post(CREATE, {"styles": [{"style": str(make_style().pk)}]}, format="json")
    assert response.status_code == 400 and "photo" in response.json()["fields"]
    response = as_alice.post(CREATE, {"photo": str(make_photo(alice).pk), "styles": []}, format="json")
    assert response.status_code == 400 and response.json()["fields"]["styles"] == [errors.NO_STYLES]
