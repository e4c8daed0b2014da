"""The embeddable widget in a real browser (Debian's Chromium through Playwright), on the
hostile test page `/widget-demo`: a strict Content-Security-Policy, styles that would break
a leaky widget, and every API call cross-origin (the page is opened on `localhost`, the
widget and the API are on `127.0.0.1`)."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from conftest import ApiClient
from kizuna.accounts.services import NewWorkspace, create_workspace
from kizuna.core.models import Workspace
from kizuna.feedback.models import Display, Response, Survey
from kizuna.feedback.services.links import link_url, public_link
from kizuna.feedback.tests.support import t
from kizuna.portal.tests.browser import BLOCKING, screenshot

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="the browser tests need Debian's Chromium at /usr/bin/chromium"
)
SURVEY = "widget-nps"
CUSTOMER = "HT-100001"
WAIT_MS = 10_000
# Collected in the page before any of its scripts run: CSP violations and the widget's
# `kizuna:result` events (whether a survey was shown).
PROBES = """
window.__csp = [];
window.__kz = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
window.addEventListener("kizuna:result", (e) => window.__kz.push(e.detail));
"""
# Waits run inside the page through the DevTools protocol (Playwright's wait_for_function
# evaluates its predicate with eval, which the page's policy refuses, as it should).
LOADED = """() => new Promise((resolve, reject) => {
  if (window.Kizuna && window.Kizuna.version) return resolve(true);
  window.addEventListener("kizuna:ready", () => resolve(true), { once: true });
  setTimeout(() => reject(new Error("the widget did not load")), %d);
})"""
FIRST_RESULT = """() => new Promise((resolve, reject) => {
  if (window.__kz.length) return resolve(window.__kz[0]);
  window.addEventListener("kizuna:result", (e) => resolve(e.detail), { once: true });
  setTimeout(() => reject(new Error("the widget decided nothing")), %d);
})"""
HOST_PROPERTIES = ("font-size", "color", "display", "font-family", "line-height", "margin-top")
STYLE_OF = """([selector, names]) => {
  const node = document.querySelector(selector);
  const style = getComputedStyle(node);
  return Object.fromEntries(names.map((name) => [name, style.getPropertyValue(name)]));
}"""
INSIDE_WIDGET = """([selector, names]) => {
  const node = document.querySelector("kizuna-widget").shadowRoot.querySelector(selector);
  const style = getComputedStyle(node);
  return Object.fromEntries(names.map((name) => [name, style.getPropertyValue(name)]));
}"""


def definition() -> dict[str, Any]:
    return {
        "pages": [
            {
                "id": "p1",
                "elements": [
                    {
                        "id": "nps",
                        "type": "nps",
                        "required": True,
                        "title": t(
                            "How likely are you to recommend us?", ja="友人に勧める可能性は？"
                        ),
                        "min_label": t("Not likely", ja="可能性は低い"),
                        "max_label": t("Very likely", ja="可能性は高い"),
                    },
                    {
                        "id": "why",
                        "type": "text",
                        "multiline": True,
                        "title": t("What is the main reason?", ja="その理由は？"),
                    },
                ],
            }
        ],
        "endings": [{"id": "thanks", "title": t("Thank you!", ja="ありがとうございました")}],
    }


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls of the tests
    # run between its calls, never inside it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield chromium
        chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def site(transactional_db: None, live_server: Any, settings: Any) -> dict[str, Any]:
    """A workspace with a customer and a published survey, and the live server's two
    origins: the page's (localhost) and Kizuna's (127.0.0.1)."""
    port = live_server.url.rsplit(":", 1)[1]
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
    settings.KIZUNA_PUBLIC_URL = f"http://127.0.0.1:{port}"
    workspace: NewWorkspace = create_workspace("widget-shop", "Widget shop")
    # A light brand colour: the widget writes near-black on it.
    Workspace.objects.filter(slug="widget-shop").update(brand_color="#F5C518")
    server = ApiClient(workspace.server_key)
    assert server.post("/customers", {"external_id": CUSTOMER}).status_code == 201
    body = {
        "id": SURVEY,
        "name": "Widget NPS",
        "languages": ["en", "ja"],
        "default_language": "en",
        "timezone": "Asia/Tokyo",
        "recontact": {"policy": "until_answered"},
        "definition": definition(),
    }
    created = server.post("/surveys", body)
    assert created.status_code == 201, created.data
    assert server.post(f"/surveys/{SURVEY}/publish").status_code == 200
    return {
        "page": f"http://localhost:{port}/widget-demo",
        "key": workspace.publishable_key,
        "server": server,
    }


def widget_violations(page: Any) -> list[dict[str, Any]]:
    """The serious and critical axe-core violations inside the widget (the test page itself
    is ugly on purpose: red on white)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context={"include": [[["kizuna-widget", ".kz"]]]})
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"]][:3]}
        for v in results.response.get("violations", [])
        if v.get("impact") in BLOCKING
    ]


class Visit:
    """One page of the test site in a browser context (its own localStorage)."""

    def __init__(self, context: Any, url: str) -> None:
        self.context = context
        self.page = context.new_page()
        self.console_errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        self.page.goto(url)
        assert self.page.evaluate(LOADED % WAIT_MS) is True

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def result(self) -> dict[str, Any]:
        """The first show attempt's outcome, once the widget has decided."""
        return dict(self.page.evaluate(FIRST_RESULT % WAIT_MS))

    def widget(self, selector: str) -> Any:
        return self.page.locator(f"kizuna-widget {selector}")

    def assert_clean(self) -> None:
        assert self.page.evaluate("window.__csp") == []
        assert self.console_errors == []


def first_checked(page: Any) -> str | None:
    return page.evaluate(
        "(() => { const c = document.querySelector('kizuna-widget').shadowRoot"
        ".querySelector('input:checked'); return c ? c.value : null; })()"
    )


def visit(browser: Any, site: dict[str, Any], **params: str) -> Visit:
    context = browser.new_context(locale="en-US")
    context.add_init_script(PROBES)
    query = {"key": site["key"], "survey": SURVEY} | params
    return Visit(context, f"{site['page']}?{urlencode(query)}")


def again(first: Visit, site: dict[str, Any], **params: str) -> Visit:
    """Another page in the same browser (same localStorage)."""
    query = {"key": site["key"], "survey": SURVEY} | params
    return Visit(first.context, f"{site['page']}?{urlencode(query)}")


def test_after_its_delay_the_widget_is_answered_and_the_response_stored(
    browser: Any, site: dict[str, Any], tmp_path: Path
) -> None:
    first = visit(browser, site, trigger="delay:1", lang="ja", customer=CUSTOMER)
    page = first.page
    host_before = {
        selector: page.evaluate(STYLE_OF, [selector, list(HOST_PROPERTIES)])
        for selector in ("#host-text", "#host-title", "#host-button", "#buy", "body")
    }
    assert first.result() == {"survey": SURVEY, "shown": True, "reason": None}
    # Shown after its delay, not before.
    assert page.evaluate("performance.now()") >= 1000
    title = first.widget("#kz-heading")
    assert title.inner_text() == "友人に勧める可能性は？"

    # The host's styles (`* {40px; red}`, `button {display: none}`) do not reach the widget.
    inside = page.evaluate(INSIDE_WIDGET, ["#kz-heading", ["font-size", "color", "font-family"]])
    assert inside["font-size"] == "16px"
    assert inside["color"] == "rgb(29, 35, 48)"
    assert "Comic Sans" not in inside["font-family"]
    next_button = page.evaluate(
        INSIDE_WIDGET, [".kz-next", ["display", "font-size", "background-color", "color"]]
    )
    assert next_button == {
        "display": "block",  # a flex item
        "font-size": "15px",
        "background-color": "rgb(245, 197, 24)",  # the workspace's brand colour
        "color": "rgb(17, 17, 17)",
    }
    # ...and the widget's styles do not reach the host's elements.
    host_after = {
        selector: page.evaluate(STYLE_OF, [selector, list(HOST_PROPERTIES)])
        for selector in host_before
    }
    assert host_after == host_before
    assert host_after["#host-text"]["font-size"] == "40px"
    assert host_after["#host-text"]["color"] == "rgb(255, 0, 0)"
    assert host_after["#host-button"]["display"] == "none"

    # Keyboard: the first input has the focus; Next without an answer says why.
    first.widget(".kz-next").click()
    assert first.widget(".kz-error").inner_text() == "この質問にお答えください。"
    assert widget_violations(page) == []
    screenshot(page, "widget-error-ja", tmp_path)
    first.widget("label:has(input[value='9'])").click()
    first.widget(".kz-next").click()
    first.widget("textarea").wait_for(timeout=WAIT_MS)
    # Saved as the visitor goes: the NPS is stored before the comment is written.
    partial = Response.objects.get(survey__key=SURVEY)
    assert (partial.status, partial.answers) == ("in_progress", {"nps": 9})
    assert partial.completed_at is None
    first.widget("textarea").fill("丁寧な対応")
    first.widget(".kz-next").click()
    first.widget(".kz-ending").wait_for(timeout=WAIT_MS)
    assert first.widget(".kz-ending").inner_text() == "ありがとうございました"
    assert widget_violations(page) == []
    first.assert_clean()

    response = Response.objects.select_related("customer", "display").get(survey__key=SURVEY)
    assert response.answers == {"nps": 9, "why": "丁寧な対応"}
    assert response.status == "completed"
    assert response.ending == "thanks"
    assert response.channel == "widget"
    assert response.language == "ja"
    assert response.customer is not None and response.customer.external_id == CUSTOMER
    assert response.display is not None and response.display.channel == "widget"
    assert set(response.time_ms) == {"nps", "why"}
    assert all(isinstance(ms, int) and ms >= 0 for ms in response.time_ms.values())
    assert response.browser_token
    assert Display.objects.filter(survey__key=SURVEY).count() == 1

    # Another page of the same site: answered already, not shown again, nothing recorded.
    second = again(first, site, trigger="load", lang="ja", customer=CUSTOMER)
    assert second.result() == {"survey": SURVEY, "shown": False, "reason": "answered"}
    assert second.page.locator("kizuna-widget").count() == 0
    # The browser forgets it answered (its token stays): the server remembers.
    second.page.evaluate(f"localStorage.removeItem('kizuna:done:{SURVEY}')")
    third = again(first, site, trigger="load", lang="ja")
    assert third.result() == {"survey": SURVEY, "shown": False, "reason": "answered"}
    # Another device of the same customer (nothing in its storage): the server remembers.
    other_device = visit(browser, site, trigger="load", customer=CUSTOMER)
    assert other_device.result() == {"survey": SURVEY, "shown": False, "reason": "answered"}
    assert other_device.page.locator("kizuna-widget").count() == 0
    for page_visit in (second, third, other_device):
        page_visit.assert_clean()
    assert Display.objects.filter(survey__key=SURVEY).count() == 1
    assert Response.objects.count() == 1
    first.context.close()
    other_device.context.close()


def test_the_targeting_condition_decides_who_is_shown_the_survey(
    browser: Any, site: dict[str, Any]
) -> None:
    server = site["server"]
    korean = {"field": "customer.locale", "op": "eq", "value": "ko"}
    assert server.patch(f"/surveys/{SURVEY}", {"targeting": korean}).status_code == 200
    assert server.post("/customers", {"external_id": "HT-KO", "locale": "ko"}).status_code == 201
    outsider = visit(browser, site, trigger="load", customer=CUSTOMER)
    assert outsider.result() == {"survey": SURVEY, "shown": False, "reason": "not_targeted"}
    assert outsider.page.locator("kizuna-widget").count() == 0
    assert outsider.page.evaluate("Kizuna.show()") is False
    outsider.assert_clean()
    assert Display.objects.count() == 0
    outsider.context.close()

    # Identified later (Kizuna.identify), a targeted customer is shown it.
    insider = visit(browser, site, trigger="manual")
    insider.page.evaluate("Kizuna.identify('HT-KO')")
    assert insider.page.evaluate("Kizuna.show()") is True
    assert insider.widget("#kz-heading").inner_text() == "How likely are you to recommend us?"
    insider.assert_clean()
    display = Display.objects.select_related("customer").get()
    assert display.customer is not None and display.customer.external_id == "HT-KO"
    insider.context.close()


def test_an_event_trigger_shows_the_widget_on_that_event_only(
    browser: Any, site: dict[str, Any], tmp_path: Path
) -> None:
    shopper = visit(browser, site, trigger="event:purchase")
    page = shopper.page
    assert page.evaluate("Kizuna.track('newsletter')") is False
    assert page.evaluate("window.__kz") == []
    assert page.locator("kizuna-widget").count() == 0
    assert Display.objects.count() == 0

    # The host may set the widget's colours from outside (a custom property inherits).
    page.evaluate(
        "document.documentElement.style.setProperty('--kizuna-primary', 'rgb(10, 125, 50)')"
    )
    page.locator("#buy").click()  # the page's own script calls Kizuna.track('purchase')
    assert shopper.result() == {"survey": SURVEY, "shown": True, "reason": None}
    primary = page.evaluate(INSIDE_WIDGET, [".kz-next", ["background-color"]])
    assert primary == {"background-color": "rgb(10, 125, 50)"}
    assert shopper.widget("#kz-heading").inner_text() == "How likely are you to recommend us?"
    # Focus is inside the widget and stays there (Tab and Shift+Tab wrap); Escape closes it
    # and gives the focus back to the page.
    assert page.evaluate("document.activeElement.tagName") == "KIZUNA-WIDGET"
    screenshot(page, "widget-nps-en", tmp_path)
    focused = set()
    for key in ["Tab"] * 4 + ["Shift+Tab"] * 4:
        page.keyboard.press(key)
        assert page.evaluate("document.activeElement.tagName") == "KIZUNA-WIDGET"
        focused.add(page.evaluate("document.activeElement.shadowRoot.activeElement.className"))
    assert focused == {"kz-close", "kz-btn kz-next", ""}  # the close button, Next, a radio
    page.keyboard.press("ArrowRight")  # moves along the scale: 0 -> 1
    assert first_checked(page) == "1"
    page.keyboard.press("Escape")
    page.locator("kizuna-widget").wait_for(state="detached", timeout=WAIT_MS)
    shopper.assert_clean()
    assert Display.objects.get().channel == "widget"
    shopper.context.close()


def every_type() -> dict[str, Any]:
    return {
        "pages": [
            {
                "id": "p1",
                "elements": [
                    {"id": "csat", "type": "csat", "title": t("Satisfied?"), "required": True},
                    {"id": "ces", "type": "ces", "title": t("Easy?")},
                    {
                        "id": "stars",
                        "type": "rating",
                        "title": t("Stars"),
                        "points": 5,
                        "display": "stars",
                    },
                    {
                        "id": "channel",
                        "type": "single_choice",
                        "title": t("Where?"),
                        "choices": [
                            {"id": "web", "text": t("Web")},
                            {"id": "shop", "text": t("Shop")},
                        ],
                        "other": True,
                        "other_text": t("Elsewhere"),
                    },
                    {
                        "id": "likes",
                        "type": "multiple_choice",
                        "title": t("What do you like?"),
                        "choices": [
                            {"id": "tea", "text": t("Tea")},
                            {"id": "cups", "text": t("Cups")},
                        ],
                    },
                    {
                        "id": "city",
                        "type": "dropdown",
                        "title": t("City"),
                        "choices": [
                            {"id": "osaka", "text": t("Osaka")},
                            {"id": "seoul", "text": t("Seoul")},
                        ],
                    },
                    {"id": "member", "type": "boolean", "title": t("A member?")},
                    {"id": "visited", "type": "date", "title": t("When?")},
                    {
                        "id": "ok",
                        "type": "consent",
                        "title": t("Consent"),
                        "label": t("You may contact me"),
                        "required": True,
                    },
                    {
                        "id": "order",
                        "type": "ranking",
                        "title": t("Rank"),
                        "choices": [
                            {"id": "price", "text": t("Price")},
                            {"id": "speed", "text": t("Speed")},
                        ],
                    },
                    {"id": "note", "type": "statement", "title": t("Almost done")},
                ],
            }
        ],
    }


def test_every_type_the_widget_draws_is_answered_and_stored(
    browser: Any, site: dict[str, Any]
) -> None:
    server = site["server"]
    body: dict[str, Any] = {"id": "every-type", "name": "Every type", "languages": ["en"]}
    body |= {"default_language": "en", "timezone": "UTC", "definition": every_type()}
    created = server.post("/surveys", body)
    assert created.status_code == 201, created.data
    assert server.post("/surveys/every-type/publish").status_code == 200
    hosted = link_url(public_link(Survey.objects.get(key="every-type")))
    shopper = visit(browser, site, survey="every-type", trigger="load")
    assert shopper.result() == {"survey": "every-type", "shown": True, "reason": None}

    def pick(name: str, value: str) -> None:
        shopper.widget(f"label:has(input[name='kz-{name}'][value='{value}'])").click()

    def next_step() -> None:
        shopper.widget(".kz-next").click()

    pick("csat", "4")
    next_step()
    pick("ces", "6")
    next_step()
    pick("stars", "5")
    next_step()
    pick("channel", "other")
    shopper.widget("input.kz-other").fill("Friend")
    next_step()
    pick("likes", "tea")
    next_step()
    shopper.widget("select").select_option("seoul")
    next_step()
    pick("member", "true")
    next_step()
    shopper.widget("input[type='date']").fill("2026-05-01")
    next_step()
    shopper.widget(".kz-check input").check()
    next_step()
    # A ranking is not drawn by the widget: a link to the hosted page instead.
    assert shopper.widget("a.kz-link").get_attribute("href") == hosted
    next_step()
    shopper.widget("#kz-heading:text('Almost done')").wait_for(timeout=WAIT_MS)
    assert shopper.widget(".kz-next").inner_text() == "Submit"
    next_step()
    shopper.widget(".kz-ending").wait_for(timeout=WAIT_MS)
    assert shopper.widget(".kz-ending").inner_text() == "Thank you for your answers!"
    shopper.assert_clean()

    response = Response.objects.get(survey__key="every-type")
    assert response.answers == {
        "csat": 4,
        "ces": 6,
        "stars": 5,
        "channel": "other",
        "channel#other": "Friend",
        "likes": ["tea"],
        "city": "seoul",
        "member": True,
        "visited": "2026-05-01",
        "ok": True,
    }
    assert (response.status, response.channel, response.language) == ("completed", "widget", "en")
    assert set(response.time_ms) == {*response.answers} - {"channel#other"} | {"order", "note"}
    shopper.context.close()
