"""The files a stylization's job writes, and deleting files once nothing points at them."""

from __future__ import annotations

from django.core.files.storage import default_storage

from gallery.models import Stylization

# A write cut short by a crash leaves a .part file; none legitimately takes this long.
PARTIAL_FILE_MAX_AGE = 3600


def results_folder(stylization_id) -> str:
    return f"results/{stylization_id}"


def save_result_file(stylization_id, attempt: int, content) -> str:
    """Save a file a job made, in the stylization's own folder, named after the attempt
    (`results/<id>/a2-preview.jpg`), so what a dead attempt left is easy to find."""
    return default_storage.save(f"{results_folder(stylization_id)}/a{attempt}-{content.name}", content)


def discard_unreferenced_files(stylization_id, attempt: int) -> None:
    """Delete the files of this attempt that its row does not point to (a killed job's)."""
    folder = results_folder(stylization_id)
    try:
        _, names = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    row = Stylization.objects.filter(pk=stylization_id).values("preview", "result").first() or {}
    keep = {row.get("preview"), row.get("result")}
    delete_files(
        *(f"{folder}/{name}" for name in names if name.startswith(f"a{attempt}-") and f"{folder}/{name}" not in keep)
    )
    remove_empty_folder(folder)


def remove_empty_folder(folder: str) -> None:
    # Object storage has no folders; the filesystem backend removes an empty one.
    remove = getattr(default_storage, "remove_empty_folder", None)
    if remove is not None:
        remove(folder)


def delete_files(*names: str) -> None:
    for name in names:
        if name:
            default_storage.delete(name)
