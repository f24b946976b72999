"""Comparing what different witnesses were shown: the split-view check.

A log that shows one history to some witnesses and another to others cannot make the two agree:
checkpoints of one size with different roots, or of different sizes with no consistency proof
from the smaller to the larger. ``compare`` collects each witness's latest cosigned checkpoint (its
state file, or its monitoring URL), checks the log's signature on each, and checks every pair:
equal sizes must have equal roots; different sizes need a consistency proof, fetched from the log
when its API is given. Both signed checkpoints of a split are printed: they are the evidence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from custody.audit.merkle import verify_consistency
from custody.audit.note import (
    TYPE_COSIGNATURE_V1,
    NoteError,
    NoteVerificationError,
    VerifierKey,
    check_signatures,
    parse_note,
)
from custody.audit.tlog import CheckpointError, CheckpointText, parse_checkpoint_text

from .core import WitnessError, read_state_document
from .server import monitored_checkpoint, request


@dataclass
class Seen:
    """One witness's latest cosigned checkpoint."""

    source: str
    note: str
    checkpoint: CheckpointText
    cosigners: list[str] = field(default_factory=list)


@dataclass
class Comparison:
    seen: list[Seen] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # sources that could not be used
    splits: list[tuple[Seen, Seen, str]] = field(default_factory=list)
    undetermined: list[tuple[Seen, Seen, str]] = field(default_factory=list)
    consistent: list[tuple[Seen, Seen]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.splits:
            return 1
        if self.problems:
            return 2
        if self.undetermined:
            return 3
        return 0


def read_source(source: str, origin: str, *, timeout: float = 10.0) -> str:
    """The checkpoint note a source holds: a witness URL, a state file, or a note file."""
    if source.startswith(("http://", "https://")):
        reply = monitored_checkpoint(source, origin, timeout=timeout)
        if reply.status != 200:
            raise WitnessError(reply.error or f"HTTP {reply.status}: {reply.text.strip()[:200]}")
        return reply.text
    try:
        data = Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WitnessError(f"cannot read {source}: {exc}") from exc
    if data.lstrip().startswith("{"):
        try:
            _, held = read_state_document(json.loads(data))
        except json.JSONDecodeError as exc:
            raise WitnessError(f"{source} is not JSON: {exc}") from exc
        if origin not in held:
            raise WitnessError(f"{source} holds no checkpoint of log {origin!r}")
        return held[origin].note
    return data


def compare(
    sources: list[str],
    origin: str,
    log_keys: list[VerifierKey],
    witness_keys: list[VerifierKey],
    *,
    log_url: str | None = None,
    token: str | None = None,
    timeout: float = 10.0,
    witness_names: dict[str, VerifierKey] | None = None,
) -> Comparison:
    """``witness_names``: names to show for witness keys (a policy's witness names)."""
    result = Comparison()
    for source in sources:
        try:
            result.seen.append(_seen(source, origin, log_keys, witness_keys, timeout, witness_names))
        except _Unusable as exc:
            result.problems.append(str(exc))

    proofs: dict[tuple[int, int], list[bytes] | None] = {}
    for i, a in enumerate(result.seen):
        for b in result.seen[i + 1 :]:
            _compare_pair(a, b, result, proofs, log_url, token, timeout)
    return result


class _Unusable(Exception):
    """A source that could not be used (the message says which and why)."""


def _seen(
    source: str,
    origin: str,
    log_keys: list[VerifierKey],
    witness_keys: list[VerifierKey],
    timeout: float,
    witness_names: dict[str, VerifierKey] | None,
) -> Seen:
    """One source's checkpoint, signed by the log, with the witnesses that cosigned it; raises _Unusable."""
    try:
        text = read_source(source, origin, timeout=timeout)
        note = parse_note(text)
        checkpoint = parse_checkpoint_text(note.text)
        verified, _ = check_signatures(note, [*log_keys, *witness_keys])
    except (WitnessError, NoteError, CheckpointError) as exc:
        kind = "forged or altered" if isinstance(exc, NoteVerificationError) else "unusable"
        raise _Unusable(f"{source}: {exc} ({kind})") from exc
    if checkpoint.origin != origin:
        raise _Unusable(f"{source}: a checkpoint of log {checkpoint.origin!r}, not {origin!r}")
    if not any(v.verifier in log_keys for v in verified):
        raise _Unusable(f"{source}: the checkpoint is not signed by a key of log {origin!r}")
    names = {k.vkey: n for n, k in (witness_names or {}).items()}
    cosigners = sorted(
        names.get(v.verifier.vkey, v.verifier.name)
        for v in verified
        if v.verifier.key_type == TYPE_COSIGNATURE_V1
    )
    if not witness_keys:  # nothing to verify them with: name them, say so
        cosigners = [f"{s.name} (unverified)" for s in note.signatures if s.name != origin]
    return Seen(source, text, checkpoint, cosigners)


def _compare_pair(
    a: Seen,
    b: Seen,
    result: Comparison,
    proofs: dict[tuple[int, int], list[bytes] | None],
    log_url: str | None,
    token: str | None,
    timeout: float,
) -> None:
    """Two witnesses' checkpoints: equal sizes need equal roots, different sizes a consistency proof
    (fetched from the log once per pair of sizes, kept in ``proofs``)."""
    small, large = sorted((a, b), key=lambda s: s.checkpoint.tree_size)
    m, n = small.checkpoint.tree_size, large.checkpoint.tree_size
    if m == n:
        if small.checkpoint.root_hash == large.checkpoint.root_hash:
            result.consistent.append((small, large))
        else:
            result.splits.append((small, large, f"two different roots for the same size {m}"))
        return
    if m == 0:
        result.consistent.append((small, large))
        return
    if log_url is None:
        result.undetermined.append((small, large, "sizes differ; give --log-url to fetch a proof"))
        return
    if (m, n) not in proofs:
        proofs[(m, n)] = _fetch_proof(log_url, token, m, n, timeout)
    proof = proofs[(m, n)]
    if proof is None:
        result.undetermined.append((small, large, "the log gave no consistency proof"))
    elif verify_consistency(m, n, small.checkpoint.root_hash, large.checkpoint.root_hash, proof):
        result.consistent.append((small, large))
    else:
        result.splits.append(
            (
                small,
                large,
                f"the log's consistency proof from {m} to {n} does not join the two checkpoints",
            )
        )


def _fetch_proof(log_url: str, token: str | None, m: int, n: int, timeout: float) -> list[bytes] | None:
    reply = request(
        f"{log_url.rstrip('/')}/audit/proofs/consistency?first={m}&second={n}", token=token, timeout=timeout
    )
    if reply.status != 200:
        return None
    try:
        return [bytes.fromhex(h) for h in reply.json()["proof"]]
    except (ValueError, KeyError, TypeError):
        return None


def describe(seen: Seen) -> str:
    c = seen.checkpoint
    who = ", ".join(seen.cosigners) or "no known witness"
    return f"{seen.source}: {c.tree_size} entries, root {c.root_hash.hex()} (cosigned by {who})"
