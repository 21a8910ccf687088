"""The image sub-resources (.../image/, .../thumbnail/, .../preview/, .../result/): each is
sent as the type its bytes are, with nosniff and a sandboxing CSP, like the pages' images."""

import pytest

from tests.gallery.factories import make_finished_stylization
from tests.gallery.responses import assert_served_as_an_image_only

pytestmark = pytest.mark.django_db


def test_every_image_sub_resource_is_sent_as_its_type_with_nosniff(alice, as_alice):
    stylization = make_finished_stylization(alice)
    style = stylization.styles.get()
    urls = [
        f"/api/v1/photos/{stylization.photo_id}/image/",
        f"/api/v1/photos/{stylization.photo_id}/thumbnail/",
        f"/api/v1/styles/{style.pk}/image/",
        f"/api/v1/styles/{style.pk}/thumbnail/",
        f"/api/v1/stylizations/{stylization.pk}/preview/",
        f"/api/v1/stylizations/{stylization.pk}/result/",
        f"/api/v1/stylizations/{stylization.pk}/result/?download=1",
    ]
    for url in urls:
        assert_served_as_an_image_only(as_alice.get(url, HTTP_ACCEPT="image/*"))
