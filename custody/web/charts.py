"""Room for a bar chart's labels and values (the statistics page's inline SVG charts).

The chart is 640 units wide. The label column is as wide as the longest label needs (up to a
third of the chart; a longer label wraps onto a second line), and the bars leave room on their
right for the longest value, so no label runs into a bar and no value runs off the chart.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

WIDTH = 640
LABEL_SIZE = 13  # font-size of a label, in chart units
VALUE_SIZE = 12
MAX_LABEL = 210  # a label wider than this wraps onto a second line
GAP = 8


def text_width(text: str, size: float) -> float:
    """A safe estimate of the drawn width: a full-width (CJK) character is one em, others 0.62 em."""
    return sum(size if unicodedata.east_asian_width(c) in "WF" else 0.62 * size for c in text)


def wrap(text: str, size: float, width: float) -> list[str]:
    """``text`` in lines no wider than ``width`` (at most two; the second keeps the rest)."""
    if text_width(text, size) <= width:
        return [text]
    used, cut = 0.0, 0
    for index, char in enumerate(text):
        used += text_width(char, size)
        if used > width:
            cut = index
            break
    space = text.rfind(" ", 0, cut + 1)
    cut = space if space > 0 else cut
    return [text[:cut].rstrip(), text[cut:].strip()]


def bar_layout(
    rows: Sequence[Any],
    labels: Sequence[str],
    values: Sequence[float],
    fmt: Callable[[Any], str] | None = None,
) -> dict[str, Any]:
    """Positions of each row's label lines, bar and value in a ``WIDTH``-wide chart."""
    texts = [fmt(v) if fmt else str(v) for v in values]
    label_w = min(MAX_LABEL, max((text_width(label, LABEL_SIZE) for label in labels), default=0))
    lines = [wrap(label, LABEL_SIZE, label_w) for label in labels]
    row_h = 26 if all(len(parts) == 1 for parts in lines) else 40
    bar_x = label_w + GAP
    value_w = max((text_width(t, VALUE_SIZE) for t in texts), default=0)
    bar_max = WIDTH - bar_x - GAP - value_w
    top = max(values, default=0) or 1
    laid = []
    for index, (parts, value, text) in enumerate(zip(lines, values, texts, strict=True)):
        y = index * row_h + 4
        bar_w = round(bar_max * (value or 0) / top, 1)
        laid.append(
            {
                "row": rows[index],
                "lines": parts,
                "y": y,
                "bar_y": y + (row_h - 18) / 2,
                "bar_w": max(bar_w, 0),
                "value": text,
                "value_x": bar_x + max(bar_w, 0) + 6,
            }
        )
    return {"width": WIDTH, "height": len(rows) * row_h + 8, "row_h": row_h, "bar_x": bar_x, "rows": laid}
