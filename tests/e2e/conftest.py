"""Browser tests: the real app on a live local server, driven by Debian's Chromium via Playwright.

Fixtures (all opt-in; a test that asks for none of them runs like any other test):

- ``live_server`` (session): base URL of the app on ``127.0.0.1:<free port>``, serving a migrated,
  demo-seeded SQLite database of its own. **Shared by every browser test of the session** (one
  per xdist worker): a test that changes data should create its own, or put things back.
- ``browser`` (session): headless ``/usr/bin/chromium`` (Playwright's own browser download does not
  work offline). Missing Chromium fails the tests with the fix; ``CUSTODY_SKIP_BROWSER=1`` skips.
- ``page``: a fresh browser context per test (1366×768, zh-CN, Asia/Shanghai) whose relative URLs
  resolve against the live server (``page.goto("/")``). The test fails if the page requests
  anything outside the live server, throws an uncaught JavaScript error, has anything blocked by
  the Content-Security-Policy (an inline script, style or handler) or gets a 5xx answer;
  a failing test leaves a screenshot ``FAILED-<test>.png``.

Helpers to import (``from .conftest import login, screenshot``): ``login(page, username)``,
``logout(page)``, ``screenshot(page, name)``, ``focus_ring(page)``, ``contrast_failures(page)``.
Screenshots go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from custody.extensions import db

from ..conftest import TEST_PASSWORD, build_app, migrate_and_seed, next_totp

if TYPE_CHECKING:  # Playwright is imported lazily: the non-browser tests here must not need it
    from playwright.sync_api import Browser, Page, Route

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 768}
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
_CALL_FAILED = pytest.StashKey[bool]()
_LIVE_DATABASE: dict[str, Path] = {}  # the live server's SQLite file, for second-factor codes


# -- the live server -------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request (errors are still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("live-server")
    url = f"sqlite:///{folder / 'live.db'}"
    _LIVE_DATABASE["path"] = folder / "live.db"
    migrate_and_seed(url, folder)
    app = build_app(url, folder / "instance")
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="custody-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


# -- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if os.environ.get("CUSTODY_SKIP_BROWSER") == "1":
        pytest.skip("browser tests skipped: CUSTODY_SKIP_BROWSER=1")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests drive Debian's Chromium. Install it with "
            "`make browser` (apt-get install chromium fonts-wqy-microhei), or set CUSTODY_SKIP_BROWSER=1 "
            "to skip these tests.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    # Remember whether the test body failed, so the page fixture can keep a screenshot of it.
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


@pytest.fixture
def page(browser: Browser, live_server: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_server, viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(10_000)
    problems: list[str] = []

    def only_the_live_server(route: Route) -> None:
        # The intranet has no internet: any other request is a bug, and must not leave this machine.
        url = route.request.url
        if url == live_server or url.startswith(live_server + "/"):
            route.continue_()
        else:
            problems.append(f"request outside the app: {route.request.resource_type} {url}")
            route.abort()

    context.route("**/*", only_the_live_server)
    tab = context.new_page()
    tab.on("pageerror", lambda error: problems.append(f"uncaught JavaScript error: {error}"))
    # Chromium reports what the Content-Security-Policy blocked (an inline script or style, a
    # handler attribute, a foreign source) as a console error: every such refusal fails the test.
    tab.on(
        "console",
        lambda message: (
            problems.append(f"blocked by the Content-Security-Policy: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    tab.on(
        "response",
        lambda response: (
            problems.append(f"HTTP {response.status} for {response.url}") if response.status >= 500 else None
        ),
    )
    try:
        yield tab
        if request.node.stash.get(_CALL_FAILED, False):
            with contextlib.suppress(Exception):  # a crashed page must not hide the real failure
                screenshot(tab, "FAILED-" + re.sub(r"[^\w.-]+", "_", request.node.name))
    finally:
        context.close()
    if problems:
        pytest.fail("the page misbehaved:\n" + "\n".join(problems), pytrace=False)


# -- helpers ---------------------------------------------------------------------------------


def live_otp(username: str) -> str:
    """The current second-factor code of a user of the live server (its authenticator app)."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(_LIVE_DATABASE["path"])) as conn:
        secret, last_step = conn.execute(
            "SELECT totp_secret, totp_last_step FROM user_account WHERE username = ?", (username,)
        ).fetchone()
    return next_totp(secret, last_step)


def login(page: Page, username: str, password: str = TEST_PASSWORD) -> Page:
    """Log in through the real form — with the authenticator code when the account has a second
    factor — and wait for the logged-in page (the user's home)."""
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("main form [type=submit]").click()
    if page.url.endswith("/login/mfa"):
        page.fill("#code", live_otp(username))
        with page.expect_navigation():
            page.locator("main form [type=submit]").click()
    if page.locator(".who").count() == 0:
        flash = page.locator(".flash").all_inner_texts()
        raise AssertionError(f"login as {username} failed at {page.url}: {flash}")
    return page


def logout(page: Page) -> Page:
    with page.expect_navigation():
        page.locator(".who form [type=submit]").click()
    return page


def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG at ``test-artifacts/screenshots/<name>.png`` for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def focus_ring(page: Page) -> dict[str, Any]:
    """What has the keyboard focus, and how its focus indicator is drawn."""
    return page.evaluate("""() => {
      const el = document.activeElement;
      const style = getComputedStyle(el);
      const box = el.getBoundingClientRect();
      return {tag: el.tagName.toLowerCase(), id: el.id, text: (el.textContent || el.value || "").trim().slice(0, 40),
              outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth) || 0,
              boxShadow: style.boxShadow,
              inViewport: box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0
                          && box.left < innerWidth && box.top < innerHeight};
    }""")


_CONTRAST_JS = """(minimum) => {
  const parse = (value) => {
    const m = value.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const over = (top, bottom) => ({r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
                                  b: top.b * top.a + bottom.b * (1 - top.a), a: 1});
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const background = (el) => {
    const chain = [];
    for (let e = el; e; e = e.parentElement) chain.unshift(e);
    let bg = {r: 255, g: 255, b: 255, a: 1};
    for (const e of chain) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) bg = over(c, bg);
    }
    return bg;
  };
  const failures = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    const el = walker.currentNode.parentElement;
    if (!text || !el || el.closest("script, style, noscript, option, :disabled")) continue;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.visibility !== "visible" || box.width < 2 || box.height < 2 || box.right <= 0 || box.bottom <= 0) continue;
    const bg = background(el);
    const fg = over(parse(style.color), bg);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (parseInt(style.fontWeight, 10) >= 700 && size >= 18.66);
    const need = large ? Math.min(3, minimum) : minimum;
    if (ratio < need) failures.push(`${ratio.toFixed(2)} < ${need}: "${text.slice(0, 30)}" (${style.color} on rgb(${Math.round(bg.r)}, ${Math.round(bg.g)}, ${Math.round(bg.b)}))`);
  }
  return failures;
}"""


def contrast_failures(page: Page, minimum: float = 4.5) -> list[str]:
    """Visible text whose colour contrast with its (composited) background is below WCAG AA.

    Background images and gradients are not considered; large text needs 3:1.
    """
    return page.evaluate(_CONTRAST_JS, minimum)
