"""Polling a log instead of waiting for it: fetch its latest checkpoint and a consistency proof from
the witness's last cosigned size, judge it exactly as ``add-checkpoint`` would, and post the
cosignature back to the log.

The log's API (``docs/LEDGER.md`` §7.1): ``GET <url>/audit/checkpoints/latest`` (its ``note`` is
the signed checkpoint), ``GET <url>/audit/proofs/consistency?first=&second=`` and
``POST <url>/audit/cosignatures`` (the checkpoint with the new cosignature lines, text/plain),
with a bearer token of an account of the witness's agency.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from custody.audit.note import NoteError, format_note, parse_note, parse_signature_lines
from custody.audit.tlog import CheckpointError, format_add_checkpoint, parse_checkpoint_text

from .core import LogConfig, Witness
from .server import Reply, request


@dataclass
class PollResult:
    ok: bool
    message: str
    status: int = 0
    kind: str = ""


def _token(log: LogConfig, base: Path) -> str | None:
    if not log.token_file:
        return None
    path = Path(log.token_file)
    path = path if path.is_absolute() else base / path
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _failed(what: str, reply: Reply) -> PollResult:
    detail = reply.error or f"HTTP {reply.status}: {reply.text.strip()[:200]}"
    return PollResult(False, f"{what}: {detail}", reply.status)


Transport = Callable[..., Reply]


def poll_once(
    witness: Witness, log: LogConfig, *, base: Path, timeout: float = 10.0, transport: Transport = request
) -> PollResult:
    """One round for one log. Never raises for what the network or the log answers.

    ``transport`` is the HTTP exchange (``server.request``'s signature); tests hand in the app's.
    """
    if not log.url:
        return PollResult(False, f"log {log.origin!r} has no url to poll")
    url, token = log.url.rstrip("/"), _token(log, base)
    reply = transport(f"{url}/audit/checkpoints/latest", token=token, timeout=timeout)
    if reply.status != 200:
        return _failed("cannot fetch the latest checkpoint", reply)
    try:
        document = reply.json()
        note_text = document["note"]
        note = parse_note(note_text)
        checkpoint = parse_checkpoint_text(note.text)
    except (ValueError, KeyError, TypeError, NoteError, CheckpointError) as exc:
        return PollResult(False, f"the log's latest checkpoint cannot be read: {exc}")
    if checkpoint.origin != log.origin:
        return PollResult(False, f"the log answered for {checkpoint.origin!r}, not {log.origin!r}")

    held = witness.held(log.origin)
    ours = {k.key_id for k in witness.vkeys}
    if held is not None and parse_note(held.note).text == note.text:
        # Cosigned already; make sure the log has the cosignature (an earlier post may have failed).
        listed = {c.get("key_id") for c in document.get("cosignatures") or [] if isinstance(c, dict)}
        if {f"{k:08x}" for k in ours} <= listed:
            return PollResult(True, f"up to date at {checkpoint.tree_size} entries")
        mine = [s for s in parse_note(held.note).signatures if s.key_id in ours and s.name == witness.name]
        return _post(
            transport, url, token, note.text, [*note.signatures, *mine], checkpoint.tree_size, timeout
        )

    old = held.tree_size if held else 0
    proof: list[bytes] = []
    if 0 < old < checkpoint.tree_size:
        reply = transport(
            f"{url}/audit/proofs/consistency?first={old}&second={checkpoint.tree_size}",
            token=token,
            timeout=timeout,
        )
        if reply.status == 200:
            try:
                proof = [bytes.fromhex(h) for h in reply.json()["proof"]]
            except (ValueError, KeyError, TypeError, binascii.Error):
                proof = []
        # Without a proof the witness refuses below, and keeps the checkpoint as evidence.
    body = format_add_checkpoint(old, proof[:63], note_text.encode("utf-8"))
    answer = witness.add_checkpoint(body)
    if answer.status != 200:
        return PollResult(
            False,
            f"refused the checkpoint of {checkpoint.tree_size} entries ({answer.status} {answer.kind}): "
            f"{answer.text.strip()}",
            answer.status,
            answer.kind,
        )
    cosignatures = parse_signature_lines(answer.body)
    return _post(
        transport, url, token, note.text, [*note.signatures, *cosignatures], checkpoint.tree_size, timeout
    )


def _post(
    transport: Transport,
    url: str,
    token: str | None,
    text: str,
    signatures: list[Any],
    size: int,
    timeout: float,
) -> PollResult:
    reply = transport(
        f"{url}/audit/cosignatures",
        method="POST",
        data=format_note(text, signatures),
        content_type="text/plain; charset=utf-8",
        token=token,
        timeout=timeout,
    )
    if reply.status not in (200, 201):
        return _failed(f"cosigned {size} entries, but the log did not take the cosignature", reply)
    return PollResult(True, f"cosigned {size} entries and posted the cosignature")
