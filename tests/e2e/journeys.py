"""Shared by the browser tests: the API client the journeys set up with, case builders, the scanner, the crawler."""

from __future__ import annotations

import io
import itertools
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from flask.testing import FlaskClient
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


MAX_PAGES = 200


PER_SHAPE = 3  # pages per path shape (digits as N): variety of pages rather than 200 item pages


ORIGIN = "http://localhost"  # the test client's host


# Where HTML references something the browser loads by itself.
ASSET_ATTRIBUTES = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "input": ("src",),
    "image": ("href", "xlink:href"),
    "use": ("href", "xlink:href"),
}


# Links that are not pages to crawl.
NOT_PAGES = re.compile(r"^/(static/|api/(?!v1/docs$))|^/logout$")


def srcset_urls(value: str) -> list[str]:
    return [part.strip().split()[0] for part in value.split(",") if part.strip()]


@dataclass
class PageRefs:
    links: list[str] = field(default_factory=list)
    assets: list[tuple[str, str, str]] = field(default_factory=list)  # (tag, attribute, url)
    stylesheets: list[str] = field(default_factory=list)
    css: list[str] = field(default_factory=list)  # <style> blocks and style="" attributes


class RefParser(HTMLParser):
    """Collects what a browser would fetch from one HTML page, and the links to follow."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs = PageRefs()
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "a" and values.get("href"):
            self.refs.links.append(values["href"])
        for name in ASSET_ATTRIBUTES.get(tag, ()):
            if values.get(name):
                urls = srcset_urls(values[name]) if name == "srcset" else [values[name]]
                self.refs.assets.extend((tag, name, url) for url in urls)
        if tag == "link" and "stylesheet" in values.get("rel", "").lower().split() and values.get("href"):
            self.refs.stylesheets.append(values["href"])
        if values.get("style"):
            self.refs.css.append(values["style"])
        if tag == "style":
            self._in_style = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.refs.css.append(data)


def parse(html: str) -> PageRefs:
    parser = RefParser()
    parser.feed(html)
    parser.close()
    return parser.refs


def local_path(base: str, href: str) -> str | None:
    """``href`` on page ``base`` as a same-site path with query (no fragment), else None."""
    parts = urlsplit(urljoin(ORIGIN + base, href.strip()))
    if parts.scheme not in ("http", "https") or f"{parts.scheme}://{parts.netloc}" != ORIGIN:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def crawl(client: FlaskClient, start: list[str]) -> dict[str, PageRefs]:
    """Breadth-first over same-site links; returns the references of every HTML page reached."""
    pages: dict[str, PageRefs] = {}
    queue, seen, shapes = deque(start), set(start), Counter()
    while queue and len(pages) < MAX_PAGES:
        path = queue.popleft()
        shape = re.sub(r"\d+", "N", urlsplit(path).path)
        if shapes[shape] >= PER_SHAPE:
            continue
        shapes[shape] += 1
        response = client.get(path)
        assert response.status_code < 500, f"GET {path} answered {response.status_code}"
        targets = []
        if response.status_code in (301, 302, 303, 307, 308) and response.location:
            targets.append(response.location)
        elif response.mimetype == "text/html":
            refs = pages[path] = parse(response.get_data(as_text=True))
            targets.extend(refs.links)
        for href in targets:
            target = local_path(path, href)
            if target and target not in seen and not NOT_PAGES.search(target):
                seen.add(target)
                queue.append(target)
    return pages
