"""Builders and helpers shared by several test modules."""

from __future__ import annotations

import io
import itertools
from typing import Any

from playwright.sync_api import APIRequestContext, Page

from ..conftest import TEST_PASSWORD

_numbers = itertools.count(1)


class Api:
    """The JSON API as one demo user (a bearer token; no cookies involved)."""

    def __init__(self, request: APIRequestContext, username: str) -> None:
        self.request = request
        answer = request.post("/api/v1/tokens", data={"username": username, "password": TEST_PASSWORD})
        assert answer.ok, answer.text()
        self.headers = {"Authorization": f"Bearer {answer.json()['token']}"}

    def __call__(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.request.fetch(path, method=method, headers=self.headers, **kwargs)
        assert answer.ok, f"{method} {path}: {answer.status} {answer.text()[:500]}"
        return answer.json()


def a_case_with_stored_items(page: Page, count: int = 2) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    officer, keeper = Api(page.request, "police_officer"), Api(page.request, "police_keeper")
    case = officer(
        "POST",
        "/api/v1/cases",
        data={"police_case_no": f"沪公(浦)立字[2026]8{next(_numbers):03d}号", "title": "王某某盗窃案"},
    )
    bin_id = next(loc["id"] for loc in keeper("GET", "/api/v1/locations") if loc["code"] == "R1-B-02")
    items = []
    for n in range(count):
        item = officer(
            "POST",
            f"/api/v1/cases/{case['id']}/items",
            data={
                "name": f"被盗电动自行车电池{n + 1}",
                "category": "goods",
                "quantity": 1,
                "unit": "块",
                "features": "48V，外壳有划痕",
                "holder_name": "王某某",
            },
        )
        keeper(
            "POST", f"/api/v1/items/{item['id']}/check-in", data={"location_id": bin_id, "condition": "完好"}
        )
        items.append(item)
    officer(
        "POST",
        f"/api/v1/items/{items[0]['id']}/attachments",
        multipart={
            "file": {"name": "battery.png", "mimeType": "image/png", "buffer": photo_png()},
            "kind": "photo",
        },
    )
    return case, items


def photo_png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 360), (236, 239, 243))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((170, 40, 310, 320), radius=24, fill=(25, 25, 28))
    draw.rectangle((182, 70, 298, 290), fill=(52, 90, 140))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def a_case_awaiting_check_in(page: Page, *, with_car: bool = False) -> tuple[Api, list[dict[str, Any]]]:
    officer = Api(page.request, "police_officer")
    case = officer(
        "POST",
        "/api/v1/cases",
        data={"police_case_no": f"沪公(浦)立字[2026]9{next(_numbers):03d}号", "title": "赵某某盗窃案"},
    )
    bag = {"name": "黑色双肩包", "category": "goods", "quantity": 1, "unit": "个", "features": "内有笔记本"}
    items = [officer("POST", f"/api/v1/cases/{case['id']}/items", data=bag)]
    if with_car:
        car = {
            "name": "白色丰田轿车",
            "category": "vehicle",
            "quantity": 1,
            "unit": "辆",
            "details": {"plate": f"沪D{next(_numbers) + 10000:05d}"},
            "external_kind": "impound_lot",
            "external_place": "浦东新区川沙扣押车辆停放场",
        }
        items.append(officer("POST", f"/api/v1/cases/{case['id']}/items", data=car))
    return Api(page.request, "police_keeper"), items


def scan_like_a_scanner(page: Page, code: str) -> None:
    """A USB scanner: the code's keystrokes in one fast burst, then Enter."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")


PHONE_390 = {"width": 390, "height": 844}
