"""Sharing through the API: your links, a shared result by token, the public gallery."""

import pytest

from gallery.models import ShareLink
from tests.gallery.factories import make_finished_stylization, make_stylization

pytestmark = pytest.mark.django_db

SHARES = "/api/v1/shares/"


def _share(client, stylization, **body):
    return client.post(SHARES, {"stylization": str(stylization.pk), **body}, format="json")


def test_share_then_fetch_anonymously_then_revoke(as_alice, alice, anon):
    stylization = make_finished_stylization(alice)
    response = _share(as_alice, stylization)
    assert response.status_code == 201
    share = response.json()
    assert share["stylization"] == str(stylization.pk) and share["public"] is False
    assert response["Location"].endswith(f"{SHARES}{share['id']}/")
    assert share["page_url"] == f"http://testserver/s/{share['token']}/"
    assert share["image_url"] == f"http://testserver/s/{share['token']}/result.png"

    shared = anon.get(f"/api/v1/shared/{share['token']}/")
    assert shared.status_code == 200
    assert (
        shared.json()["paintings"]
        == share["paintings"]
        == [{"title": stylization.style_links.get().style.title, "artist": "", "year": ""}]
    )
    # What a token shows carries no ids of the owner's.
    assert "id" not in shared.json() and "stylization" not in shared.json()
    assert str(stylization.pk) not in shared.content.decode()
    image = anon.get(f"/api/v1/shared/{share['token']}/result/")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert anon.get(share["image_url"]).status_code == 200

    assert as_alice.delete(f"{SHARES}{share['id']}/").status_code == 204
    for url in (f"/api/v1/shared/{share['token']}/", f"/api/v1/shared/{share['token']}/result/"):
        response = anon.get(url)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert anon.get(share["page_url"]).status_code == 404
    assert as_alice.get(SHARES).json()["results"] == []


def test_sharing_twice_answers_the_same_link(as_alice, alice):
    stylization = make_finished_stylization(alice)
    first = _share(as_alice, stylization).json()
    again = _share(as_alice, stylization, public=True)
    assert again.status_code == 200
    assert again.json()["token"] == first["token"] and again.json()["public"] is True


def test_an_unfinished_stylization_cannot_be_shared(as_alice, alice):
    response = _share(as_alice, make_stylization(alice))
    assert response.status_code == 409 and response.json()["code"] == "invalid_state"
    assert not ShareLink.objects.exists()


def test_another_users_stylization_and_links_are_not_theirs_to_share_or_revoke(as_alice, alice, as_bob, anon):
    stylization = make_finished_stylization(alice)
    response = _share(as_bob, stylization)
    assert response.status_code == 400 and "stylization" in response.json()["fields"]
    share = _share(as_alice, stylization).json()
    # Bob may hold the token (the result is his to see), but the link is not his to manage.
    assert as_bob.get(f"/api/v1/shared/{share['token']}/").status_code == 200
    for method in ("get", "patch", "delete"):
        assert getattr(as_bob, method)(f"{SHARES}{share['id']}/", {"public": True}, format="json").status_code == 404
    assert as_bob.get(SHARES).json()["results"] == []
    assert ShareLink.objects.get().public is False
    assert anon.get(SHARES).status_code == 401


def test_explore_lists_what_owners_made_public(as_alice, alice, anon):
    listed = _share(as_alice, make_finished_stylization(alice), public=True).json()
    unlisted = _share(as_alice, make_finished_stylization(alice)).json()
    tokens = [item["token"] for item in anon.get("/api/v1/explore/").json()["results"]]
    assert tokens == [listed["token"]]
    assert as_alice.patch(f"{SHARES}{unlisted['id']}/", {"public": True}, format="json").json()["public"] is True
    tokens = [item["token"] for item in anon.get("/api/v1/explore/").json()["results"]]
    assert tokens == [unlisted["token"], listed["token"]]  # newest share first
    ShareLink.objects.filter(token=listed["token"]).update(hidden=True)
    assert [item["token"] for item in anon.get("/api/v1/explore/").json()["results"]] == [unlisted["token"]]
