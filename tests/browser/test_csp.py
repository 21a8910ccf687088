"""Every HTML page runs under the site's Content-Security-Policy in a real browser: nothing of
ours (or of the admin, or of Swagger UI) is refused, and an injected inline script is."""

import pytest
from django.urls import reverse

from gallery import services
from tests.browser.conftest import csp_violations
from tests.gallery.factories import make_finished_stylization, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Water-Lilies-1899"


def test_pages_admin_and_api_docs_run_with_nothing_refused_and_injected_script_is(browser, live_server, shots):
    staff = make_user("morisot", password=PASSWORD, is_staff=True, is_superuser=True)
    finished = make_finished_stylization(staff)
    style = finished.styles.first()
    share = services.share_create(stylization=finished, public=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    refused = csp_violations(page)
    page.set_default_timeout(20_000)
    page.goto(live_server.url + reverse("login"))
    page.fill("#id_username", "morisot")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()

    urls = [
        reverse("gallery:home"),
        reverse("gallery:photo_list"),
        reverse("gallery:stylization_create"),
        reverse("gallery:style_list"),
        reverse("gallery:stylization_list"),
        finished.get_absolute_url(),
        share.get_absolute_url(),
        reverse("gallery:share_list"),
        reverse("gallery:explore"),
        reverse("password_change"),
        reverse("admin:index"),
        reverse("admin:gallery_style_changelist"),
        reverse("admin:gallery_style_change", args=[style.pk]),
        reverse("admin:gallery_stylization_changelist"),
        reverse("admin:gallery_stylization_change", args=[finished.pk]),
        reverse("admin:gallery_sharelink_changelist"),
        reverse("admin:gallery_sharelink_change", args=[share.pk]),
        reverse("admin:django_rq_home"),
        "/no-such-page/",
    ]
    for url in urls:
        response = page.goto(live_server.url + url, wait_until="networkidle")
        assert "default-src 'self'" in response.headers["content-security-policy"], url

    page.goto(live_server.url + reverse("api:docs"), wait_until="networkidle")
    page.locator(".opblock").first.wait_for()  # Swagger UI started: its script ran
    assert page.locator(".opblock").count() > 10
    page.screenshot(path=shots / "csp-api-docs.png", full_page=False)
    assert refused == []

    with pytest.raises(Exception, match="Executing inline script violates the following Content Security Policy"):
        page.add_script_tag(content="window.injected = true")
    assert page.evaluate("window.injected") is None
