"""Where media live, from the environment: the local filesystem (the default) or an
S3-compatible object store (AWS S3, MinIO, Cloudflare R2, Backblaze B2...).

One function builds Django's `STORAGES["default"]` from an environment mapping, so the
settings, the tests and `bench/` configure storage exactly as a deployment does:

- `MEDIA_STORAGE=filesystem`: `gallery.storage.AtomicFileSystemStorage` in `MEDIA_ROOT`
  (web processes and workers must then share that folder).
- `MEDIA_STORAGE=s3` (the default once `AWS_STORAGE_BUCKET_NAME` or `AWS_S3_ENDPOINT_URL`
  is set): `gallery.storage.AtomicS3Storage` (django-storages' S3 backend) in that
  bucket. Objects are private (no ACL granting anyone else anything, presigned URLs
  only), never overwritten (`file_overwrite` off) and named by fresh UUIDs, as on disk.
  Credentials come from the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`)
  or, if unset, boto3's own chain (an instance or task role).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

BACKENDS = ("filesystem", "s3")
SERVE_MODES = ("stream", "redirect")


def storage_kind(env: Mapping[str, str]) -> str:
    """`filesystem` or `s3`: MEDIA_STORAGE, else s3 when a bucket or endpoint is named."""
    named = env.get("AWS_STORAGE_BUCKET_NAME") or env.get("AWS_S3_ENDPOINT_URL")
    kind = env.get("MEDIA_STORAGE") or ("s3" if named else "filesystem")
    if kind not in BACKENDS:
        raise ImproperlyConfigured(f"MEDIA_STORAGE must be one of {', '.join(BACKENDS)}, not {kind!r}.")
    return kind


def default_storage(env: Mapping[str, str], *, redirect_seconds: int = 60) -> dict[str, Any]:
    """The `STORAGES["default"]` entry the environment asks for."""
    if storage_kind(env) == "filesystem":
        return {"BACKEND": "gallery.storage.AtomicFileSystemStorage"}
    bucket = env.get("AWS_STORAGE_BUCKET_NAME", "")
    if not bucket:
        raise ImproperlyConfigured(
            "MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME: the (private) bucket that holds the media."
        )
    endpoint = env.get("AWS_S3_ENDPOINT_URL", "")
    if endpoint and not endpoint.startswith(("https://", "http://")):
        raise ImproperlyConfigured(f"AWS_S3_ENDPOINT_URL must be an http(s):// URL, not {endpoint!r}.")
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "endpoint_url": endpoint or None,
        "region_name": env.get("AWS_S3_REGION_NAME") or None,
        # A key prefix inside the bucket, e.g. when several sites share one bucket.
        "location": env.get("AWS_LOCATION", "").strip("/"),
        # Path-style URLs (endpoint/bucket/key) work with every S3-compatible server on a
        # custom endpoint; on AWS itself boto3 picks.
        "addressing_style": env.get("AWS_S3_ADDRESSING_STYLE") or ("path" if endpoint else None),
        "signature_version": "s3v4",
        # Never replace an object: a clash gets another name, as on the filesystem.
        "file_overwrite": False,
        # No ACL header by default: an object is then private to the bucket's owner (AWS's
        # default, and buckets with ACLs disabled refuse any other). Old buckets with ACLs
        # on may set AWS_DEFAULT_ACL=private. A public-read ACL is refused.
        "default_acl": env.get("AWS_DEFAULT_ACL") or None,
        # URLs are always presigned, and only for the redirect serving mode.
        "querystring_auth": True,
        "querystring_expire": redirect_seconds,
        "custom_domain": None,
    }
    if options["default_acl"] not in (None, "private", "bucket-owner-full-control"):
        raise ImproperlyConfigured(
            "AWS_DEFAULT_ACL must be private or bucket-owner-full-control (or unset): media are private, "
            f"not {options['default_acl']!r}."
        )
    for option, name in (("access_key", "AWS_ACCESS_KEY_ID"), ("secret_key", "AWS_SECRET_ACCESS_KEY")):
        if env.get(name):
            options[option] = env[name]
    return {"BACKEND": "gallery.storage.AtomicS3Storage", "OPTIONS": options}


def serve_mode(env: Mapping[str, str], *, kind: str) -> str:
    """MEDIA_SERVE: `stream` (the views send the bytes) or `redirect` (S3 only: the views
    answer, after the same ownership check, with a short-lived presigned URL)."""
    mode = env.get("MEDIA_SERVE") or "stream"
    if mode not in SERVE_MODES:
        raise ImproperlyConfigured(f"MEDIA_SERVE must be one of {', '.join(SERVE_MODES)}, not {mode!r}.")
    if mode == "redirect" and kind != "s3":
        raise ImproperlyConfigured("MEDIA_SERVE=redirect needs MEDIA_STORAGE=s3 (files on disk are streamed).")
    return mode


def redirect_seconds(env: Mapping[str, str]) -> int:
    """MEDIA_REDIRECT_SECONDS: how long a presigned image URL works (default 60)."""
    value = env.get("MEDIA_REDIRECT_SECONDS") or "60"
    if not value.isdigit() or not 1 <= int(value) <= 7 * 24 * 3600:
        raise ImproperlyConfigured(
            f"MEDIA_REDIRECT_SECONDS must be a whole number of seconds from 1 to 604800, not {value!r}."
        )
    return int(value)
