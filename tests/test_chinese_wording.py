"""The Chinese catalog speaks with one voice (issue 18, polish): one term for each thing, and
full-width punctuation in Chinese text."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

PO = Path(__file__).resolve().parent.parent / "custody/translations/zh_Hans_CN/LC_MESSAGES/messages.po"

# The term kept → the spellings it replaced.
TERMS = {"凭单移交": ("按记录移交",), "标签号": ("标签码",)}

CJK = r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]"
# What may legitimately hold ASCII punctuation inside Chinese text: placeholders (%(name)s, %s,
# {name}), URLs and paths, and case and document numbers as they are typed (沪公(浦)立字[2026]123号,
# (2026)沪0115刑初88号).
_EXEMPT = re.compile(
    r"http\(s\)|%\([a-z_]+\)[sdf]|%[sd]|\{[a-z_0-9]*\}|https?://\S+|/[\w/.{}<>-]+"
    r"|[^\s，。；：、（）]*\d[^\s，。；：、（）]*号"
)
_BAD = re.compile(rf"{CJK} ?[,:;()]|[,:;()] ?{CJK}")


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


def test_chinese_text_uses_full_width_punctuation():
    offenders = []
    for msgid, msgstr in _msgstrs():
        if not re.search(CJK, msgstr):
            continue
        if _BAD.search(_EXEMPT.sub("X", msgstr)):
            offenders.append(f"{msgid!r}: {msgstr!r}")
    assert not offenders, "ASCII punctuation next to Chinese text:\n" + "\n".join(offenders)
