"""Media storage in which a file appears complete or not at all.

Django's FileSystemStorage writes straight into the final name, so a process killed
mid-write (the OOM killer, kill -9, a cancelled job's process) leaves a truncated image
behind that every later read trips over. Here each file is first written into
`MEDIA_ROOT/.partial/`, flushed to disk, and only then hard-linked into its final name:
readers see either no file or the whole file. A write cut short leaves only a `.part`
file in `.partial/`, which the reconciler deletes once it is old (`sweep_partial_files`).

`os.link` also refuses to replace an existing file, which keeps Django's rule that a
save never overwrites: on a clash the name is changed and the link tried again.
"""

from __future__ import annotations

import errno
import os
import tempfile
import time

from django.core.files.storage import FileSystemStorage, default_storage
from django.utils._os import safe_makedirs

PARTIAL_DIR = ".partial"
PARTIAL_SUFFIX = ".part"
# Filesystems that cannot hard-link (some FUSE/SMB mounts) fall back to a rename.
_NO_LINK = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV}


class AtomicFileSystemStorage(FileSystemStorage):
    def _save(self, name: str, content) -> str:
        full_path = self.path(name)
        self._make_directory(os.path.dirname(full_path))
        partial = self._write_partial(content)
        try:
            while True:
                try:
                    _publish(partial, full_path)
                    break
                except FileExistsError:
                    name = self.get_available_name(name)
                    full_path = self.path(name)
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        self._ensure_location_group_id(full_path)
        return os.path.relpath(full_path, self.location).replace("\\", "/")

    def _make_directory(self, directory: str) -> None:
        if self.directory_permissions_mode is not None:
            safe_makedirs(directory, self.directory_permissions_mode, exist_ok=True)
        else:
            os.makedirs(directory, exist_ok=True)

    def _write_partial(self, content) -> str:
        """Write `content` to a fresh file in .partial/, durably; return its path."""
        partial_dir = self.path(PARTIAL_DIR)
        self._make_directory(partial_dir)
        fd, partial = tempfile.mkstemp(dir=partial_dir, suffix=PARTIAL_SUFFIX)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in content.chunks():
                    out.write(chunk.encode() if isinstance(chunk, str) else chunk)
                out.flush()
                os.fsync(out.fileno())
            if self.file_permissions_mode is not None:
                os.chmod(partial, self.file_permissions_mode)
        except BaseException:
            os.unlink(partial)
            raise
        return partial


def _publish(partial: str, full_path: str) -> None:
    """Give the finished file its final name; FileExistsError if that name is taken."""
    try:
        os.link(partial, full_path)
    except OSError as exc:
        if exc.errno not in _NO_LINK:
            raise
        if os.path.exists(full_path):
            raise FileExistsError(errno.EEXIST, "file exists", full_path) from exc
        os.rename(partial, full_path)


def sweep_partial_files(*, older_than: float, storage=None) -> int:
    """Delete writes that a crash cut short (`.part` files older than `older_than` seconds)."""
    storage = storage or default_storage
    if not isinstance(storage, AtomicFileSystemStorage) or not storage.exists(PARTIAL_DIR):
        return 0
    cutoff = time.time() - older_than
    removed = 0
    with os.scandir(storage.path(PARTIAL_DIR)) as entries:
        for entry in entries:
            if entry.name.endswith(PARTIAL_SUFFIX) and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
                removed += 1
    return removed
