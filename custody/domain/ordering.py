"""Natural order for names people number: R1, R2, R10 and 一号库房, 二号库房, 十号库房 (issue 18) [DESIGN].

A plain text sort puts R10 before R2 and 十 before 二; lists of locations sort by ``natural_key``.
"""

from __future__ import annotations

import re

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_TOKEN = re.compile(r"[0-9]+|[零〇一二两三四五六七八九十百千]+|.", re.DOTALL)


def chinese_number(text: str) -> int:
    """一 → 1, 十 → 10, 十二 → 12, 二十三 → 23, 一百零五 → 105; digits only (二〇二六) read digit by digit."""
    if not any(ch in _CN_UNITS for ch in text):
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    total = current = 0
    for ch in text:
        if ch in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[ch]
            current = 0
        else:
            current = _CN_DIGITS[ch]
    return total + current


def natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key: numbers (Arabic or Chinese) by value, before any other character; the rest by text,
    ignoring case."""
    key: list[tuple[int, int, str]] = []
    for token in _TOKEN.findall(text):
        if token.isascii() and token.isdigit():
            key.append((0, int(token), ""))
        elif token[0] in _CN_DIGITS or token[0] in _CN_UNITS:
            key.append((0, chinese_number(token), ""))
        else:
            key.append((1, 0, token.casefold()))
    return tuple(key)
