"""Ordering a print in headless Chromium, run by a real worker: the result page offers the
sizes the worker makes, the print is queued and painted like any job, and downloads under
its name; screenshots in artifacts/browser/."""

from __future__ import annotations

import pytest
from PIL import Image

from gallery.models import Stylization
from tests.browser.conftest import csp_violations, wait_until
from tests.browser.test_social import PASSWORD, finished, log_in
from tests.conftest import _stop_workers
from tests.gallery.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# Tiny "prints" of the 320 px result: one rung at 400 px (a few seconds on a CPU); the
# worker makes up to 400 px, so 560 px is offered by the site but refused.
SIDES = (400, 560)


def test_order_a_print_watch_it_paint_and_download_it(
    browser, live_server, shots, settings, _worker_pool, worker_factory
):
    settings.STYLIZER_PRINT_SIDES = SIDES
    _stop_workers(_worker_pool)
    worker_factory({"STYLIZER_PRINT_SIDES": ",".join(map(str, SIDES)), "STYLIZER_PRINT_MAX_SIDE": "400"})
    source = finished(make_user("hokusai", password=PASSWORD))
    page = log_in(browser, live_server, "hokusai", source.get_absolute_url())
    refused = csp_violations(page)
    page.reload()
    panel = page.locator("[data-print-panel]")
    panel.wait_for(state="visible")
    assert panel.get_by_role("button", name="Make a 400 px print").is_visible()
    assert panel.get_by_role("button", name="Make a 560 px print").count() == 0
    assert "No worker can make a 560 px print right now" in panel.inner_text()
    panel.scroll_into_view_if_needed()
    page.screenshot(path=shots / "prints-01-sizes.png", full_page=True)

    with page.expect_navigation():
        panel.get_by_role("button", name="Make a 400 px print").click()
    made = Stylization.objects.get(print_of=source)
    assert page.url.endswith(made.get_absolute_url())
    assert "A 400 px print of your result" in page.locator("[data-print-origin]").inner_text()
    page.locator('[data-action="download"]').wait_for(state="visible", timeout=120_000)
    wait_until(
        page, "document.querySelector('[data-result]') && document.querySelector('[data-result]').naturalWidth > 0"
    )
    page.screenshot(path=shots / "prints-02-print-done.png", full_page=True)

    with page.expect_download() as download:
        page.locator('[data-action="download"]').click()
    assert download.value.suggested_filename == "harbour-at-dawn--the-starry-night--print-400px.jpg"
    with Image.open(download.value.path()) as printed:
        assert printed.format == "JPEG" and printed.size == (400, 300)

    page.goto(f"{live_server.url}{source.get_absolute_url()}")
    assert "400 px print" in page.locator("[data-print-list]").inner_text()
    assert refused == []
