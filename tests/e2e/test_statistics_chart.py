"""The statistics charts in a real browser (issue 18, polish): no label is clipped or runs into its
bar, and no value runs off the chart (Chromium measures the drawn text)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from .conftest import login, screenshot
from .journeys import Api

pytestmark = pytest.mark.browser

_MEASURE = """() => [...document.querySelectorAll("svg.bars")].flatMap((svg) => {
  const width = svg.viewBox.baseVal.width, height = svg.viewBox.baseVal.height;
  const barX = Math.min(...[...svg.querySelectorAll("rect")].map((r) => r.x.baseVal.value));
  const chart = svg.closest("figure").id;
  const problems = [];
  for (const text of svg.querySelectorAll("text")) {
    const box = text.getBBox();
    const what = `${chart}: "${text.textContent}" [${box.x.toFixed(0)}, ${(box.x + box.width).toFixed(0)}]`;
    if (box.x < 0 || box.x + box.width > width || box.y < 0 || box.y + box.height > height)
      problems.push(`${what} outside 0..${width} × 0..${height}`);
    if (text.classList.contains("bar-label") && box.x + box.width > barX)
      problems.push(`${what} runs into the bars at ${barX}`);
  }
  return problems;
})"""


def test_chart_labels_and_values_fit_their_chart_in_both_languages(page: Page):
    # A valuable item in the keeper's custody: the value chart's longest bar ends in "¥98,765,432.10".
    officer, keeper = Api(page.request, "police_officer"), Api(page.request, "police_keeper")
    case = officer(
        "POST",
        "/api/v1/cases",
        data={"police_case_no": "沪公(浦)立字[2026]7401号", "title": "周某某集资诈骗案"},
    )
    jewel = {
        "name": "翡翠手镯",
        "category": "goods",
        "quantity": 1,
        "unit": "只",
        "estimated_value_fen": 9_876_543_210,
    }
    item = officer("POST", f"/api/v1/cases/{case['id']}/items", data=jewel)
    shelf = next(loc["id"] for loc in keeper("GET", "/api/v1/locations") if loc["code"] == "R1-B-02")
    keeper("POST", f"/api/v1/items/{item['id']}/check-in", data={"location_id": shelf, "condition": "完好"})

    login(page, "police_keeper")
    for locale in ("zh_CN", "en"):
        page.select_option("#lang-select", locale)
        with page.expect_navigation():
            page.locator("form.lang [type=submit]").click()
        page.goto("/oversight/statistics")
        assert page.locator("svg.bars").count() >= 5
        assert page.evaluate(_MEASURE) == [], locale
        screenshot(page, f"statistics-charts-{locale}")
    page.select_option("#lang-select", "zh_CN")  # the live server's users are shared: put it back
    with page.expect_navigation():
        page.locator("form.lang [type=submit]").click()
