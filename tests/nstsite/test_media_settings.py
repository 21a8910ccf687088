"""Where media live comes from the environment (nstsite.media): the filesystem by default,
an S3-compatible bucket when one is named, and a clear refusal of anything else."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from nstsite import media


def test_media_stay_on_the_filesystem_unless_a_bucket_is_named():
    assert media.storage_kind({}) == "filesystem"
    assert media.default_storage({}) == {"BACKEND": "gallery.storage.AtomicFileSystemStorage"}
    assert media.serve_mode({}, kind="filesystem") == "stream"


@pytest.mark.parametrize(
    "env",
    [
        {"MEDIA_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "media"},
        {"AWS_STORAGE_BUCKET_NAME": "media"},
    ],
)
def test_a_bucket_gives_private_never_overwritten_objects(env):
    assert media.storage_kind(env) == "s3"
    storage = media.default_storage(env, redirect_seconds=30)
    options = storage["OPTIONS"]
    assert storage["BACKEND"] == "gallery.storage.AtomicS3Storage"
    assert options["bucket_name"] == "media" and options["file_overwrite"] is False
    assert options["default_acl"] is None and options["querystring_auth"] is True
    assert options["querystring_expire"] == 30 and options["custom_domain"] is None


def test_an_endpoint_for_minio_or_r2_uses_path_style_urls_and_the_given_credentials():
    env = {
        "AWS_S3_ENDPOINT_URL": "https://minio.internal:9000",
        "AWS_STORAGE_BUCKET_NAME": "media",
        "AWS_S3_REGION_NAME": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "key",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_LOCATION": "/nst/",
    }
    options = media.default_storage(env)["OPTIONS"]
    assert options["endpoint_url"] == "https://minio.internal:9000" and options["addressing_style"] == "path"
    assert (options["region_name"], options["location"]) == ("eu-west-1", "nst")
    assert (options["access_key"], options["secret_key"]) == ("key", "secret")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MEDIA_STORAGE": "nfs"}, "MEDIA_STORAGE must be one of filesystem, s3, not 'nfs'."),
        ({"MEDIA_STORAGE": "s3"}, "MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME"),
        ({"AWS_STORAGE_BUCKET_NAME": "m", "AWS_S3_ENDPOINT_URL": "minio:9000"}, "must be an http(s):// URL"),
        ({"AWS_STORAGE_BUCKET_NAME": "m", "AWS_DEFAULT_ACL": "public-read"}, "media are private"),
    ],
)
def test_unusable_storage_settings_are_refused_saying_why(env, message):
    with pytest.raises(ImproperlyConfigured, match=message.replace("(", r"\(").replace(")", r"\)")):
        media.default_storage(env)


def test_redirects_need_a_bucket_and_a_sane_lifetime():
    assert media.serve_mode({"MEDIA_SERVE": "redirect"}, kind="s3") == "redirect"
    with pytest.raises(ImproperlyConfigured, match="MEDIA_SERVE=redirect needs MEDIA_STORAGE=s3"):
        media.serve_mode({"MEDIA_SERVE": "redirect"}, kind="filesystem")
    with pytest.raises(ImproperlyConfigured, match="MEDIA_SERVE must be one of stream, redirect"):
        media.serve_mode({"MEDIA_SERVE": "public"}, kind="s3")
    assert media.redirect_seconds({}) == 60
    for bad in ("0", "-5", "ten", "9999999"):
        with pytest.raises(ImproperlyConfigured, match="MEDIA_REDIRECT_SECONDS"):
            media.redirect_seconds({"MEDIA_REDIRECT_SECONDS": bad})
