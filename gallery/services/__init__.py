"""Everything that changes gallery data, split by entity. Views (pages and API), the admin,
management commands and the worker call these functions; nothing else writes.

    accounts      API tokens, what a password change ends, the user's settings
    photos        upload, delete
    styles        curated and private styles
    stylizations  the web side of a job's life: create, cancel, retry, requeue, delete
    queue         enqueue and cancel a row's job (named by its dotted path), its time limit
    files         the files a job writes, and deleting them
    batches       one photo in many styles: one stylization per style, all or nothing
    sharing       share links to a result, the public gallery's moderation
    examples      the landing page's before/after examples

Input errors raise `ValidationError` with a field dict; refused actions raise the
classes in `gallery.errors`. The names below are re-exported so callers write
`services.photo_create(...)` without knowing which module holds it.
"""

from gallery.services.accounts import (
    auth_password_changed,
    auth_token_get_or_create,
    auth_token_revoke,
    profile_update,
)
from gallery.services.batches import batch_create
from gallery.services.examples import example_replace
from gallery.services.files import PARTIAL_FILE_MAX_AGE
from gallery.services.photos import photo_create, photo_delete
from gallery.services.queue import JOB_FUNCTION, job_timeout
from gallery.services.sharing import share_create, share_hide, share_revoke, share_update
from gallery.services.styles import style_create, style_update
from gallery.services.stylizations import (
    IDEMPOTENCY_KEY_MAX,
    RANDOM_SEED_LIMIT,
    stylization_cancel,
    stylization_create,
    stylization_create_with_uploads,
    stylization_delete,
    stylization_requeue,
    stylization_retry,
)

__all__ = [
    "IDEMPOTENCY_KEY_MAX",
    "JOB_FUNCTION",
    "PARTIAL_FILE_MAX_AGE",
    "RANDOM_SEED_LIMIT",
    "auth_password_changed",
    "auth_token_get_or_create",
    "auth_token_revoke",
    "batch_create",
    "example_replace",
    "job_timeout",
    "photo_create",
    "photo_delete",
    "profile_update",
    "share_create",
    "share_hide",
    "share_revoke",
    "share_update",
    "style_create",
    "style_update",
    "stylization_cancel",
    "stylization_create",
    "stylization_create_with_uploads",
    "stylization_delete",
    "stylization_requeue",
    "stylization_retry",
]
