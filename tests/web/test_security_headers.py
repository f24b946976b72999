"""Security headers: a Content-Security-Policy that forbids inline script and framing, nosniff, a
same-origin referrer policy, and no caching of anything but the static assets — on pages, API
answers, error pages and downloads. No page reached by a role carries an inline script, an event
handler attribute or an inline style (the policy would block them)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from custody.headers import CSP

from ..e2e.journeys import crawl


def _directives(policy: str) -> dict[str, str]:
    return {part.strip().split(" ", 1)[0]: part.strip() for part in policy.split(";") if part.strip()}


def assert_secure(response, cacheable: bool = False) -> None:
    headers = response.headers
    policy = _directives(headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert policy["script-src"] == "script-src 'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["object-src"] == "object-src 'none'"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    if cacheable:
        assert "no-store" not in headers.get("Cache-Control", "")
    else:
        assert headers["Cache-Control"] == "no-store"


def test_pages_api_answers_errors_and_downloads_carry_the_headers(client, login_as, auth_headers):
    assert_secure(client.get("/login"))
    assert_secure(client.get("/api/v1/me"))  # a 401 problem
    login_as("police_officer")
    for path in ("/", "/items", "/cases", "/no-such-page", "/api/v1/import-template?format=csv"):
        assert_secure(client.get(path))
    assert_secure(client.get("/api/v1/items", headers=auth_headers("police_officer")))
    assert_secure(client.post("/api/v1/cases", json={}, headers=auth_headers("police_officer")))


def test_static_assets_stay_cacheable_and_still_carry_nosniff(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert_secure(response, cacheable=True)


def test_the_api_docs_allow_inline_styles_but_no_inline_script(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    policy = _directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == "script-src 'self'"
    assert "'unsafe-inline'" in policy["style-src"]
    html = response.get_data(as_text=True)
    assert "<script>" not in html
    assert "js/api-docs.js" in html
    assert _directives(CSP)["style-src"] == "style-src 'self'"  # every other page: no inline style


class InlineParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script_src: bool | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        self.found += [f"<{tag} {name}=…>" for name in names if name.startswith("on") or name == "style"]
        if tag == "script":
            self._script_src = "src" in names
        if tag == "style":
            self.found.append("<style> block")
        for name, value in attrs:
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…>")

    def handle_data(self, data: str) -> None:
        if self._script_src is False and data.strip():
            self.found.append(f"inline <script>: {data.strip()[:60]}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script_src = None


@pytest.mark.parametrize("username", ["police_officer", "police_keeper", "admin"])
def test_no_page_has_inline_script_handlers_or_styles(client, login_as, username):
    login_as(username)
    pages = crawl(client, ["/"])
    assert len(pages) > 5
    problems = []
    for path in pages:
        parser = InlineParser()
        parser.feed(client.get(path).get_data(as_text=True))
        problems += [f"{path}: {found}" for found in parser.found]
    assert not problems, "\n".join(problems)
