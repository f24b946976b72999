"""Smoke test of the real UI in Chromium: log in through the form, switch language, use the
keyboard only, see the focus, scan a label code. Screenshots: test-artifacts/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.support import Translations
from playwright.sync_api import Page, expect

from ..conftest import TEST_PASSWORD
from .conftest import contrast_failures, focus_ring, login, logout, screenshot

pytestmark = pytest.mark.browser
CATALOG = Path(__file__).resolve().parents[2] / "custody" / "translations"


def zh(msgid: str) -> str:
    """The Chinese the app shows for ``msgid`` (from the same compiled catalog the app uses)."""
    return Translations.load(str(CATALOG), ["zh_Hans_CN"]).gettext(msgid)


def assert_readable(page: Page) -> None:
    failures = contrast_failures(page)
    assert not failures, "text below 4.5:1 contrast:\n" + "\n".join(failures)


def test_police_officer_logs_in_and_lands_on_home_in_chinese(page: Page):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)$"))  # not logged in: sent to log in first
    screenshot(page, "login-zh")
    assert_readable(page)

    login(page, "police_officer")
    expect(page.locator("h1")).to_have_text("欢迎，王建国")
    expect(page.locator(".who")).to_contain_text("王建国 · 浦东公安分局")
    expect(page.locator("main")).to_contain_text("办案人员")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    scan_label = zh("Scan or type a label code")  # 扫码/输入标签号 once the catalog has it
    expect(page.get_by_label(scan_label)).to_be_visible()  # the scan box, on every logged-in page
    expect(page.locator(".mainnav a[aria-current=page]")).to_have_text("首页")
    assert_readable(page)
    screenshot(page, "home-police_officer-zh")

    logout(page)
    expect(page.locator(".flash")).to_contain_text("已退出登录")
    expect(page.get_by_label(scan_label)).to_have_count(0)


def test_admin_switches_to_english_and_back(page: Page):
    login(page, "admin")
    expect(page.locator("h1")).to_have_text("欢迎，系统管理员")
    page.locator(".mainnav").get_by_role("link", name="用户").click()
    expect(page.locator(".mainnav a[aria-current=page]")).to_have_text("用户")
    screenshot(page, "admin-users-zh")
    try:
        page.select_option("#lang-select", "en")
        with page.expect_navigation():
            page.locator(".lang button").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page).to_have_url("/admin/users")  # the switch returns to the same page
        expect(page.locator(".mainnav")).to_contain_text("Storage locations")
        expect(page.get_by_label("Scan or type a label code")).to_be_visible()
        assert_readable(page)
        screenshot(page, "admin-users-en")
        page.locator(".mainnav").get_by_role("link", name="Home").click()
        expect(page.locator("h1")).to_have_text("Welcome, 系统管理员")
    finally:  # the locale is saved on the (shared) user account: always put Chinese back
        page.select_option("#lang-select", "zh_CN")
        with page.expect_navigation():
            page.locator(".lang button").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("欢迎，系统管理员")


def test_keyboard_only_login_with_visible_focus(page: Page):
    page.goto("/login")
    # The username field has the focus on arrival; a keyboard user types, tabs and presses Enter.
    ring = focus_ring(page)
    assert ring["id"] == "username", ring
    assert ring["outlineStyle"] != "none", ring
    assert ring["outlineWidth"] >= 2, ring
    page.keyboard.type("police_keeper")
    page.keyboard.press("Tab")
    assert focus_ring(page)["id"] == "password"
    page.keyboard.type(TEST_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("欢迎，张丽")

    # From the top of the page: the skip link comes first and shows itself, then every control
    # the Tab key reaches has a visible focus indicator inside the window.
    page.locator("body").focus()
    page.keyboard.press("Tab")
    ring = focus_ring(page)
    assert ring["text"] == "跳到正文", ring
    assert ring["inViewport"], ring
    assert ring["outlineWidth"] >= 2, ring
    screenshot(page, "focus-skip-link")
    seen = []
    for _ in range(40):  # until the focus leaves the page after its last control
        page.keyboard.press("Tab")
        ring = focus_ring(page)
        if ring["tag"] == "body":
            break
        seen.append(ring["id"] or ring["text"])
        assert ring["outlineStyle"] != "none", ring
        assert ring["outlineWidth"] >= 2, ring
        assert ring["inViewport"], ring
    assert "scan-code" in seen, seen
    assert "lang-select" in seen, seen
    assert "首页" in seen, seen

    page.locator("body").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # follow the skip link: focus moves to the main content
    assert page.evaluate("document.activeElement.id") == "main"


def test_scan_box_opens_the_scanned_label_or_feeds_the_current_batch(page: Page):
    login(page, "police_keeper")
    box = page.locator("#scan-code")

    # F2 from anywhere, "/" outside text fields: the cursor jumps to the scan box.
    page.locator("h1").click()
    page.keyboard.press("F2")
    expect(box).to_be_focused()
    page.locator(".mainnav a").first.focus()
    page.keyboard.press("/")
    expect(box).to_be_focused()
    expect(page).to_have_url("/")  # the key did nothing else

    # An empty scan does nothing.
    page.keyboard.press("Enter")
    expect(page).to_have_url("/")

    # A page building a batch gets the code as an event and stays put; the box is ready again.
    page.evaluate("""() => {
      const batch = document.createElement("ul");
      batch.setAttribute("data-scan-target", "");
      window.scanned = [];
      batch.addEventListener("custody:scan", (event) => window.scanned.push(event.detail.code));
      document.querySelector("main").append(batch);
    }""")
    for code in ("PDGA-2026-000001", "  PDGA-2026-000002\t"):  # scanners may add white space
        box.focus()
        page.keyboard.type(code)
        page.keyboard.press("Enter")
        expect(box).to_have_value("")
        expect(box).to_be_focused()
    assert page.evaluate("window.scanned") == ["PDGA-2026-000001", "PDGA-2026-000002"]
    expect(page).to_have_url("/")

    # A code the page refuses (event.preventDefault()) stays in the box, selected for the next scan.
    page.evaluate("""() => document.querySelector("[data-scan-target]")
      .addEventListener("custody:scan", (event) => { if (event.detail.code === "BAD") event.preventDefault(); })""")
    page.keyboard.type("BAD")
    page.keyboard.press("Enter")
    expect(box).to_have_value("BAD")
    assert page.evaluate("[document.activeElement.selectionStart, document.activeElement.selectionEnd]") == [
        0,
        3,
    ]

    # Elsewhere Enter opens /scan?code=… (the server side finds the item).
    page.evaluate("document.querySelector('[data-scan-target]').remove()")
    page.keyboard.press("F2")
    page.keyboard.type("PDGA-2026-000003")
    with page.expect_request(lambda request: "/scan?" in request.url) as scan:
        page.keyboard.press("Enter")
    assert scan.value.url.endswith("/scan?code=PDGA-2026-000003")
    assert scan.value.is_navigation_request()


@pytest.mark.parametrize(
    ("name", "width", "height"), [("desktop", 1366, 768), ("tablet", 820, 1180), ("phone", 390, 844)]
)
def test_layout_fits_the_screen_without_sideways_scrolling(page: Page, name: str, width: int, height: int):
    page.set_viewport_size({"width": width, "height": height})
    login(page, "admin")
    for path in ("/", "/admin/users"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than a {width}px screen"
        expect(page.locator("#scan-code")).to_be_visible()
    screenshot(page, f"admin-users-{name}")


def test_print_shows_the_content_without_the_chrome(page: Page):
    login(page, "admin")
    page.goto("/admin/users")
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator(".footer")).to_be_hidden()
    expect(page.locator("main h1")).to_be_visible()
    screenshot(page, "admin-users-print")


def test_api_docs_render_from_local_assets(page: Page):
    # Swagger UI is a JavaScript app: only a real browser shows whether it fetches anything
    # from outside (the page fixture fails the test if it does).
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("涉案财物三方共管 API")
    screenshot(page, "api-docs")
