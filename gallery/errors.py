"""The gallery's application errors and the messages users see.

Input errors are Django `ValidationError`s with a field dict; everything else a service
refuses raises one of these. Pages show `str(error)`; the REST API maps each class to a
status code (`http_status`). Tests name the message constants instead of retyping them.
"""

from __future__ import annotations

from django.http.multipartparser import MultiPartParserError

# Uploads (raised as ValidationError on the "file"/"image" field).
NOT_AN_IMAGE = "{name}: this file is not a JPEG, PNG or WebP image."
UNSUPPORTED_FORMAT = "{name}: {format} images are not supported; upload a JPEG, PNG or WebP image."
FILE_TOO_LARGE = "{name}: the file is {size_mb:.1f} MB; the limit is {limit_mb:.0f} MB."
TOO_MANY_PIXELS = "{name}: the image is {megapixels:.0f} megapixels; the limit is {limit_megapixels:.0f} megapixels."
IMAGE_TOO_NARROW = (
    "{name}: the image is {width}x{height} px, too long and narrow to paint: its longer side may be at most "
    "{limit:g} times its shorter side (from {limit:g}:1 to 1:{limit:g}). Crop it and upload it again."
)
IMAGE_UNREADABLE = "{name}: the image could not be read ({reason})."
EMPTY_FILE = "{name}: the file is empty (0 bytes); choose the image file again."
SVG_NOT_SUPPORTED = "{name}: SVG drawings are not supported; upload a JPEG, PNG or WebP image."
HTML_IN_IMAGE = (
    "{name}: the file carries web page code (HTML or script) besides the picture; "
    "save the picture again from an image editor and upload that."
)
UNSAFE_FILE_NAME = "{name}: file names may not contain folders or '..'; rename the file and upload it again."

# Requests (pages answer with our own error pages, the API in its error shape).
REQUEST_TOO_LARGE = (
    "The upload is {size_mb:.1f} MB; the limit is {limit_mb:.0f} MB in one request "
    "and {file_limit_mb:.0f} MB per image."
)
DATA_TOO_LARGE = "The request body is {size_kb:.0f} KB; the limit is {limit_kb:.0f} KB for anything but image uploads."
JSON_TOO_DEEP = "JSON parse error - the body is nested too deeply."
BAD_REQUEST = "The request could not be read."
SERVER_ERROR = "Something went wrong on our side. Please try again in a moment."
CSRF_FAILED = "Nothing was changed: this form had expired or came from another site. Reload the page and try again."
LOGIN_LOCKED = "Too many failed log-ins for this account from your address. Log-in is locked; try again in {wait}."
RATE_LIMITED = "Too many {what} in a short time. Please try again in {wait}."
RATE_LIMITED_WHAT = {  # the scopes of settings.RATE_LIMITS
    "uploads": "photo uploads",
    "stylizations": "new stylizations and retries",
    "signups": "sign-ups from your address",
    "password_resets": "password reset requests from your address",
    "logins": "failed log-ins from your address",
}

# Stylizations.
NO_STYLES = "Choose at least one style."
TOO_MANY_STYLES = "Choose at most {limit} styles (your own style image counts as one)."
BAD_WEIGHT = "Blend weights must be positive numbers."
STYLE_NOT_AVAILABLE = "That style is not available."
STYLE_WITHDRAWN = "The style “{title}” is no longer offered; choose another one."
SIZE_NOT_OFFERED = "{size} px is more than the largest size offered, {limit} px; choose a smaller size."
TOO_NARROW_AT_SIZE = (
    "At {size} px, {what} would be only {side} px across, and painting needs at least {min_side}; "
    "choose a size of {needed} px or more."
)
TOO_NARROW_AT_ANY_SIZE = (
    "At {size} px, {what} would be only {side} px across, and painting needs at least {min_side} "
    "at every size offered; crop the image and upload it again."
)
PHOTO_NOT_AVAILABLE = "That photo is not available."
JOB_LIMIT = "You already have {limit} stylizations queued or running; wait for one to finish or cancel one."
QUEUED_WORK_LIMIT = (
    "Your queued and running stylizations already need {used:.0f} of the {limit:.0f} megapixel-steps of "
    "compute you may have waiting, and this one needs {work:.0f}; wait for one to finish, or choose a smaller "
    "size or a faster preset."
)
PHOTO_QUOTA = "You have {count} photos, as many as you can keep; delete some to upload more."
PHOTO_STORAGE_QUOTA = (
    "Your photos would take more than your {limit_mb:.0f} MB of storage ({used_mb:.1f} MB used); "
    "delete some to upload more."
)
PRIVATE_STYLE_QUOTA = (
    "You have {count} style images of your own, as many as you can keep; deleting the stylizations "
    "that use one removes it."
)
QUEUE_UNAVAILABLE = (
    "The job queue is unavailable right now, so the stylization could not start. Please retry in a minute."
)
BAD_IDEMPOTENCY_KEY = "An idempotency key is 1 to {limit} printable ASCII characters."
IDEMPOTENCY_KEY_REUSED = (
    "This idempotency key was already used for a different stylization; use a new key for a new request."
)
NO_EMAIL_TO_NOTIFY = (
    "Your account has no e-mail address to send to. Accounts made before sign-up asked for one cannot get mails."
)
CANNOT_CANCEL = "Only a queued or running stylization can be cancelled."
CANNOT_RETRY = "Only a failed or cancelled stylization can be retried."
REMIX_AS = "Remix a result as the photo or as a style."
REMIX_SHARED_AS_PHOTO = "A result someone shared with you can be remixed as a style, not as your photo."
REMIX_ONE_SOURCE = "Name the result to remix by one of stylization or share_token."
REMIX_NOT_FINISHED = "Only a finished result can be remixed; wait until it has succeeded."

# Prints (gallery/services/prints.py).
PRINT_NOT_FINISHED = "Only a finished result can be printed; wait until it has succeeded."
PRINT_SIDE_NOT_OFFERED = "Prints are {sides} px on the long side, not {side} px."
PRINT_NONE_OFFERED = "This site makes no prints (STYLIZER_PRINT_SIDES is empty)."
PRINT_NOT_LARGER = "The result is already {source} px on the long side; a print must be larger ({side} px is not)."
PRINT_NO_WORKER = (
    "No worker can make a {side} px print right now{others}. Try again later, or choose a size a worker can make."
)
PRINT_SOURCE_GONE = "The result this print continues was deleted, so the print cannot be made; print a result again."
EACH_CATALOGUE_ONLY = (
    "One picture per style takes styles from the catalogue; your own style image (or a remixed result "
    "used as a style) can only be blended. Choose “Blend them into one picture”, or leave it out."
)
CANNOT_SHARE = "Only a finished result can be shared; wait until the stylization has succeeded."
WORKER_LOST = "The worker stopped while running this stylization; retry it."
PROCESS_KILLED = (
    "The process running this stylization was killed ({cause}) before it finished; "
    "retry it, and if it happens again, try a smaller size."
)
QUEUE_DOWN = "The job queue cannot be reached right now; your photos and results are safe. Try again in a minute."
QUEUE_LOST = "The job queue lost this stylization (the queue was restarted or cleared) before it finished; retry it."
JOB_FAILED = "Something went wrong while stylizing; retry it, and tell us if it keeps failing."
JOB_TIMED_OUT = (
    "The stylization took longer than its time limit of {seconds} seconds; "
    "retry with a smaller size or a faster preset."
)


class GalleryError(Exception):
    """Base of the errors a service raises for a request it refuses (not input errors)."""

    http_status = 400
    code = "error"


class JobLimitReached(GalleryError):
    """The user has as many stylizations queued or running as allowed."""

    http_status = 429
    code = "job_limit"

    def __init__(self, limit: int):
        super().__init__(JOB_LIMIT.format(limit=limit))
        self.limit = limit


class QueuedWorkLimitReached(GalleryError):
    """The user's queued and running stylizations would need more compute than QUOTA_QUEUED_WORK."""

    http_status = 429
    code = "job_limit"


class QuotaExceeded(GalleryError):
    """The user keeps as many photos, bytes or private style images as allowed."""

    http_status = 403
    code = "quota_exceeded"


class QueueUnavailable(GalleryError):
    """Redis could not be reached when enqueuing; the row was marked failed and can be retried."""

    http_status = 503
    code = "queue_unavailable"

    def __init__(self, *, stylization_id=None) -> None:
        super().__init__(QUEUE_UNAVAILABLE)
        # The row that was saved as failed, so the caller can point the user at its retry.
        self.stylization_id = stylization_id


class InvalidTransition(GalleryError):
    """The stylization is not in a state that allows this action (cancel, retry)."""

    http_status = 409
    code = "invalid_state"


class IdempotencyKeyReused(GalleryError):
    """An idempotency key came back with a different request than the one it first created."""

    http_status = 422
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(IDEMPOTENCY_KEY_REUSED)


class UnsafeFileName(MultiPartParserError):
    """An upload's file name holds a folder path or `..` (gallery.http.StrictMultiPartParser).

    Raised while the request body is parsed, before any view runs: pages answer 400 with
    the message (gallery.error_pages.bad_request), the API a 400 in its error shape.
    """

    def __init__(self, name: str):
        super().__init__(UNSAFE_FILE_NAME.format(name=name))
        self.name = name
