#!/usr/bin/env python3
"""Check every quoted statute text in docs/DOMAIN.md and docs/DEADLINES.md against a copy of LawRefBook/Laws.

Usage: ``scripts/check_law_quotes.py /path/to/LawRefBook-Laws`` (a clone or a bare mirror: files are read
with ``git cat-file`` from HEAD). Each “…” quote is split on ellipses (……) and every fragment of six or more
characters must occur, whitespace and the width of ; : , ignored, in some statute of the collection. Prints
each fragment that does not and exits 1 if any. A developer tool (the collection is not available in CI).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

DOCS = [Path(__file__).resolve().parents[1] / "docs" / name for name in ("DOMAIN.md", "DEADLINES.md")]
_WIDTH = str.maketrans({";": "；", ":": "：", ",": "，", "(": "（", ")": "）"})


def _normal(text: str) -> str:
    return re.sub(r"\s+", "", text).translate(_WIDTH)


def _corpus(repo: str) -> str:
    names = subprocess.run(
        ["git", "-C", repo, "-c", "core.quotepath=off", "ls-tree", "-r", "--name-only", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    wanted = "\n".join(f"HEAD:{name}" for name in names if name.endswith(".md"))
    blobs = subprocess.run(
        ["git", "-C", repo, "cat-file", "--batch"], input=wanted.encode(), capture_output=True
    )
    return _normal(blobs.stdout.decode("utf-8", "replace"))


def main(repo: str) -> int:
    corpus = _corpus(repo)
    checked = missing = 0
    for doc in DOCS:
        for quote in re.findall(r"“([^”]{6,})”", doc.read_text(encoding="utf-8")):
            for fragment in re.split(r"…+", quote):
                fragment = _normal(fragment).strip("。，；：")
                if len(fragment) < 6:
                    continue
                checked += 1
                if fragment not in corpus:
                    missing += 1
                    print(f"{doc.name}: not found: {fragment}")
    print(f"checked {checked} fragments, {missing} not found")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
