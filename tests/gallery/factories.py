"""Row and file factories for tests: tiny images, unique names."""

from __future__ import annotations

import io
import itertools

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from gallery import images, services
from gallery.models import Photo, Style, Stylization
from stylizer.engine import StyleParams

_counter = itertools.count(1)

# The tests' stylization: small and short, so a real worker paints it in a second or two.
TINY = StyleParams(size=64, steps=3)


def image_bytes(size: tuple[int, int] = (64, 48), fmt: str = "JPEG", color=(200, 80, 40), **save) -> bytes:
    image = Image.new("RGB", size, color)
    # A little structure, so the engine has edges to keep.
    for x in range(0, size[0], 8):
        for y in range(size[1]):
            image.putpixel((x, y), (20, 20, 120))
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def upload(name: str = "photo.jpg", data: bytes | None = None, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes() if data is None else data, content_type=content_type)


def make_user(username: str | None = None, password: str = "s3cret-pass-123", **fields) -> User:
    return User.objects.create_user(username=username or f"user{next(_counter)}", password=password, **fields)


def make_photo(owner: User, size: tuple[int, int] = (64, 48)) -> Photo:
    return services.photo_create(owner=owner, file=upload(data=image_bytes(size)))


def make_style(title: str | None = None, owner: User | None = None, **fields) -> Style:
    data = image_bytes((48, 48), "PNG", color=(30, 160, 90))
    return services.style_create(
        title=title or f"Style {next(_counter)}", file=upload("style.png", data, "image/png"), owner=owner, **fields
    )


def make_stylization(
    owner: User | None = None,
    *,
    photo: Photo | None = None,
    styles: list[tuple[Style, float]] | None = None,
    params: StyleParams = TINY,
    status: str | None = None,
    **fields,
) -> Stylization:
    """A stylization made as a user would (through the service, so its job is queued once the
    row commits), of a fresh photo and curated style unless given. With `status` (and any
    other `fields`) the row is then written as a worker would have: a succeeded one with a
    real result PNG and preview JPEG, a finished one with its times."""
    owner = owner or make_user()
    stylization = services.stylization_create(
        owner=owner, photo=photo or make_photo(owner), styles=styles or [(make_style(), 1.0)], params=params
    )
    if status == Stylization.Status.SUCCEEDED:
        painted = Image.new("RGB", (64, 48), (120, 60, 200))
        stylization.result.save("result.png", images.png(painted, name="result.png"), save=False)
        stylization.preview.save("preview.jpg", images.jpeg(painted, name="preview.jpg"), save=False)
        written = {"result": stylization.result.name, "preview": stylization.preview.name}
        fields = {**written, "step": 3, "total_steps": 3, "run_seconds": 1.5, **fields}
    if status in Stylization.FINISHED_STATUSES:
        fields = {"started_at": timezone.now(), "finished_at": timezone.now(), **fields}
    if status is not None:
        fields["status"] = status
    if fields:
        Stylization.objects.filter(pk=stylization.pk).update(**fields)
        stylization.refresh_from_db()
    return stylization


def make_finished_stylization(owner: User) -> Stylization:
    """A succeeded stylization whose result (PNG) and preview (JPEG) are real images, as the worker writes them."""
    return make_stylization(owner, status=Stylization.Status.SUCCEEDED)
