"""The Chinese catalog speaks with one voice (issue 18, polish): one term for each thing."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

PO = Path(__file__).resolve().parent.parent / "custody/translations/zh_Hans_CN/LC_MESSAGES/messages.po"

# The term kept → the spellings it replaced.
TERMS = {"凭单移交": ("按记录移交",), "标签号": ("标签码",)}


def _msgstrs() -> list[tuple[str, str]]:
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    pairs = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        pairs.extend((ids[0], s) for s in strings if s)
    return pairs


def test_one_term_for_each_thing():
    for kept, replaced in TERMS.items():
        for spelling in replaced:
            found = [msgid for msgid, msgstr in _msgstrs() if spelling in msgstr]
            assert not found, f"{spelling!r} (say {kept!r} instead) in the translations of {found}"
