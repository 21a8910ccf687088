"""The API's one exception handler: every error leaves in the same shape.

    {"code": "invalid", "detail": "size: Ensure this value is ...", "fields": {"size": ["..."]}}

`code` is stable and machine-readable, `detail` is one sentence a client can show, and
`fields` maps each refused input field to its messages (empty unless `code` is
"invalid"). Sources, in order:

- Django `ValidationError` from a service: 400 with its field dict.
- `gallery.errors.GalleryError`: the class's `http_status` and `code` (job_limit 429,
  invalid_state 409, queue_unavailable 503 with `Retry-After`).
- Django's `Http404`/`PermissionDenied` and DRF's own exceptions (401 with
  `WWW-Authenticate`, 429 with `Retry-After`, ...), via DRF's default handler.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from gallery import errors

# Service field names that the API spells differently.
SERVICE_FIELDS = {"params": "options", "weights": "styles", "idempotency_key": "Idempotency-Key"}
NON_FIELD = "non_field_errors"
# Seconds a client should wait before retrying when the queue is down.
QUEUE_RETRY_AFTER = 30


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, errors.GalleryError):
        set_rollback()
        data = body(code=exc.code, detail=str(exc))
        if isinstance(exc, errors.QueueUnavailable):
            data["stylization"] = str(exc.stylization_id)
        response = Response(data, status=exc.http_status)
        if isinstance(exc, errors.QueueUnavailable):
            response["Retry-After"] = str(QUEUE_RETRY_AFTER)
        return response
    exc = _as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:  # not ours to shape: a bug, left to Django's 500 handling
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {NON_FIELD: exc.detail}
        response.data = body(code="invalid", detail=_first_message(fields), fields=fields)
    else:
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        response.data = body(code=code, detail=str(exc.detail))
    return response


def body(*, code: str, detail: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "detail": detail, "fields": fields or {}}


def _as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(
                {SERVICE_FIELDS.get(field, field): messages for field, messages in exc.message_dict.items()}
            )
        return exceptions.ValidationError({NON_FIELD: exc.messages})
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or None)
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    return exc


def _first_message(fields: Any, path: str = "") -> str:
    """The first message in a (nested) error structure, prefixed by its field path."""
    if isinstance(fields, dict):
        for name, value in fields.items():
            found = _first_message(value, name if name == NON_FIELD or not path else f"{path}.{name}")
            if found:
                return found
        return ""
    if isinstance(fields, list):
        for index, value in enumerate(fields):
            found = _first_message(value, f"{path}[{index}]" if isinstance(value, (dict, list)) else path)
            if found:
                return found
        return ""
    text = str(fields)
    return text if not path or path == NON_FIELD else f"{path}: {text}"
