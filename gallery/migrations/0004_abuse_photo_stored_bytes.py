"""Photo.stored_bytes: what each photo takes on disk, for the per-user storage quota.

Existing photos get the sizes of their files (a missing file counts 0).
"""

from django.core.files.storage import default_storage
from django.db import migrations, models


def _size(name: str) -> int:
    try:
        return default_storage.size(name) if name else 0
    except OSError:
        return 0


def count_stored_bytes(apps, schema_editor):
    Photo = apps.get_model("gallery", "Photo")
    for photo in Photo.objects.only("image", "thumbnail").iterator():
        photo.stored_bytes = _size(photo.image.name) + _size(photo.thumbnail.name)
        photo.save(update_fields=["stored_bytes"])


class Migration(migrations.Migration):
    dependencies = [("gallery", "0003_stylization_idempotency_key")]

    operations = [
        migrations.AddField(
            model_name="photo",
            name="stored_bytes",
            field=models.PositiveBigIntegerField(
                default=0, help_text="Bytes on disk (image and thumbnail), counted against the owner's quota."
            ),
        ),
        migrations.RunPython(count_stored_bytes, migrations.RunPython.noop),
    ]
