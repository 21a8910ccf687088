"""OpenAPI pieces shared by the views: the error responses and their examples."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from gallery import errors
from gallery.api.exceptions import body
from gallery.api.serializers import ErrorSerializer

ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The object's UUID.")
IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Optional; 1 to 255 printable ASCII characters, e.g. a UUID made per intended stylization. "
    "Sending the same request again with the same key (say, after a timeout) creates nothing: the answer is "
    "the stylization the first request created, with the header `Idempotent-Replayed: true`. The same key "
    "with a different request is refused (422).",
)

_ERRORS: dict[int, tuple[str, list[OpenApiExample]]] = {
    400: (
        "Invalid input. `fields` maps each refused field to its messages; `detail` repeats the first one.",
        [
            OpenApiExample(
                "Field errors",
                body(
                    code="invalid",
                    detail="options.size: Ensure this value is less than or equal to 1024.",
                    fields={"options": {"size": ["Ensure this value is less than or equal to 1024."]}},
                ),
            )
        ],
    ),
    401: (
        "No credentials or bad ones. Send `Authorization: Token <key>` or a session cookie.",
        [
            OpenApiExample(
                "Not authenticated",
                body(code="not_authenticated", detail="Authentication credentials were not provided."),
            ),
            OpenApiExample("Bad token", body(code="authentication_failed", detail="Invalid token.")),
        ],
    ),
    403: (
        "Signed in but not allowed: staff-only actions, a session request without its CSRF token, or "
        "past a quota of what you may keep (`quota_exceeded`).",
        [
            OpenApiExample(
                "Not staff",
                body(code="permission_denied", detail="You do not have permission to perform this action."),
            ),
            OpenApiExample("Quota", body(code="quota_exceeded", detail=errors.PHOTO_QUOTA.format(count=500))),
        ],
    ),
    404: (
        "No such object, or it belongs to someone else (never 403, so ids reveal nothing).",
        [OpenApiExample("Not found", body(code="not_found", detail="No stylization matches the given query."))],
    ),
    409: (
        "The stylization is not in a state that allows this action.",
        [OpenApiExample("Cannot cancel", body(code="invalid_state", detail=errors.CANNOT_CANCEL))],
    ),
    413: (
        "The request body is larger than its limit, refused before it is read: REQUEST_MAX_BYTES for a "
        "multipart upload, REQUEST_DATA_MAX_BYTES (256 KB by default) for any other body, JSON included.",
        [
            OpenApiExample(
                "Upload too large",
                body(
                    code="request_too_large",
                    detail=errors.REQUEST_TOO_LARGE.format(size_mb=64.0, limit_mb=41, file_limit_mb=20),
                ),
            ),
            OpenApiExample(
                "JSON body too large",
                body(code="request_too_large", detail=errors.DATA_TOO_LARGE.format(size_kb=20480, limit_kb=256)),
            ),
        ],
    ),
    415: (
        "The request body's Content-Type is not one this endpoint reads (see its request body).",
        [
            OpenApiExample(
                "Unsupported media type",
                body(code="unsupported_media_type", detail='Unsupported media type "text/plain" in request.'),
            )
        ],
    ),
    422: (
        "The `Idempotency-Key` was already used for a different request (another photo, styles or options).",
        [OpenApiExample("Key reused", body(code="idempotency_key_reused", detail=errors.IDEMPOTENCY_KEY_REUSED))],
    ),
    429: (
        "Too many requests (`throttled`, with `Retry-After` in seconds), too many stylizations "
        "queued or running at once or too much compute queued (`job_limit`), or too many failed log-ins "
        "for this username from this address (`login_locked`, with `Retry-After`).",
        [
            OpenApiExample(
                "Throttled", body(code="throttled", detail="Request was throttled. Expected available in 59 seconds.")
            ),
            OpenApiExample("Job limit", body(code="job_limit", detail=errors.JOB_LIMIT.format(limit=3))),
            OpenApiExample(
                "Log-in locked", body(code="login_locked", detail=errors.LOGIN_LOCKED.format(wait="15 minutes"))
            ),
        ],
    ),
    503: (
        "The job queue is down. The stylization was kept as failed; retry it (POST .../retry/) "
        "after `Retry-After` seconds.",
        [OpenApiExample("Queue unavailable", body(code="queue_unavailable", detail=errors.QUEUE_UNAVAILABLE))],
    ),
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """The documented error responses for `statuses`, all in the one error shape."""
    return {
        status: OpenApiResponse(ErrorSerializer, description=_ERRORS[status][0], examples=_ERRORS[status][1])
        for status in statuses
    }


IMAGE_RESPONSES = {
    (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="The image file."),
    (200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY, description="The image file."),
    **error_responses(401, 404),
}
