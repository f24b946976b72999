#!/usr/bin/env python3
"""Fill missing Chinese translations in the catalog from another copy of it.

After a merge or rebase, take main's ``messages.po``, run ``make extract-messages`` (adds the new
message ids, untranslated), then ``scripts/po_fill.py /path/to/your/old/messages.po``: every
message that is untranslated (or fuzzy) in the catalog and translated in the old copy gets the
old copy's translation. Prints what is still missing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOG = Path(__file__).resolve().parents[1] / "custody/translations/zh_Hans_CN/LC_MESSAGES/messages.po"


def _key(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _translated(message) -> bool:
    text = message.string if isinstance(message.string, str) else (message.string or [""])[0]
    return bool(text) and "fuzzy" not in message.flags


def main(old_path: str) -> int:
    with open(old_path, "rb") as fh:
        old = {_key(m): m for m in read_po(fh, locale="zh_CN") if m.id and _translated(m)}
    with CATALOG.open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    filled, missing = 0, []
    for message in catalog:
        if not message.id or _translated(message):
            continue
        source = old.get(_key(message))
        if source is None:
            missing.append(_key(message))
            continue
        message.string = source.string
        message.flags.discard("fuzzy")
        filled += 1
    with CATALOG.open("wb") as fh:
        write_po(fh, catalog, width=0, omit_header=False)
    print(f"filled {filled} translations; still missing {len(missing)}")
    for key in missing:
        print("  ", key)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
