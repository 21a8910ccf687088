"""What the site accepts, a job can paint: uploads and jobs share one pixel limit and one
aspect rule, and what is stored is what the engine uses. Real worker processes."""

import io

import pytest
from PIL import Image

from gallery import services
from stylizer.engine import StyleParams
from tests.gallery.factories import image_bytes, make_style, make_user, upload
from tests.stylizer.jobs import finished, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_a_photo_accepted_under_a_raised_pixel_limit_is_painted(settings, rq_worker, empty_queue):
    """With UPLOAD_MAX_PIXELS raised, a 42 MP photo the site accepts is one the job opens, not one
    the engine's own 40 MP limit then refuses."""
    settings.UPLOAD_MAX_PIXELS = 45_000_000
    user = make_user()
    buffer = io.BytesIO()
    Image.new("L", (6500, 6500), 90).save(buffer, "PNG")
    photo = services.photo_create(owner=user, file=upload("big.png", buffer.getvalue(), "image/png"))
    stylization = services.stylization_create(
        owner=user, photo=photo, styles=[(make_style(), 1.0)], params=StyleParams(size=64, steps=2)
    )
    done = wait_for(stylization, finished)
    assert done.status == "succeeded", done.error_message


def test_the_longest_narrowest_photo_allowed_is_painted_at_the_smallest_size_offered(settings, rq_worker, empty_queue):
    """8:1 at 256 px: its coarse stage is 128x16, exactly the 16 px the network needs."""
    user = make_user()
    photo = services.photo_create(owner=user, file=upload("pano.png", image_bytes((1024, 128), "PNG"), "image/png"))
    params = StyleParams(size=min(settings.STYLIZER_SIZES), preset="draft", steps=4)
    stylization = services.stylization_create(owner=user, photo=photo, styles=[(make_style(), 1.0)], params=params)
    done = wait_for(stylization, finished)
    assert done.status == "succeeded", done.error_message
    with Image.open(done.result.path) as result:
        assert result.size == (256, 32)
