"""Nothing loads from the internet: the intranet has none, and a request out would leak.

For each demo role, crawl every same-site page reachable by links from the home page (plus the
API docs) with the Flask test client — so on SQLite and PostgreSQL alike — and check every
script, stylesheet, image, frame and media reference, inline style and stylesheet for an
absolute URL (``http:``, ``https:``, protocol-relative ``//``). Swagger UI's own runtime
requests are checked in a real browser by ``test_smoke.test_api_docs_render_from_local_assets``.
"""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from .journeys import (
    PageRefs,
    crawl,
    local_path,
    parse,
)

ROLES = ["police_officer", "police_approver", "police_keeper", "prosecutor", "judge", "auditor", "admin"]
START = ["/", "/api/v1/docs"]
STATIC = Path(__file__).resolve().parents[2] / "custody" / "static"

CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s]*))\s*\)""", re.I)
CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.I)


def is_external(url: str) -> bool:
    """An absolute or protocol-relative URL (browsers read ``\\\\host`` like ``//host``)."""
    value = re.sub(r"[\x00-\x20]", "", url).replace("\\", "/").lower()
    return bool(re.match(r"^(//|[a-z][a-z0-9+.-]*://)", value)) or value.startswith(("http:", "https:"))


def css_references(css: str) -> list[str]:
    css = CSS_COMMENT.sub("", css)
    found = ["".join(m.groups(default="")) for m in CSS_URL.finditer(css)]
    found += ["".join(m.groups(default="")) for m in CSS_IMPORT.finditer(css)]
    return found


def outside_references(client: FlaskClient, pages: dict[str, PageRefs]) -> list[str]:
    problems = []
    stylesheets: dict[str, str] = {}  # local stylesheet → the page that references it
    for path, refs in pages.items():
        problems += [f"{path}: <{tag} {name}={url!r}>" for tag, name, url in refs.assets if is_external(url)]
        problems += [
            f"{path}: inline CSS url({url!r})"
            for css in refs.css
            for url in css_references(css)
            if is_external(url)
        ]
        for href in refs.stylesheets:
            local = local_path(path, href)
            if local:
                stylesheets.setdefault(local, path)
    # Each local stylesheet, and the local stylesheets it @imports in turn.
    queue, seen = deque(stylesheets), set(stylesheets)
    while queue:
        sheet = queue.popleft()
        response = client.get(sheet)
        assert response.status_code == 200, (
            f"stylesheet {sheet} (from {stylesheets.get(sheet)}) answered {response.status_code}"
        )
        for url in css_references(response.get_data(as_text=True)):
            if is_external(url):
                problems.append(f"{sheet}: url({url!r})")
            elif url.lower().endswith(".css") and not url.lower().startswith("data:"):
                imported = local_path(sheet, url)
                if imported and imported not in seen:
                    seen.add(imported)
                    queue.append(imported)
    return problems


# -- the checks ------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ROLES)
def test_no_page_reached_by_a_role_loads_anything_from_outside(client, login_as, username):
    login_as(username)
    pages = crawl(client, START)
    assert "/" in pages
    assert "/api/v1/docs" in pages
    assert any(refs.stylesheets for refs in pages.values())  # the checker saw the app's CSS
    problems = outside_references(client, pages)
    assert not problems, f"{len(problems)} references to outside addresses:\n" + "\n".join(problems)


def test_the_login_page_loads_nothing_from_outside(client):
    pages = crawl(client, ["/login", "/api/v1/docs"])
    assert "/login" in pages
    assert not outside_references(client, pages)


def test_static_files_reference_nothing_outside():
    problems = []
    for css in STATIC.rglob("*.css"):
        problems += [
            f"{css.name}: {url}" for url in css_references(css.read_text("utf-8")) if is_external(url)
        ]
    for script in STATIC.rglob("*.js"):
        # Scripts may not fetch from, or point the page at, another host.
        text = CSS_COMMENT.sub("", script.read_text("utf-8"))
        problems += [
            f"{script.name}: {url}"
            for url in re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s'\"]*", text)
            if "www.w3.org/" not in url
        ]
    assert not problems, problems


def test_the_checker_finds_every_kind_of_outside_reference():
    html = """<html><head>
      <script src="https://cdn.example.com/x.js"></script>
      <link rel="stylesheet" href="//fonts.example.com/css">
      <link rel="icon" href="http://example.com/favicon.ico">
      <style>@import 'https://example.com/a.css'; body { background: url( "https://example.com/bg.png" ) }</style>
      </head><body style="background-image:url(//example.com/b.png)">
      <img src="/static/ok.png" srcset="/static/ok.png 1x, https://example.com/hi.png 2x">
      <iframe src="HTTPS://example.com/frame"></iframe>
      <video><source src="\\\\example.com/v.mp4"></video>
      <object data="https://example.com/o.swf"></object>
      <a href="https://example.com/page">a link out is not a load</a>
      <div style="background: url(data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg'/>)"></div>
    </body></html>"""
    refs = parse(html)
    external = [url for _tag, _name, url in refs.assets if is_external(url)]
    assert external == [
        "https://cdn.example.com/x.js",
        "//fonts.example.com/css",
        "http://example.com/favicon.ico",
        "https://example.com/hi.png",
        "HTTPS://example.com/frame",
        "\\\\example.com/v.mp4",
        "https://example.com/o.swf",
    ]
    css = [url for block in refs.css for url in css_references(block) if is_external(url)]
    assert css == ["https://example.com/bg.png", "https://example.com/a.css", "//example.com/b.png"]
    assert not is_external("/static/css/app.css")
    assert not is_external("data:image/png;base64,AAAA")
    assert not is_external("css/app.css")
    assert not is_external("#main")
    assert local_path("/admin/users", "3?x=1#top") == "/admin/3?x=1"
    assert local_path("/", "https://example.com/") is None
    assert local_path("/", "mailto:a@b.c") is None
