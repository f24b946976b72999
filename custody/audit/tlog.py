"""C2SP transparency-log formats around a checkpoint: its note text, the witness protocol's
``add-checkpoint`` request, and trust policies with witness quorums.

* ``c2sp.org/tlog-checkpoint@v1.0.0``: origin, tree size, base64 root hash, optional extension
  lines (this log writes one: its timestamp).
* ``c2sp.org/tlog-witness@v1.0.0`` ``add-checkpoint``: ``old <size>`` line, up to 63 base64
  consistency-proof lines, a blank line, the signed checkpoint.
* ``c2sp.org/tlog-policy``: ``log``/``witness``/``group``/``quorum`` lines; a checkpoint is valid
  when a listed log signed it and the quorum of witnesses cosigned it.

Standard library and ``cryptography`` only (via ``note``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from .merkle import EMPTY_ROOT, HASH_SIZE
from .note import (
    TYPE_COSIGNATURE_V1,
    TYPE_ED25519,
    Note,
    NoteError,
    NoteVerificationError,
    Verified,
    VerifierKey,
    check_signatures,
    parse_note,
    parse_vkey,
)

MAX_PROOF_LINES = 63
SIZE_CONTENT_TYPE = "text/x.tlog.size"


class CheckpointError(ValueError):
    """A checkpoint text that does not follow tlog-checkpoint."""


def _decimal(text: str, what: str) -> int:
    if not text or not text.isascii() or not text.isdigit() or (len(text) > 1 and text[0] == "0"):
        raise CheckpointError(f"{what} is a decimal number without leading zeros")
    return int(text)


def _hash_b64(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise CheckpointError(f"{what} is not base64") from exc
    if len(raw) != HASH_SIZE or base64.b64encode(raw).decode("ascii") != text:
        raise CheckpointError(f"{what} is the base64 of a 32-byte hash")
    return raw


@dataclass(frozen=True)
class CheckpointText:
    """The parsed note text of a checkpoint."""

    origin: str
    tree_size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.tree_size), base64.b64encode(self.root_hash).decode("ascii")]
        return "".join(line + "\n" for line in [*lines, *self.extensions])


def parse_checkpoint_text(text: str) -> CheckpointText:
    """At least three lines, each non-empty: origin, size, root; then extension lines."""
    if not text.endswith("\n"):
        raise CheckpointError("a checkpoint's text ends in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise CheckpointError("a checkpoint has at least three lines, none of them empty")
    checkpoint = CheckpointText(
        lines[0],
        _decimal(lines[1], "the tree size"),
        _hash_b64(lines[2], "the root hash"),
        tuple(lines[3:]),
    )
    if checkpoint.text() != text:  # pragma: no cover - guarded by the checks above
        raise CheckpointError("the checkpoint is not in canonical form")
    return checkpoint


def origin_hash(origin: str) -> str:
    """tlog-witness's name for a log in URLs: lower-case hex SHA-256 of the origin."""
    return hashlib.sha256(origin.encode("utf-8")).hexdigest()


# -- add-checkpoint ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddCheckpointRequest:
    old_size: int
    proof: tuple[bytes, ...]
    checkpoint: bytes  # the signed note, as sent

    def encode(self) -> bytes:
        return format_add_checkpoint(self.old_size, self.proof, self.checkpoint)


def format_add_checkpoint(old_size: int, proof: Sequence[bytes], checkpoint: bytes) -> bytes:
    if old_size < 0:
        raise ValueError("the old size is not negative")
    if len(proof) > MAX_PROOF_LINES:
        raise ValueError(f"a consistency proof has at most {MAX_PROOF_LINES} hashes")
    lines = [f"old {old_size}\n"] + [base64.b64encode(p).decode("ascii") + "\n" for p in proof]
    return ("".join(lines) + "\n").encode("ascii") + checkpoint


def parse_add_checkpoint(body: bytes) -> AddCheckpointRequest:
    """Raises CheckpointError for a body that is not an add-checkpoint request (a 400)."""
    header_end = body.find(b"\n\n")
    if header_end < 0:
        raise CheckpointError("the request has no blank line before the checkpoint")
    try:
        header = body[:header_end].decode("ascii")
    except UnicodeDecodeError as exc:
        raise CheckpointError("the old size and proof lines are ASCII") from exc
    lines = header.split("\n")
    first = lines[0]
    if not first.startswith("old "):
        raise CheckpointError("the request starts with an old size line: old <size>")
    old_size = _decimal(first[4:], "the old size")
    proof_lines = lines[1:]
    if len(proof_lines) > MAX_PROOF_LINES:
        raise CheckpointError(f"at most {MAX_PROOF_LINES} consistency proof lines")
    proof = tuple(_hash_b64(line, "a consistency proof line") for line in proof_lines)
    return AddCheckpointRequest(old_size, proof, body[header_end + 2 :])


# -- trust policies (tlog-policy) ----------------------------------------------------------------


class PolicyError(ValueError):
    """A policy file that does not follow tlog-policy."""


@dataclass(frozen=True)
class PolicyLog:
    key: VerifierKey
    url: str | None = None


@dataclass(frozen=True)
class PolicyWitness:
    name: str
    key: VerifierKey
    url: str | None = None


@dataclass(frozen=True)
class PolicyGroup:
    name: str
    threshold: int
    members: tuple[str, ...]


@dataclass
class Policy:
    logs: list[PolicyLog] = field(default_factory=list)
    witnesses: dict[str, PolicyWitness] = field(default_factory=dict)
    groups: dict[str, PolicyGroup] = field(default_factory=dict)
    quorum: str = "none"

    @property
    def log_keys(self) -> list[VerifierKey]:
        return [log.key for log in self.logs]

    @property
    def witness_keys(self) -> list[VerifierKey]:
        return [w.key for w in self.witnesses.values()]

    def satisfied(self, witnessed: set[str], name: str | None = None) -> bool:
        """Whether the witnesses named in ``witnessed`` meet the quorum (or group ``name``)."""
        name = self.quorum if name is None else name
        if name == "none":
            return True
        if name in self.witnesses:
            return name in witnessed
        group = self.groups[name]
        return sum(self.satisfied(witnessed, member) for member in group.members) >= group.threshold

    def describe_quorum(self) -> str:
        """The quorum in words, e.g. ``2 of agencies (PDGA, PDJC, PDFY)``."""
        if self.quorum == "none":
            return "none"
        if self.quorum in self.witnesses:
            return self.quorum
        group = self.groups[self.quorum]
        return f"{group.threshold} of {group.name} ({', '.join(group.members)})"

    def top_members(self) -> tuple[str, ...]:
        """The names the quorum counts (its group's members, or the single witness)."""
        if self.quorum == "none":
            return ()
        if self.quorum in self.witnesses:
            return (self.quorum,)
        return self.groups[self.quorum].members

    def witnessed_members(self, witnessed: set[str]) -> list[str]:
        return [m for m in self.top_members() if self.satisfied(witnessed, m)]

    def witnesses_under(self, name: str) -> set[str]:
        """The witnesses a name stands for (itself, or its group's members, recursively)."""
        if name in self.witnesses:
            return {name}
        group = self.groups.get(name)
        return set().union(*(self.witnesses_under(m) for m in group.members)) if group else set()

    def text(self, *, comments: Sequence[str] = (), urls: bool = True) -> str:
        lines = [f"# {c}" for c in comments]
        for log in self.logs:
            lines.append(" ".join(filter(None, ["log", log.key.vkey, log.url if urls else None])))
        for witness in self.witnesses.values():
            lines.append(
                " ".join(
                    filter(None, ["witness", witness.name, witness.key.vkey, witness.url if urls else None])
                )
            )
        for group in self.groups.values():
            n = len(group.members)
            k = "any" if group.threshold == 1 else "all" if group.threshold == n else str(group.threshold)
            lines.append(" ".join(["group", group.name, k, *group.members]))
        lines.append(f"quorum {self.quorum}")
        return "\n".join(lines) + "\n"


_WS = " \t"


def _fields(line: str) -> list[str]:
    return line.replace("\t", " ").split()


def parse_policy(data: bytes | str) -> Policy:
    """Parse a tlog-policy file; raises PolicyError naming the line."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    if any(b < 0x20 and b not in (0x09, 0x0A) or b == 0x7F for b in raw):
        raise PolicyError("a policy holds no control characters but tab and newline")
    text = raw.decode("utf-8", errors="surrogateescape")
    policy = Policy()
    quorum: str | None = None
    defined: set[str] = set()
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip(_WS)
        if not stripped or stripped.startswith("#"):
            continue
        try:
            quorum = _policy_line(policy, _fields(stripped), defined, quorum)
        except (NoteError, CheckpointError) as exc:
            raise PolicyError(f"line {number}: {exc}") from exc
        except PolicyError as exc:
            if str(exc).startswith("line "):
                raise
            raise PolicyError(f"line {number}: {exc}") from exc
    if quorum is None:
        raise PolicyError("a policy has exactly one quorum line")
    policy.quorum = quorum
    return policy


def _policy_line(policy: Policy, words: list[str], defined: set[str], quorum: str | None) -> str | None:
    """One line of a policy — a log, a witness, a group or the quorum — added to ``policy``; the
    names it defines are added to ``defined``. Returns the quorum named so far."""
    keyword = words[0]
    if keyword == "log" and len(words) in (2, 3):
        _add_log(policy, words)
    elif keyword == "witness" and len(words) in (3, 4):
        _add_witness(policy, words, defined)
    elif keyword == "group" and len(words) >= 4:
        _add_group(policy, words, defined)
    elif keyword == "quorum" and len(words) == 2:
        if quorum is not None:
            raise PolicyError("a policy has exactly one quorum line")
        if words[1] != "none" and words[1] not in defined:
            raise PolicyError(f"{words[1]} is not defined on an earlier line")
        return words[1]
    else:
        raise PolicyError(f"unknown or malformed line: {keyword}")
    return quorum


def _add_log(policy: Policy, words: list[str]) -> None:
    """``log <vkey> [<url>]``."""
    key = parse_vkey(words[1])
    if key.key_type != TYPE_ED25519:
        raise PolicyError("a log key signs checkpoints with Ed25519 (type 0x01)")
    if any(log.key.same_key(key) for log in policy.logs):
        raise PolicyError("a log is listed twice")
    policy.logs.append(PolicyLog(key, words[2] if len(words) == 3 else None))


def _add_witness(policy: Policy, words: list[str], defined: set[str]) -> None:
    """``witness <name> <vkey> [<url>]``."""
    name, key = words[1], parse_vkey(words[2])
    if key.key_type != TYPE_COSIGNATURE_V1:
        raise PolicyError("a witness key makes cosignature/v1 signatures (type 0x04)")
    if name == "none" or name in defined:
        raise PolicyError(f"the name {name} is already defined")
    if any(w.key.same_key(key) for w in policy.witnesses.values()):
        raise PolicyError("a witness key is listed twice")
    policy.witnesses[name] = PolicyWitness(name, key, words[3] if len(words) == 4 else None)
    defined.add(name)


def _add_group(policy: Policy, words: list[str], defined: set[str]) -> None:
    """``group <name> <all|any|k> <member>...``, each member defined on an earlier line."""
    name, k_text, members = words[1], words[2], tuple(words[3:])
    if name == "none" or name in defined:
        raise PolicyError(f"the name {name} is already defined")
    if len(set(members)) != len(members):
        raise PolicyError("a group lists each member once")
    for member in members:
        if member not in defined:
            raise PolicyError(f"{member} is not defined on an earlier line")
    policy.groups[name] = PolicyGroup(name, _group_threshold(k_text, len(members)), members)
    defined.add(name)


def _group_threshold(k_text: str, n: int) -> int:
    if k_text == "all":
        return n
    if k_text == "any":
        return 1
    k = _decimal(k_text, "a group threshold")
    if not 1 <= k <= n:
        raise PolicyError("a group threshold is between 1 and the number of members")
    return k


# -- judging a checkpoint against a policy -------------------------------------------------------


@dataclass
class PolicyVerdict:
    """What a policy makes of one signed checkpoint."""

    checkpoint: CheckpointText | None = None
    note: Note | None = None
    log_signatures: list[Verified] = field(default_factory=list)
    cosigned: dict[str, int] = field(default_factory=dict)  # witness name -> cosignature timestamp
    # the quorum's members (e.g. agencies) that witnessed it -> their latest cosignature's timestamp
    members: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    quorum_met: bool = False
    quorum: str = "none"
    missing: list[str] = field(default_factory=list)  # top-level members that did not witness

    @property
    def ok(self) -> bool:
        return not self.problems and self.quorum_met


def judge_checkpoint(policy: Policy, data: bytes | str, *, origin: str | None = None) -> PolicyVerdict:
    """Verify a checkpoint note: a listed log signed it (every signature by a known key verifies)
    and the policy's quorum of witnesses cosigned it. Never raises for bad input."""
    verdict = PolicyVerdict(quorum=policy.describe_quorum())
    try:
        note = parse_note(data)
        verdict.note = note
        verdict.checkpoint = parse_checkpoint_text(note.text)
    except (NoteError, CheckpointError) as exc:
        verdict.problems.append(f"the checkpoint cannot be read: {exc}")
        return verdict
    checkpoint = verdict.checkpoint
    if origin is not None and checkpoint.origin != origin:
        verdict.problems.append(f"the checkpoint is for log {checkpoint.origin!r}, not {origin!r}")
    try:
        verified, _ = check_signatures(note, [*policy.log_keys, *policy.witness_keys])
    except NoteVerificationError as exc:
        verdict.problems.append(f"{exc}: forged or altered")
        return verdict
    verdict.log_signatures = [
        v for v in verified if v.verifier.key_type == TYPE_ED25519 and v.verifier.name == checkpoint.origin
    ]
    if not verdict.log_signatures:
        verdict.problems.append(f"no trusted key of log {checkpoint.origin!r} signed the checkpoint")
    by_key = {w.key.vkey: w.name for w in policy.witnesses.values()}
    for v in verified:
        if v.verifier.key_type == TYPE_COSIGNATURE_V1 and v.verifier.vkey in by_key:
            name = by_key[v.verifier.vkey]
            timestamp = v.timestamp or 0
            verdict.cosigned[name] = max(timestamp, verdict.cosigned.get(name, 0))
    witnessed = set(verdict.cosigned)
    verdict.quorum_met = policy.satisfied(witnessed)
    verdict.missing = [m for m in policy.top_members() if not policy.satisfied(witnessed, m)]
    for member in policy.witnessed_members(witnessed):
        verdict.members[member] = max(
            verdict.cosigned[w] for w in policy.witnesses_under(member) if w in witnessed
        )
    return verdict


def empty_tree_ok(tree_size: int, root: bytes) -> bool:
    return tree_size != 0 or root == EMPTY_ROOT
