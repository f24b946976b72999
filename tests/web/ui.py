"""Helpers for page tests: log in as a demo user on a fresh client, post forms with their CSRF
token, read the visible text of a page, and say what the Chinese UI shows for a msgid."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from babel.support import Translations
from flask import Flask
from flask.testing import FlaskClient

from custody.domain import clock

from ..conftest import CSRF_RE, TEST_PASSWORD, csrf_token, login

CATALOG = Path(__file__).resolve().parents[2] / "custody" / "translations"


@cache
def _catalog() -> Translations:
    return Translations.load(str(CATALOG), ["zh_Hans_CN"])


def zh(msgid: str, **params: Any) -> str:
    """The Chinese the app shows for ``msgid`` (the msgid itself until its translation is merged)."""
    text = _catalog().gettext(msgid)
    return text % params if params else text


def client_for(app: Flask, username: str, password: str = TEST_PASSWORD) -> FlaskClient:
    """A new browser (cookie jar) logged in as ``username`` (one client per person, as in real life)."""
    client = app.test_client()
    response = login(client, username, password)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def token(client: FlaskClient, path: str) -> str:
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post(
    client: FlaskClient, path: str, data: dict[str, Any], *, form_page: str | None = None, **kwargs: Any
):
    """POST ``data`` to ``path`` with the CSRF token of ``form_page`` (default: the same page)."""
    return client.post(path, data={"csrf_token": token(client, form_page or path), **data}, **kwargs)


def text(response_or_html: Any) -> str:
    """The page's text, tags removed and entities decoded, white space collapsed."""
    source = (
        response_or_html if isinstance(response_or_html, str) else response_or_html.get_data(as_text=True)
    )
    source = re.sub(r"<(script|style)\b.*?</\1>", " ", source, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", source))).strip()


def png(size: tuple[int, int] = (64, 48), colour: tuple[int, int, int] = (180, 40, 40)) -> bytes:
    """A real PNG image (thumbnails are made from it)."""
    from ..factories import png_bytes

    return png_bytes(size, colour)


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    assert content.startswith(b"%PDF-")
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


def text_of(response) -> str:
    return response.get_data(as_text=True)


def get(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (response.status_code, text_of(response)[:2000])
    return text_of(response)


def submit(
    client: FlaskClient,
    url: str,
    prefix: str | None = None,
    button: str = "submit",
    *,
    token: str | None = None,
    **fields,
):
    """POST one of the page's forms as the browser would: its CSRF token, fields and button."""
    token = token or csrf_token(client, url)

    def key(name: str) -> str:
        return f"{prefix}-{name}" if prefix else name

    data: dict[str, object] = {"csrf_token": token, key("csrf_token"): token, key(button): "1"}
    for name, value in fields.items():
        data[key(name)] = value
    return client.post(url, data=data)


def local_input(delta: timedelta) -> str:
    """A ``datetime-local`` value ``delta`` from now, in China time."""
    return (clock.now().astimezone(clock.LOCAL_TZ) + delta).strftime("%Y-%m-%dT%H:%M")


def flat(html: str) -> str:
    """Page text without tags and white space, for phrases split by markup."""
    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", html))


def lookup(client, list_no: str, code: str, ip: str = "10.0.0.1"):
    page = client.get("/lookup", environ_base={"REMOTE_ADDR": ip})
    token = CSRF_RE.search(page.get_data(as_text=True)).group(1)
    return client.post(
        "/lookup",
        data={"list_no": list_no, "code": code, "csrf_token": token},
        environ_base={"REMOTE_ADDR": ip},
    )
