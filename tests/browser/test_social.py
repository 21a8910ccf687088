"""The social side in headless Chromium: the before/after slider and zoom, sharing a result
and opening the link signed out, the public gallery, revoking, the landing page's examples;
screenshots in artifacts/browser/."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from gallery import images as gallery_images
from gallery import services
from gallery.models import Style, Stylization
from stylizer.engine import StyleParams
from tests import images
from tests.browser.conftest import csp_violations, wait_until
from tests.gallery.factories import make_user, upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Water-Lilies-1899"
SIZE = (320, 240)


def _scene_jpeg() -> bytes:
    return gallery_images.jpeg(images.scene(SIZE), name="scene.jpg").read()


def _photo_and_painting(owner):
    data = _scene_jpeg()
    photo = services.photo_create(owner=owner, file=upload("Harbour at dawn.jpg", data))
    painting = gallery_images.jpeg(images.painting(images.PAINTINGS[0], (240, 190)), name="p.jpg").read()
    style = services.style_create(
        title="The Starry Night", artist="Vincent van Gogh", year="1889", file=upload("starry.jpg", painting)
    )
    return photo, style


def finished(owner) -> Stylization:
    """A succeeded stylization whose result looks like one (the scene, washed with the painting)."""
    photo, style = _photo_and_painting(owner)
    stylization = services.stylization_create(
        owner=owner, photo=photo, styles=[(style, 1.0)], params=StyleParams(size=SIZE[0], steps=3)
    )
    scene = images.scene(SIZE)
    result = Image.blend(scene, images.painting(images.PAINTINGS[0], SIZE), 0.55)
    stylization.result.save("result.png", gallery_images.png(result, name="result.png"), save=False)
    stylization.preview.save("preview.jpg", gallery_images.jpeg(result, name="preview.jpg"), save=False)
    stylization.status = Stylization.Status.SUCCEEDED
    stylization.step = stylization.total_steps = 3
    stylization.save()
    return stylization


def log_in(browser, live_server, username: str, next_url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}{reverse('login')}?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    return page


def test_before_after_slider_and_full_size_zoom(browser, live_server, shots):
    stylization = finished(make_user("cassatt", password=PASSWORD))
    page = log_in(browser, live_server, "cassatt", stylization.get_absolute_url())
    refused = csp_violations(page)
    page.reload()
    panel = page.locator("[data-before-after-panel]")
    panel.wait_for(state="visible")
    wait_until(page, "document.querySelector('[data-after]').naturalWidth > 0")
    wait_until(page, "document.querySelector('[data-before]').naturalWidth > 0")

    clip = "getComputedStyle(document.querySelector('[data-after]')).clipPath"
    assert page.evaluate(clip) == "inset(0px 0px 0px 50%)"
    page.locator("[data-split]").fill("20")
    assert page.evaluate(clip) == "inset(0px 0px 0px 20%)"
    # Dragging on the picture moves the split too: a press at three quarters of its width.
    box = page.locator("[data-before-after]").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)
    assert page.locator("[data-split]").input_value() == "75"
    page.screenshot(path=shots / "social-01-before-after.png", full_page=True)

    page.get_by_role("button", name="Full size").click()
    width = "document.querySelector('[data-before-after]').getBoundingClientRect().width"
    assert page.evaluate(width) == SIZE[0]  # one result pixel per CSS pixel
    page.screenshot(path=shots / "social-02-full-size.png", full_page=True)
    page.get_by_role("button", name="Fit to page").click()
    assert page.evaluate(width) > SIZE[0]

    with page.expect_download() as download:
        page.locator('[data-action="download"]').click()
    assert download.value.suggested_filename == "harbour-at-dawn--the-starry-night.png"
    assert refused == []


def test_share_open_signed_out_find_in_explore_and_revoke(browser, live_server, shots):
    stylization = finished(make_user("morisot", password=PASSWORD))
    page = log_in(browser, live_server, "morisot", stylization.get_absolute_url())
    refused = csp_violations(page)
    page.locator("[data-share-panel]").get_by_label("Show it in the public gallery").check()
    page.get_by_role("button", name="Make a share link").click()
    page.get_by_text("listed in the public gallery").wait_for()
    link = page.locator("[data-share-url]").input_value()
    assert link.startswith(f"{live_server.url}/s/")
    page.screenshot(path=shots / "social-03-shared.png", full_page=True)

    visitor = browser.new_page(viewport={"width": 1200, "height": 800})  # no session: signed out
    refused += csp_violations(visitor)
    visitor.goto(link)
    wait_until(visitor, "document.querySelector('[data-shared-image]').naturalWidth > 0")
    assert "The Starry Night" in visitor.locator("h1").inner_text()
    assert "Vincent van Gogh" in visitor.locator(".page-header").inner_text()
    image = visitor.locator('meta[property="og:image"]').get_attribute("content")
    assert image.startswith(live_server.url) and visitor.request.get(image).status == 200
    visitor.screenshot(path=shots / "social-04-share-page-signed-out.png", full_page=True)

    visitor.goto(live_server.url + reverse("gallery:explore"))
    card = visitor.locator("[data-explore-item]")
    assert card.count() == 1
    wait_until(visitor, "document.querySelector('[data-explore-item] img').naturalWidth > 0")
    visitor.screenshot(path=shots / "social-05-explore.png", full_page=True)

    page.get_by_role("button", name="Revoke the link").click()
    page.get_by_text("Link revoked").wait_for()
    assert visitor.goto(link).status == 404
    assert visitor.request.get(image).status == 404
    visitor.goto(live_server.url + reverse("gallery:explore"))
    assert visitor.locator("[data-explore-item]").count() == 0
    assert refused == []


def test_the_landing_page_shows_the_engines_examples_to_a_visitor(browser, live_server, shots):
    # The starter styles as the migration makes them (an earlier transactional test may have emptied the table).
    Style.objects.all().delete()
    for title in images.PAINTINGS:
        drawn = gallery_images.jpeg(images.painting(title, (256, 256)), name="p.jpg").read()
        services.style_create(title=title, artist="nstsite (procedural)", year="2026", file=upload("p.jpg", drawn))
    call_command("make_examples", "--size", "96", "--steps", "8", "--limit", "2", stdout=io.StringIO())
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    refused = csp_violations(page)
    page.goto(live_server.url + "/")
    pairs = page.locator("[data-example]")
    assert pairs.count() == 3  # the hero's and one card per style
    wait_until(page, "[...document.querySelectorAll('[data-example] img')].every((img) => img.naturalWidth > 0)")
    hero = pairs.first.locator("[data-split]")
    hero.fill("30")
    clip = "getComputedStyle(document.querySelector('[data-example] [data-after]')).clipPath"
    assert page.evaluate(clip) == "inset(0px 0px 0px 30%)"
    page.screenshot(path=shots / "social-06-landing.png", full_page=True)
    assert refused == []


def test_remix_a_result_as_a_style_and_a_shared_one(browser, live_server, shots, empty_queue):
    stylization = finished(make_user("kahlo", password=PASSWORD))
    page = log_in(browser, live_server, "kahlo", stylization.get_absolute_url())
    refused = csp_violations(page)
    page.locator('[data-action="remix"] summary').click()
    page.get_by_role("link", name="Use it as a style").click()
    page.wait_for_url("**/create/?remix=*")
    assert page.locator('[data-remix="style"]').is_visible()
    page.screenshot(path=shots / "social-07-remix-form.png", full_page=True)
    page.locator("label.pick", has_text="Harbour").locator("input").check()
    page.get_by_role("button", name="Paint it").click()
    page.wait_for_url("**/results/*/")
    origin = page.locator("[data-remix-origin]")
    assert "Remix of your result" in origin.inner_text() and "as a style" in origin.inner_text()
    page.screenshot(path=shots / "social-08-remix-result.png", full_page=True)

    # Someone else, holding the share link: "Use it as a style" from the shared page.
    share = services.share_create(stylization=stylization)
    other = log_in(browser, live_server, make_user("rivera", password=PASSWORD).username, share.get_absolute_url())
    refused += csp_violations(other)
    services.photo_create(owner=User.objects.get(username="rivera"), file=upload("Mural.jpg", _scene_jpeg()))
    other.reload()
    other.locator('[data-action="remix-shared"]').click()
    other.wait_for_url("**/create/?remix_share=*")
    other.locator("label.pick", has_text="Mural").locator("input").check()
    other.get_by_role("button", name="Paint it").click()
    other.wait_for_url("**/results/*/")
    assert "Remix of a shared result" in other.locator("[data-remix-origin]").inner_text()
    assert str(stylization.pk) not in other.content()
    assert refused == []


def test_one_photo_in_three_styles_makes_a_set_with_a_contact_sheet(browser, live_server, shots, empty_queue):
    Style.objects.all().delete()  # just the three styles below in the form (the migration made some)
    user = make_user("okeeffe", password=PASSWORD)
    photo, _ = _photo_and_painting(user)
    for title in images.PAINTINGS[1:]:
        drawn = gallery_images.jpeg(images.painting(title, (256, 256)), name="p.jpg").read()
        services.style_create(title=title, file=upload("p.jpg", drawn))
    page = log_in(browser, live_server, "okeeffe", f"{reverse('gallery:stylization_create')}?photo={photo.pk}")
    refused = csp_violations(page)
    for pick in page.locator("[data-style-pick]").all():
        pick.locator('input[type="checkbox"]').check()
    page.get_by_label("One picture per style").check()
    page.select_option("#id_size", "256")
    page.screenshot(path=shots / "social-09-batch-form.png", full_page=True)
    page.get_by_role("button", name="Paint it").click()
    page.wait_for_url("**/sets/*/")
    assert page.locator("h1").inner_text() == "One photo in 3 styles"
    assert page.locator("[data-batch-item]").count() == 3
    wait_until(page, "document.querySelector('[data-contact-sheet]').naturalWidth > 0")
    page.screenshot(path=shots / "social-10-batch.png", full_page=True)
    assert Stylization.objects.filter(owner=user, batch__isnull=False).count() == 3
    assert refused == []
