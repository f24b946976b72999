"""custody/downloads: the one builder of a download's Content-Disposition."""

from __future__ import annotations

from custody.downloads import content_disposition


def test_a_named_download_carries_an_ascii_fallback_and_the_utf8_name():
    header = content_disposition("移送清单-2026-001.pdf")
    assert header.startswith('attachment; filename="')
    assert "filename*=UTF-8''%E7%A7%BB%E9%80%81" in header
    assert header.endswith(".pdf")
    assert content_disposition("a.pdf", inline=True).startswith('inline; filename="a.pdf"')


def test_a_stored_file_shown_where_it_is_opened_has_no_name():
    assert content_disposition(None, inline=True) == "inline"
    assert content_disposition(None) == "attachment"
