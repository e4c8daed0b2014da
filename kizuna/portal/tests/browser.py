"""Playwright for Python driving Debian's Chromium (/usr/bin/chromium; never `playwright
install`), and axe-core (bundled by the axe-playwright-python package) for the
accessibility checks. Tests that need the browser skip, saying why, only when Chromium is
missing; CI installs it (.ci/run)."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Mobile Safari/537.36"
)
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
BLOCKING = ("serious", "critical")

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium"
)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One browser for a module's tests; Playwright's event loop ends with the module, so
    the tests after it run without it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def sync_database_calls() -> Iterator[None]:
    """Playwright's sync API keeps an event loop in this thread, so Django takes the test's
    own queries (its fixtures, the stored response it checks) for calls from async code.
    They are synchronous and safe: allowed for the test only (the variable must not leak
    into a later module: `check --deploy` refuses it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


def phone(chromium: Any, *, locale: str, javascript: bool = True) -> Any:
    """A new browser context the size of a phone (390x844, touch), in a locale."""
    context = chromium.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale=locale,
        java_script_enabled=javascript,
        user_agent=PHONE_AGENT,
    )
    context.set_default_timeout(10_000)
    return context


def violations(page: Any) -> list[dict[str, Any]]:
    """The serious and critical axe-core violations of the page as it is shown."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = results.response.get("violations", [])
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"]][:3]}
        for v in found
        if v.get("impact") in BLOCKING
    ]


def screenshot(page: Any, name: str, tmp_path: Path) -> None:
    """Kept under docs/screenshots/ when KIZUNA_SCREENSHOTS is set (to refresh the README's
    pictures), else in the test's temporary folder."""
    folder = SCREENSHOTS if os.environ.get("KIZUNA_SCREENSHOTS") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
