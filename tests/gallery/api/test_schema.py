"""The OpenAPI schema, its docs page, and schemathesis fuzzing the live API against it."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gallery import services
from gallery.models import Stylization
from nstsite.wsgi import application
from stylizer.engine.params import StyleParams
from tests.gallery.factories import make_photo, make_style, make_stylization, make_user

SCHEMA_URL = "/api/schema/"
# No server errors, and every status code, content type and body as the schema says.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.mark.django_db
def test_schema_documents_every_api_route(anon):
    response = anon.get(SCHEMA_URL, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/v1/auth/token/",
        "/api/v1/me/",
        "/api/v1/styles/",
        "/api/v1/styles/{id}/",
        "/api/v1/photos/",
        "/api/v1/photos/{id}/image/",
        "/api/v1/stylizations/",
        "/api/v1/stylizations/{id}/cancel/",
        "/api/v1/stylizations/{id}/retry/",
        "/api/v1/stylizations/{id}/result/",
        "/api/v1/shares/",
        "/api/v1/shares/{id}/",
        "/api/v1/shared/{token}/",
        "/api/v1/shared/{token}/result/",
        "/api/v1/explore/",
        "/api/v1/batches/",
        "/api/v1/batches/{id}/contact-sheet/",
    } <= set(paths)
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            if operation.get("security"):  # absent: open to anyone (obtaining a token)
                assert "401" in operation["responses"], f"{method.upper()} {path} does not document 401"


@pytest.mark.django_db
def test_docs_page_uses_our_own_static_files(anon):
    response = anon.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-dist" in html and "/static/drf_spectacular_sidecar/" in html
    assert "//cdn" not in html and "https://" not in html


@pytest.fixture
def api_schema(db):
    """The live schema, fetched from the WSGI app in this process (inside the test's transaction).

    Like Django's test client, keep the handler from closing the database connection
    at each request, which would end the test's transaction. Stylizations created here
    are never committed, so no job reaches the queue.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(SCHEMA_URL, application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def fuzz_user(api_schema, settings):
    """A staff user (so the catalogue's writes are fuzzed too), with no throttling in the way."""
    settings.RATE_LIMITS = {scope: (10_000, 60) for scope in settings.RATE_LIMITS}
    settings.STYLIZER_MAX_ACTIVE_JOBS = 100  # the real objects below (a batch too) leave room for the fuzzed ones
    return make_user(is_staff=True)


@pytest.fixture
def real_id(fuzz_user):
    """The id of a real object for an operation: a fresh one to delete, a queued stylization
    to cancel or retry (it alternates), otherwise one succeeded stylization, photo and style."""
    done = make_stylization(fuzz_user, status=Stylization.Status.SUCCEEDED)

    def batch() -> str:
        return services.batch_create(
            owner=fuzz_user, photo=done.photo, styles=[make_style()], params=StyleParams(size=64, steps=3)
        ).pk

    kept = {
        "photos": make_photo(fuzz_user).pk,
        "styles": make_style().pk,
        "stylizations": done.pk,
        "actions": make_stylization(fuzz_user).pk,
        "shares": services.share_create(stylization=done).pk,
        "batches": batch(),
    }
    fresh = {
        "photos": lambda: make_photo(fuzz_user).pk,
        "styles": lambda: make_style().pk,
        "stylizations": lambda: make_stylization(fuzz_user).pk,
        "batches": batch,  # (no DELETE: schemathesis tries it, and it must be a 405)
        "shares": lambda: (
            services.share_create(stylization=make_stylization(fuzz_user, status=Stylization.Status.SUCCEEDED)).pk
        ),
    }

    def for_operation(case) -> str:
        kind = case.path.split("/")[3]  # /api/v1/<kind>/{id}/...
        if case.method == "DELETE" and case.path.endswith("{id}/"):
            return str(fresh[kind]())
        if case.path.endswith(("/cancel/", "/retry/")):
            return str(kept["actions"])
        return str(kept[kind])

    return for_operation


@schema.parametrize()
@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, fuzz_user, real_id):
    """Every operation with generated input; an operation on one object runs again on a real
    one (random UUIDs alone would only ever meet 404s)."""

    def call() -> None:
        # Fetched for each call: the fuzzer also calls DELETE /auth/token/, which revokes it.
        token = services.auth_token_get_or_create(user=fuzz_user).key
        case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)

    call()
    if "id" in (case.path_parameters or {}):
        case.path_parameters = {**case.path_parameters, "id": real_id(case)}
        call()
