"""The admin: style catalogue management and the stylization queue actions."""

import re

import pytest
from django.urls import reverse

from gallery import errors, services
from gallery.models import Style, Stylization
from stylizer.engine import StyleParams
from tests.gallery.factories import image_bytes, make_finished_stylization, make_photo, make_style, make_user, upload


@pytest.fixture
def staff_client(client):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    return client


@pytest.mark.django_db
def test_style_list_shows_thumbnails_and_only_curated_styles(staff_client):
    curated = make_style("Curated One")
    make_style("Private One", owner=make_user())
    page = staff_client.get(reverse("admin:gallery_style_changelist")).content.decode()
    assert reverse("gallery:style_thumbnail", args=[curated.pk]) in page
    assert "Curated One" in page and "Private One" not in page


@pytest.mark.django_db
def test_staff_add_a_style_through_the_admin(staff_client):
    form = {"title": "Sunflowers", "artist": "Vincent van Gogh", "year": "1888", "is_active": "on", "position": "5"}
    response = staff_client.post(reverse("admin:gallery_style_add"), form | {"image_file": upload("sunflowers.jpg")})
    assert response.status_code == 302
    style = Style.objects.get(title="Sunflowers")
    assert style.is_curated and style.thumbnail and style.width == 64


@pytest.mark.django_db
def test_admin_refuses_a_bad_style_image_with_the_message(staff_client):
    form = {"title": "Broken", "position": "1", "image_file": upload("broken.jpg", b"nope")}
    response = staff_client.post(reverse("admin:gallery_style_add"), form)
    assert response.status_code == 200
    assert errors.NOT_AN_IMAGE.format(name="broken.jpg") in response.content.decode()
    assert not Style.objects.filter(title="Broken").exists()


@pytest.mark.django_db
def test_staff_deactivate_a_style_and_it_leaves_the_catalogue(staff_client):
    style = make_style("Going Away")
    staff_client.post(
        reverse("admin:gallery_style_changelist"), {"action": "deactivate", "_selected_action": [str(style.pk)]}
    )
    assert style not in Style.objects.active()


@pytest.mark.django_db
def test_replacing_a_style_image_replaces_its_files(staff_client, django_capture_on_commit_callbacks):
    style = make_style("Repainted")
    old_files = [style.image.name, style.thumbnail.name]
    form = {"title": "Repainted", "position": "3", "is_active": "on"}
    form["image_file"] = upload("new.png", image_bytes((30, 20), "PNG"), "image/png")
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("admin:gallery_style_change", args=[style.pk]), form)
    style.refresh_from_db()
    assert style.width == 30 and style.thumbnail.name not in old_files
    assert not any(style.image.storage.exists(name) for name in old_files)


@pytest.mark.django_db(transaction=True)
def test_cancel_and_requeue_actions(staff_client, idle_queue):
    owner = make_user()
    stylization = services.stylization_create(
        owner=owner, photo=make_photo(owner), styles=[(make_style(), 1.0)], params=StyleParams(size=64, steps=3)
    )
    changelist = reverse("admin:gallery_stylization_changelist")
    staff_client.post(changelist, {"action": "cancel", "_selected_action": [str(stylization.pk)]})
    stylization.refresh_from_db()
    assert stylization.status == Stylization.Status.CANCELLED
    staff_client.post(changelist, {"action": "requeue", "_selected_action": [str(stylization.pk)]})
    stylization.refresh_from_db()
    assert stylization.status == Stylization.Status.QUEUED and stylization.attempt == 2
    assert idle_queue.get_job_ids() == [stylization.job_id]
    assert staff_client.get(changelist + "?status__exact=queued").status_code == 200


@pytest.mark.django_db
def test_admin_links_to_the_rq_dashboard(staff_client):
    index = staff_client.get(reverse("admin:index")).content.decode()
    assert "Job queue" in index and reverse("admin:django_rq_home") in index
    assert staff_client.get(reverse("admin:django_rq_home")).status_code == 200


@pytest.mark.django_db
def test_editing_position_and_visibility_in_the_style_list_saves_them(staff_client):
    """The change list's inline edits send only those two columns (this was a 500, KeyError 'title')."""
    style = make_style("Water Lilies", position=10)
    form = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(style.pk),
        "form-0-position": "3",
        "_save": "Save",
    }  # is_active unticked
    response = staff_client.post(reverse("admin:gallery_style_changelist"), form)
    assert response.status_code == 302
    style.refresh_from_db()
    assert (style.position, style.is_active, style.title) == (3, False, "Water Lilies")


@pytest.mark.django_db
def test_the_add_style_page_asks_for_one_image_and_shows_no_broken_thumbnail(staff_client):
    page = staff_client.get(reverse("admin:gallery_style_add")).content.decode()
    assert len(re.findall(r">[^<>]*Image:</label>", page)) == 1
    assert "<img" not in page.split('id="content"', 1)[1]  # nothing to show before there is an image


@pytest.mark.django_db
def test_adding_a_style_without_an_image_says_so(staff_client):
    response = staff_client.post(reverse("admin:gallery_style_add"), {"title": "Blank", "position": "1"})
    assert response.status_code == 200 and "Upload the style image." in response.content.decode()
    assert not Style.objects.filter(title="Blank").exists()


@pytest.mark.django_db
def test_a_style_page_shows_its_current_image_and_offers_to_replace_it(staff_client):
    style = make_style("Irises")
    page = staff_client.get(reverse("admin:gallery_style_change", args=[style.pk])).content.decode()
    assert reverse("gallery:style_thumbnail", args=[style.pk]) in page
    assert "Current image:</label>" in page and "Replace the image:</label>" in page


@pytest.mark.django_db
def test_the_stylization_list_and_page_show_pictures_not_file_paths(staff_client):
    stylization = make_finished_stylization(make_user())
    listing = staff_client.get(reverse("admin:gallery_stylization_changelist")).content.decode()
    assert f'src="{reverse("gallery:stylization_preview", args=[stylization.pk])}"' in listing
    page = staff_client.get(reverse("admin:gallery_stylization_change", args=[stylization.pk])).content.decode()
    assert f'src="{reverse("gallery:stylization_result", args=[stylization.pk])}"' in page
    for name in (stylization.result.name, stylization.preview.name):
        assert name not in listing and name not in page
    # and the pictures are there for staff to see
    assert staff_client.get(reverse("gallery:stylization_preview", args=[stylization.pk])).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_stylization_page_is_view_only_and_delete_removes_its_files(staff_client, idle_queue):
    stylization = make_finished_stylization(make_user())
    files = [stylization.result.name, stylization.preview.name]
    url = reverse("admin:gallery_stylization_change", args=[stylization.pk])
    page = staff_client.get(url).content.decode()
    assert 'name="_save"' not in page  # saving would write back a stale copy over the worker's updates
    changelist = reverse("admin:gallery_stylization_changelist")
    staff_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [str(stylization.pk)], "post": "yes"}
    )
    assert not Stylization.objects.filter(pk=stylization.pk).exists()
    assert not any(stylization.result.storage.exists(name) for name in files)
