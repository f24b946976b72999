"""Reading printed PDFs back in tests."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

CASE_NO = "沪公(浦)立字〔2026〕1234号"


def pages_text(pdf: bytes) -> list[str]:
    """The text of each page with all white space removed (pypdf breaks lines where it likes)."""
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    return [re.sub(r"\s+", "", page.extract_text()) for page in reader.pages]


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_contains(text: str, *needles: str) -> None:
    missing = [n for n in needles if compact(n) not in text]
    assert not missing, f"missing {missing} in {text[:600]}"
