"""A new user's whole path in headless Chromium (Debian's, driven by Playwright):
sign up -> upload a photo -> pick a style -> watch the progress bar -> see the result in
the gallery, with nothing refused by the site's Content-Security-Policy. Screenshots of
every page land in artifacts/browser/ (gitignored)."""

import io

import pytest

from gallery import services
from stylizer.engine import StyleParams
from tests import images
from tests.browser.conftest import csp_violations, wait_until
from tests.gallery.factories import make_photo, make_style, make_user, upload

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

JOB_WAIT_MS = 120_000
LONG = StyleParams(size=64, steps=5000)  # still running when the test acts on it


def test_new_user_signs_up_uploads_stylizes_and_finds_the_result(
    browser, live_server, capped_worker, shots, settings, empty_queue, tmp_path
):
    settings.STYLIZER_SIZES = (128, 256, 512)
    catalogue = [("The Starry Night", "Vincent van Gogh", "1889"), ("The Scream", "Edvard Munch", "1893")]
    for (title, artist, year), drawn in zip(catalogue, images.PAINTINGS):
        data = io.BytesIO()
        images.painting(drawn, (240, 190)).save(data, "JPEG", quality=90)
        services.style_create(title=title, artist=artist, year=year, file=upload(f"{title}.jpg", data.getvalue()))
    hummingbird = tmp_path / "hummingbird.png"
    images.scene((320, 256)).save(hummingbird)

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    refused = csp_violations(page)
    page.set_default_timeout(20_000)
    page.goto(live_server.url)
    page.screenshot(path=shots / "01-home.png", full_page=True)

    page.get_by_role("link", name="Sign up").first.click()
    page.fill("#id_username", "monet")
    page.fill("#id_email", "claude@giverny.example")
    page.fill("#id_password1", "Water-Lilies-1899")
    page.fill("#id_password2", "Water-Lilies-1899")
    page.screenshot(path=shots / "02-signup.png", full_page=True)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/create/")

    page.get_by_role("link", name="Photos", exact=True).click()
    page.set_input_files("#id_image", str(hummingbird))
    page.get_by_role("button", name="Upload photo").click()
    page.get_by_text("Photo uploaded.").wait_for()
    page.screenshot(path=shots / "03-photos.png", full_page=True)

    page.get_by_role("link", name="Stylize").first.click()
    page.wait_for_url("**/create/?photo=*")
    page.locator("label.pick", has_text="hummingbird").locator("input").check()
    page.locator("[data-style-pick]", has_text="The Starry Night").locator('input[type="checkbox"]').check()
    page.select_option("#id_size", "128")
    page.select_option("#id_preset", "draft")
    page.screenshot(path=shots / "04-create.png", full_page=True)
    page.get_by_role("button", name="Paint it").click()
    page.wait_for_url("**/results/*/")

    page.locator("[data-progress-bar]").wait_for(state="visible")
    # The bar moves and the latest preview shows while it paints (or the job already finished).
    wait_until(
        page,
        """() => {
            const root = document.querySelector('[data-stylization]');
            const bar = document.querySelector('[data-progress-bar]');
            const preview = document.querySelector('[data-result]');
            const painting = Number(bar.getAttribute('aria-valuenow')) > 0 && preview && preview.naturalWidth > 0;
            return painting || root.dataset.status === 'succeeded';
        }""",
        timeout=JOB_WAIT_MS,
    )
    page.screenshot(path=shots / "05-progress.png", full_page=True)
    wait_until(page, "document.querySelector('[data-stylization]').dataset.status === 'succeeded'", timeout=JOB_WAIT_MS)
    page.locator("[data-result]").wait_for(state="visible")
    wait_until(page, "document.querySelector('[data-result]').naturalWidth > 0")
    assert page.locator('[data-action="download"]').is_visible()
    assert not page.locator('[data-action="cancel"]').is_visible()
    page.screenshot(path=shots / "06-result.png", full_page=True)
    result_url = page.url

    page.get_by_role("link", name="Gallery", exact=True).click()
    card = page.locator("a.card", has_text="The Starry Night")
    card.wait_for()
    assert card.locator(".badge").inner_text() == "Succeeded"
    wait_until(page, "[...document.querySelectorAll('.card-image')].every((img) => img.naturalWidth > 0)")
    page.screenshot(path=shots / "07-gallery.png", full_page=True)

    page.get_by_role("link", name="Styles", exact=True).click()
    page.screenshot(path=shots / "08-styles.png", full_page=True)

    phone = browser.new_page(viewport={"width": 390, "height": 844}, storage_state=page.context.storage_state())
    phone.goto(result_url)
    phone.screenshot(path=shots / "09-result-phone.png", full_page=True)
    assert refused == []


def test_cancel_and_retry_from_the_result_page(browser, live_server, rq_worker, shots, empty_queue):
    user = make_user("degas", password="Ballet-Dancers-1874")
    stylization = services.stylization_create(
        owner=user, photo=make_photo(user), styles=[(make_style("Long Study"), 1.0)], params=LONG
    )
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(30_000)
    page.goto(live_server.url + "/accounts/login/?next=" + stylization.get_absolute_url())
    page.fill("#id_username", "degas")
    page.fill("#id_password", "Ballet-Dancers-1874")
    page.get_by_role("button", name="Log in").click()
    wait_until(page, "document.querySelector('[data-stylization]').dataset.status === 'running'")

    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url("**/results/*/")
    assert page.locator("[data-status-badge]").inner_text() == "Cancelled"
    assert page.get_by_text("Stylization cancelled.").is_visible()
    page.screenshot(path=shots / "10-cancelled.png", full_page=True)

    page.get_by_role("button", name="Retry").click()
    wait_until(page, "['queued', 'running'].includes(document.querySelector('[data-stylization]').dataset.status)")
    assert page.locator('[data-action="cancel"]').is_visible()
    assert not page.locator('[data-action="retry"]').is_visible()
    page.get_by_role("button", name="Cancel").click()  # leave the worker idle for the next test
    page.wait_for_url("**/results/*/")
