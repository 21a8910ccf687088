"""Every HTML answer carries the site's Content-Security-Policy (nstsite.middleware), error
pages included; the browser side is tests/browser/test_csp.py."""

import pytest
from django.test import Client
from django.urls import reverse

from gallery import selectors
from nstsite.middleware import CONTENT_SECURITY_POLICY
from tests.gallery.factories import make_user

pytestmark = pytest.mark.django_db

STRICT = CONTENT_SECURITY_POLICY


def _policy(response) -> str:
    assert response["Content-Type"].startswith("text/html"), response["Content-Type"]
    return response["Content-Security-Policy"]


def test_the_strict_policy_allows_no_inline_code_and_nothing_from_elsewhere():
    directives = dict(directive.split(" ", 1) for directive in STRICT.split("; "))
    assert directives["default-src"] == "'self'"  # scripts, styles, fonts, fetches
    assert "script-src" not in directives and "style-src" not in directives, "no 'unsafe-inline'"
    assert directives["object-src"] == directives["frame-ancestors"] == "'none'"


def test_every_page_of_the_site_and_the_api_docs_carry_the_strict_policy(client):
    anonymous = [reverse("gallery:home"), reverse("login"), reverse("signup"), reverse("api:docs")]
    for url in anonymous:
        assert _policy(client.get(url)) == STRICT, url
    client.force_login(make_user())
    signed_in = [
        reverse("gallery:photo_list"),
        reverse("gallery:stylization_create"),
        reverse("gallery:stylization_list"),
        reverse("gallery:style_list"),
        reverse("password_change"),
    ]
    for url in signed_in:
        response = client.get(url)
        assert response.status_code == 200 and _policy(response) == STRICT, url


def test_error_pages_carry_it_too(client, settings, monkeypatch):
    assert _policy(client.get("/no-such-page/")) == STRICT  # 404
    refused = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "a", "password": "b"})
    assert refused.status_code == 403 and _policy(refused) == STRICT
    too_large = client.generic(
        "POST", reverse("login"), b"x", content_type="application/x-www-form-urlencoded", CONTENT_LENGTH=str(2**30)
    )
    assert too_large.status_code == 413 and _policy(too_large) == STRICT

    def broken():
        raise RuntimeError("a bug")

    monkeypatch.setattr(selectors, "style_list_active", broken)
    client.raise_request_exception = False
    crashed = client.get(reverse("gallery:style_list"))
    assert crashed.status_code == 500 and _policy(crashed) == STRICT


def test_the_staff_pages_allow_inline_styles_and_the_rq_dashboard_inline_scripts(client):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    admin = _policy(client.get(reverse("admin:gallery_style_changelist")))
    assert admin == f"{STRICT}; style-src 'self' 'unsafe-inline'"
    dashboard = _policy(client.get(reverse("admin:django_rq_home")))
    assert dashboard == f"{STRICT}; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'"


def test_the_api_docs_start_swagger_ui_from_a_script_file_not_inline(client):
    page = client.get(reverse("api:docs")).content.decode()
    assert "<style" not in page and "<script>" not in page
    script = client.get(reverse("api:docs") + "?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
