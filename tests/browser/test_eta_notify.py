"""The result page in Chromium while a job runs: the wait in words, and the browser
notification the user asked for by a click (never before), shown when the job ends."""

import pytest

from gallery import services
from stylizer.engine import StyleParams
from tests.browser.conftest import csp_violations, wait_until
from tests.gallery.factories import make_photo, make_style, make_user

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TWO_STAGES = StyleParams(size=256, steps=30)

# Records what the page does with the Notification API (an init script: not under the page's CSP).
SPY = """
(() => {
  const Real = window.Notification;
  if (!Real) return;
  window.__asked = 0;
  window.__shown = [];
  class Spy extends Real {
    constructor(title, options) {
      window.__shown.push({ title, body: (options && options.body) || "" });
      super(title, options);
    }
  }
  Object.defineProperty(Spy, "permission", { get: () => Real.permission });
  Spy.requestPermission = (...args) => { window.__asked += 1; return Real.requestPermission(...args); };
  window.Notification = Spy;
})();
"""


def test_the_result_page_shows_the_wait_and_notifies_when_done(browser, live_server, rq_worker, shots, empty_queue):
    user = make_user("morisot", password="The-Cradle-1872")
    stylization = services.stylization_create(
        owner=user, photo=make_photo(user, size=(96, 64)), styles=[(make_style("Cradle"), 1.0)], params=TWO_STAGES
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["notifications"], origin=live_server.url)
    context.add_init_script(SPY)
    page = context.new_page()
    refused = csp_violations(page)
    page.set_default_timeout(30_000)
    page.goto(live_server.url + "/accounts/login/?next=" + stylization.get_absolute_url())
    page.fill("#id_username", "morisot")
    page.fill("#id_password", "The-Cradle-1872")
    page.get_by_role("button", name="Log in").click()

    wait_until(page, "/left$/.test(document.querySelector('[data-eta]').textContent.trim())", timeout=120_000)
    assert page.evaluate("window.__asked") == 0, "no permission prompt before the user asks"
    page.screenshot(path=shots / "eta-01-running.png", full_page=True)
    page.get_by_role("button", name="Notify me in this browser when it is done").click()
    wait_until(page, "window.__asked === 1")
    # The answer to the prompt comes back asynchronously; the page then says what it will do.
    wait_until(page, "document.querySelector('[data-notify-state]').textContent.includes('will tell you')")

    wait_until(page, "document.querySelector('[data-stylization]').dataset.status === 'succeeded'", timeout=180_000)
    wait_until(page, "window.__shown.length === 1")
    assert page.evaluate("window.__shown[0].title") == "Your stylization is ready"
    assert not page.locator("[data-eta]").is_visible(), "no wait once it is done"
    assert not page.locator("[data-notify]").is_visible()
    page.screenshot(path=shots / "eta-02-done.png", full_page=True)
    assert refused == []
    context.close()
