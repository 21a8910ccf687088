"""Media storage in which a file appears complete or not at all.

Django's FileSystemStorage writes straight into the final name, so a process killed
mid-write (the OOM killer, kill -9, a cancelled job's process) leaves a truncated image
behind that every later read trips over. Here each file is first written into
`MEDIA_ROOT/.partial/`, flushed to disk, and only then hard-linked into its final name:
readers see either no file or the whole file. A write cut short leaves only a `.part`
file in `.partial/`, which the reconciler deletes once it is old (`sweep_partial_files`).

`os.link` also refuses to replace an existing file, which keeps Django's rule that a
save never overwrites: on a clash the name is changed and the link tried again.

On S3-compatible object storage (`AtomicS3Storage`, MEDIA_STORAGE=s3) the same guarantee
comes from the protocol: the finished bytes are sent in one PUT with their Content-MD5,
and the server stores an object only once its whole body arrived and matched, so a writer
killed mid-upload leaves nothing under the name. `If-None-Match: *` makes the PUT refuse
to replace an object (a clash gets another name, as on disk). The only leftovers a crash
can leave there are incomplete multipart uploads (invisible, but billed), which other
tools or django-storages' writable files start; the reconciler aborts the old ones.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import mimetypes
import os
import posixpath
import tempfile
import time
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError
from django.core.files.storage import FileSystemStorage, default_storage
from django.utils._os import safe_makedirs
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

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

    def remove_empty_folder(self, name: str) -> None:
        """Remove the folder `name` if it is empty (not empty, or already gone: nothing to do)."""
        with contextlib.suppress(OSError):
            os.rmdir(self.path(name))

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


class AtomicS3Storage(S3Storage):
    """django-storages' S3 backend, writing each file in a single conditional PUT."""

    # Servers that predate conditional writes (S3 has them since 2024) answer 501; then the
    # name check before the save (file_overwrite off) is what keeps objects from being replaced.
    conditional_puts = True

    def _save(self, name: str, content) -> str:
        if hasattr(content, "seek"):
            content.seek(0)
        body = b"".join(chunk.encode() if isinstance(chunk, str) else chunk for chunk in content.chunks())
        digest = base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode()
        while True:
            key = self._normalize_name(clean_name(name))
            condition = {"IfNoneMatch": "*"} if self.conditional_puts else {}
            try:
                self.connection.meta.client.put_object(
                    Bucket=self.bucket_name,
                    Key=key,
                    Body=body,
                    ContentMD5=digest,
                    **condition,
                    **self._get_write_parameters(key, content),
                )
                return clean_name(name)
            except ClientError as exc:
                if _status(exc) == 501 and condition:
                    self.conditional_puts = False
                elif _status(exc) in (409, 412):  # 412: the name is taken; 409: a PUT to it is under way
                    name = self.get_available_name(name)
                else:
                    raise

    def stream(self, name: str) -> StoredObject:
        """The object's bytes as a stream, read as they arrive (FileNotFoundError if missing)."""
        key = self._normalize_name(clean_name(name))
        try:
            reply = self.connection.meta.client.get_object(Bucket=self.bucket_name, Key=key)
        except ClientError as exc:
            if _status(exc) == 404:
                raise FileNotFoundError(f"no object {key!r}") from exc
            raise
        return StoredObject(reply["Body"], name=posixpath.basename(name), size=reply["ContentLength"])

    def presigned_url(self, name: str, *, seconds: int, download_name: str | None = None) -> str:
        """A GET URL for the object that works for `seconds`, with the headers the views send."""
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        parameters = {"ResponseContentType": content_type, "ResponseCacheControl": f"private, max-age={seconds}"}
        if download_name:
            parameters["ResponseContentDisposition"] = f'attachment; filename="{download_name}"'
        return self.url(name, parameters=parameters, expire=seconds)

    def abort_multipart_uploads(self, *, older_than: float) -> int:
        """Abort multipart uploads under our prefix started more than `older_than` seconds ago."""
        client = self.connection.meta.client
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than)
        prefix = f"{self.location}/" if self.location else ""
        aborted = 0
        for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket_name, Prefix=prefix):
            for upload in page.get("Uploads", ()):
                if upload["Initiated"] < cutoff:
                    client.abort_multipart_upload(
                        Bucket=self.bucket_name, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    aborted += 1
        return aborted


class StoredObject:
    """A stored object read as it arrives from the server (a file-like for FileResponse)."""

    def __init__(self, body, *, name: str, size: int):
        self._body = body
        self.name = name
        self.size = size

    def read(self, amount: int = -1) -> bytes:
        return self._body.read(None if amount is None or amount < 0 else amount)

    def close(self) -> None:
        self._body.close()


def _status(exc: ClientError) -> int:
    return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)


def sweep_partial_files(*, older_than: float, storage=None) -> int:
    """Delete what writes cut short by a crash left behind, once older than `older_than`
    seconds: `.part` files on disk, incomplete multipart uploads on S3."""
    storage = storage or default_storage
    if isinstance(storage, AtomicS3Storage):
        return storage.abort_multipart_uploads(older_than=older_than)
    if not isinstance(storage, AtomicFileSystemStorage) or not storage.exists(PARTIAL_DIR):
        return 0
    cutoff = time.time() - older_than
    removed = 0
    with os.scandir(storage.path(PARTIAL_DIR)) as entries:
        for entry in entries:
            # A write in progress renames or removes its file at any time: gone is fine.
            with contextlib.suppress(FileNotFoundError):
                if entry.name.endswith(PARTIAL_SUFFIX) and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
    return removed
