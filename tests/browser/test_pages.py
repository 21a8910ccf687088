"""Pages as a browser shows them: the admin's style and stylization pages, the result page of a
job that never ran, the status badges' contrast, and a locked-out user's password reset.
Screenshots land in artifacts/browser/."""

import re

import pytest
from django.core import mail
from django.test import Client

from gallery import errors
from gallery.models import Style, Stylization
from tests.gallery.factories import make_finished_stylization, make_style, make_stylization, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Status = Stylization.Status
DESKTOP = {"width": 1280, "height": 900}
WCAG_AA_TEXT = 4.5


def _page_as(browser, live_server, user, viewport=DESKTOP):
    """A browser page logged in as `user` (the session cookie of a test-client log-in)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=viewport)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def _images_loaded(page) -> list[str]:
    """The src of every image on the page that did not load (a broken thumbnail)."""
    page.wait_for_load_state("load")
    return page.evaluate("[...document.images].filter((img) => !img.naturalWidth).map((img) => img.src)")


def _overflow(page) -> int:
    """How many pixels of the page, or of an admin change list's table (which scrolls in its
    own box), lie beyond the right edge: what needs a horizontal scroll bar to be seen."""
    return page.evaluate(
        """Math.max(
            document.documentElement.scrollWidth - window.innerWidth,
            ...[...document.querySelectorAll('#changelist .results')].map((box) => box.scrollWidth - box.clientWidth),
        )"""
    )


_stylization = make_stylization


def test_the_admin_style_and_stylization_pages_show_pictures_and_fit_the_screen(
    browser, live_server, shots, idle_queue
):
    staff = make_user("curator", is_staff=True, is_superuser=True)
    style = make_style("Water Lilies", artist="Claude Monet", year="1906")
    owner = make_user("painter")
    finished = make_finished_stylization(owner)
    running = _stylization(owner)
    Stylization.objects.filter(pk=running.pk).update(status=Status.RUNNING, step=40, total_steps=200)
    page = _page_as(browser, live_server, staff)

    pages = {
        "styles": "/admin/gallery/style/",
        "style-add": "/admin/gallery/style/add/",
        "style-change": f"/admin/gallery/style/{style.pk}/change/",
        "stylizations": "/admin/gallery/stylization/",
        "stylization-change": f"/admin/gallery/stylization/{finished.pk}/change/",
    }
    for name, path in pages.items():
        page.goto(live_server.url + path)
        assert _images_loaded(page) == [], name
        page.screenshot(path=shots / f"admin-{name}.png", full_page=True)
        assert _overflow(page) <= 0, f"{name} is {_overflow(page)} px wider than the window"

    page.goto(live_server.url + pages["style-add"])
    assert page.locator("label", has_text=re.compile(r"^Image:$")).count() == 1
    page.goto(live_server.url + pages["stylizations"])
    assert page.locator(f'img[src="/results/{finished.pk}/preview"]').count() == 1
    assert finished.result.name not in page.content()

    # The change list's inline edit of the catalogue order saves (it was a 500).
    page.goto(live_server.url + pages["styles"])
    row = page.locator("tr", has_text="Water Lilies")
    row.locator('input[name$="-position"]').fill("2")
    page.locator('input[name="_save"]').click()
    page.get_by_text("was changed successfully").wait_for()
    assert Style.objects.get(pk=style.pk).position == 2


@pytest.mark.parametrize(
    ("status", "message", "chart"),
    [
        (Status.QUEUED, "", "The chart fills in as the steps run."),
        (Status.CANCELLED, "", "No steps ran, so there is no loss to show."),
        (Status.FAILED, errors.QUEUE_LOST, "No steps ran, so there is no loss to show."),
    ],
)
def test_the_loss_chart_promises_nothing_for_a_job_that_will_not_run(
    browser, live_server, idle_queue, status, message, chart
):
    owner = make_user()
    stylization = _stylization(owner)
    Stylization.objects.filter(pk=stylization.pk).update(status=status, error_message=message)
    page = _page_as(browser, live_server, owner)
    page.goto(live_server.url + stylization.get_absolute_url())
    text = page.locator("[data-loss-chart] text")
    text.wait_for()
    assert text.text_content() == chart


def _luminance(rgb: tuple[int, ...]) -> float:
    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in rgb[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _contrast(first: tuple[int, ...], second: tuple[int, ...]) -> float:
    """WCAG 2 contrast ratio of two opaque colours."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_every_status_badge_is_readable(browser, live_server, shots, idle_queue):
    owner = make_user()
    for status in Status.values:
        stylization = _stylization(owner)
        Stylization.objects.filter(pk=stylization.pk).update(status=status)
    page = _page_as(browser, live_server, owner)
    page.goto(live_server.url + "/results/")
    page.screenshot(path=shots / "badges.png", full_page=True)
    colours = page.evaluate(
        """[...document.querySelectorAll('.card .badge')].map((badge) => {
            const style = getComputedStyle(badge);
            return [badge.textContent.trim(), style.color, style.backgroundColor];
        })"""
    )
    assert sorted(label for label, _, _ in colours) == sorted(Status.labels)

    def rgb(css: str) -> tuple[int, ...]:
        values = tuple(int(float(part)) for part in re.findall(r"[\d.]+", css))
        assert len(values) == 3 or values[3] == 1, f"{css} is not opaque"
        return values[:3]

    ratios = {label: round(_contrast(rgb(color), rgb(background)), 2) for label, color, background in colours}
    assert all(ratio >= WCAG_AA_TEXT for ratio in ratios.values()), ratios


def test_a_locked_out_user_resets_the_password_by_mail_and_logs_in(browser, live_server, shots, settings):
    settings.AXES_FAILURE_LIMIT = 2
    make_user("ada", password="Old-Secret-123", email="ada@example.com")
    page = browser.new_page(viewport=DESKTOP)
    page.set_default_timeout(20_000)
    page.goto(live_server.url + "/accounts/login/")
    for _ in range(2):
        page.fill("#id_username", "ada")
        page.fill("#id_password", "not-it")
        page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Log-in locked").wait_for()
    page.screenshot(path=shots / "reset-1-locked.png", full_page=True)

    page.get_by_role("link", name="Reset your password").click()
    page.fill("#id_email", "ada@example.com")
    page.screenshot(path=shots / "reset-2-form.png", full_page=True)
    page.get_by_role("button", name="Send the link").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()
    page.screenshot(path=shots / "reset-3-sent.png", full_page=True)

    for _ in range(50):  # the mail goes out from a thread of its own
        if mail.outbox:
            break
        page.wait_for_timeout(100)
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    page.fill("#id_new_password1", "New-Secret-456")
    page.fill("#id_new_password2", "New-Secret-456")
    page.screenshot(path=shots / "reset-4-choose.png", full_page=True)
    page.get_by_role("button", name="Set the new password").click()
    page.get_by_role("heading", name="Password changed").wait_for()
    page.screenshot(path=shots / "reset-5-done.png", full_page=True)

    page.get_by_role("link", name="Log in").last.click()
    page.fill("#id_username", "ada")
    page.fill("#id_password", "New-Secret-456")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server.url + "/results/")
