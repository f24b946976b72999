"""docs/LEDGER.md §5 is precise enough to verify from: its worked example and field list are current."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from custody.audit.canonical import HASHED_FIELDS, canonical_bytes
from custody.audit.merkle import leaf_hash

DOC = Path(__file__).resolve().parents[2] / "docs" / "LEDGER.md"


def section(title: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(title)
    end = text.find("\n### ", start + len(title))
    return text[start:end]


def test_the_worked_event_example_is_current():
    example = section("### 5.5 Worked example")
    line = next(row for row in example.splitlines() if row.startswith('{"action"'))
    data = line.encode("utf-8")
    entry = json.loads(line)
    assert canonical_bytes(entry) == data  # the printed text is already canonical
    assert f"{len(data)} bytes" in example
    assert hashlib.sha256(data).hexdigest() in example
    assert leaf_hash(data).hex() in example


def test_the_documented_members_are_exactly_the_hashed_fields():
    table = section("### 5.1 The entry (format version 1)")
    members = re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE)
    assert sorted(members) == sorted(HASHED_FIELDS)
    assert len(HASHED_FIELDS) == 16
