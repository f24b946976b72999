"""The menu is shown once (issue 18, polish): the check-out, disposal, freeze and correction pages
repeated the main menu's 调用 / 处置 / 冻结 / 更正 as a row of buttons under it."""

from __future__ import annotations

import re

import pytest

from .ui import client_for

MENU = ("/checkouts", "/dispositions", "/freezes", "/corrections")


@pytest.mark.parametrize("path", [*MENU, "/checkouts/new", "/dispositions/new", "/"])
def test_each_menu_entry_is_on_the_page_once(app, path):
    html = client_for(app, "police_officer").get(path).get_data(as_text=True)
    assert html.count("<nav") == html.count('<nav class="pager"') + 1, path  # the main menu only
    for href in MENU:
        assert len(re.findall(rf'href="{href}"', html)) == 1, (path, href)
