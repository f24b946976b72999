"""The witness itself: its keys, its state, its append-only records and ``add-checkpoint``.

A witness remembers, for each log it follows, the latest checkpoint it cosigned. It cosigns a new
checkpoint only if the log's signature verifies and a consistency proof shows the new tree extends
the one it holds (c2sp.org/tlog-witness@v1.0.0); so it never cosigns two roots for one size and
never goes backwards. Checking the old size and persisting the new checkpoint happen under one
lock (a thread lock and an ``flock`` on the state file), as the specification requires.

Every refused checkpoint that carries a valid log signature is appended to the witness's refusal
record — a forked or rolled-back log signs its own evidence. Every cosigned checkpoint is
appended to its history. Both files are JSON lines, each line naming the SHA-256 of the line
before it, so a line edited or removed afterwards shows.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from custody.audit.merkle import EMPTY_ROOT, verify_consistency
from custody.audit.note import (
    TYPE_COSIGNATURE_V1,
    TYPE_ED25519,
    NoteError,
    NoteSignature,
    NoteVerificationError,
    VerifierKey,
    b64,
    check_signatures,
    cosign,
    format_note,
    parse_note,
    parse_vkey,
    private_key_from_text,
    private_key_to_text,
    valid_key_name,
)
from custody.audit.tlog import (
    SIZE_CONTENT_TYPE,
    CheckpointError,
    CheckpointText,
    parse_add_checkpoint,
    parse_checkpoint_text,
)

CONFIG_FORMAT = "custody-witness-config"
STATE_FORMAT = "custody-witness-state"
FORMAT_VERSION = 1
MAX_REQUEST_BYTES = 64 * 1024
GENESIS = "0" * 64

# Refusals that only a misbehaving (or restored, or forked) log can cause.
EVIDENCE_KINDS = frozenset({"rollback", "fork", "inconsistent"})


class WitnessError(Exception):
    """A configuration, key or state file the witness cannot use."""


def utc_text(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- keys -----------------------------------------------------------------------------------------


def generate_key_file(path: Path) -> Ed25519PrivateKey:
    """A new Ed25519 key written as the base64 of its seed, readable by its owner only.

    Refuses to overwrite an existing file: a witness key is never replaced by accident.
    """
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(private_key_to_text(key) + "\n")
    return key


def read_key_file(path: Path) -> Ed25519PrivateKey:
    try:
        return private_key_from_text(path.read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError, NoteError) as exc:
        raise WitnessError(f"cannot read the witness key {path}: {exc}") from exc


def witness_vkey(name: str, key: Ed25519PrivateKey) -> VerifierKey:
    return VerifierKey.for_key(name, TYPE_COSIGNATURE_V1, key.public_key())


# -- configuration ----------------------------------------------------------------------------------


@dataclass
class LogConfig:
    """A log this witness follows: its origin, the keys it signs with, and (to poll it) its API."""

    origin: str
    keys: list[VerifierKey]
    url: str | None = None  # the log's API, e.g. https://custody.example/api/v1
    token_file: str | None = None  # a bearer token for that API (read at each poll)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"origin": self.origin, "vkeys": [k.vkey for k in self.keys]}
        if self.url:
            out["url"] = self.url
        if self.token_file:
            out["token_file"] = self.token_file
        return out


@dataclass
class WitnessConfig:
    """``witness.json``: who the witness is, where its files are, which logs it follows.

    Paths inside are relative to the file's directory.
    """

    path: Path
    name: str
    key_files: list[str]
    logs: dict[str, LogConfig]
    state: str = "state.json"
    refusals: str = "refusals.jsonl"
    history: str = "cosigned.jsonl"

    @property
    def directory(self) -> Path:
        return self.path.parent

    def resolve(self, name: str) -> Path:
        path = Path(name)
        return path if path.is_absolute() else self.directory / path

    def to_json(self) -> dict[str, Any]:
        return {
            "format": CONFIG_FORMAT,
            "version": FORMAT_VERSION,
            "name": self.name,
            "keys": self.key_files,
            "state": self.state,
            "refusals": self.refusals,
            "history": self.history,
            "logs": [log.to_json() for log in self.logs.values()],
        }

    def save(self) -> None:
        _atomic_write(self.path, (json.dumps(self.to_json(), indent=1, ensure_ascii=False) + "\n").encode())

    @classmethod
    def load(cls, path: Path) -> WitnessConfig:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise WitnessError(f"cannot read the witness configuration {path}: {exc}") from exc
        if not isinstance(document, dict) or document.get("format") != CONFIG_FORMAT:
            raise WitnessError(f"{path} is not a {CONFIG_FORMAT} file")
        if document.get("version") != FORMAT_VERSION:
            raise WitnessError(f"{path}: unsupported version {document.get('version')!r}")
        name = document.get("name")
        if not valid_key_name(name):
            raise WitnessError(f"{path}: the witness name {name!r} is not a valid key name")
        keys = document.get("keys")
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            raise WitnessError(f"{path}: keys must list at least one key file")
        logs = _read_logs(path, document.get("logs") or [])
        config = cls(path=path, name=str(name), key_files=keys, logs=logs)
        for attribute in ("state", "refusals", "history"):
            value = document.get(attribute)
            if value is not None:
                setattr(config, attribute, str(value))
        return config


def _read_logs(path: Path, entries: Iterable[Any]) -> dict[str, LogConfig]:
    """The ``logs`` of a witness configuration, each once, by origin."""
    logs: dict[str, LogConfig] = {}
    for entry in entries:
        log = _read_log_config(path, entry)
        if log.origin in logs:
            raise WitnessError(f"{path}: log {log.origin!r} is listed twice")
        logs[log.origin] = log
    return logs


def _read_log_config(path: Path, entry: Any) -> LogConfig:
    """One log a witness follows: its origin, its Ed25519 keys named after the origin, its URL."""
    try:
        log = LogConfig(
            origin=str(entry["origin"]),
            keys=[parse_vkey(v) for v in entry["vkeys"]],
            url=entry.get("url"),
            token_file=entry.get("token_file"),
        )
    except (KeyError, TypeError, NoteError) as exc:
        raise WitnessError(f"{path}: a log entry is malformed: {exc}") from exc
    for key in log.keys:
        if key.key_type != TYPE_ED25519 or key.name != log.origin:
            raise WitnessError(
                f"{path}: log {log.origin!r}: {key.vkey} is not an Ed25519 key named after the origin"
            )
    return log


# -- files --------------------------------------------------------------------------------------------


def _atomic_write(path: Path, data: bytes) -> None:
    """Write-then-rename with fsyncs: a crash leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class AppendOnlyRecord:
    """JSON lines, each carrying ``prev``: the SHA-256 of the line before it (64 zeros first)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _last_line(self) -> bytes | None:
        try:
            with self.path.open("rb") as fh:
                fh.seek(0, os.SEEK_END)
                end = fh.tell()
                if end == 0:
                    return None
                chunk = b""
                position = end
                while position > 0:
                    step = min(4096, position)
                    position -= step
                    fh.seek(position)
                    chunk = fh.read(step) + chunk
                    stripped = chunk.rstrip(b"\n")
                    if b"\n" in stripped:
                        return stripped.rsplit(b"\n", 1)[1]
                return chunk.rstrip(b"\n")
        except FileNotFoundError:
            return None

    def append(self, record: dict[str, Any]) -> dict[str, Any]:
        """Append one record (the caller holds the witness lock); returns it with ``seq``/``prev``."""
        last = self._last_line()
        previous = hashlib.sha256(last).hexdigest() if last is not None else GENESIS
        seq = 1
        if last is not None:
            try:
                seq = int(json.loads(last).get("seq", 0)) + 1
            except (ValueError, AttributeError):
                seq = 0
        full = {"seq": seq, **record, "prev": previous}
        line = json.dumps(full, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        return full

    def read(self) -> tuple[list[dict[str, Any]], list[str]]:
        """All records, and the problems found checking their chain (empty: intact)."""
        records: list[dict[str, Any]] = []
        problems: list[str] = []
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return records, problems
        previous = GENESIS
        for number, line in enumerate(data.splitlines(), start=1):
            try:
                record = json.loads(line)
            except ValueError:
                problems.append(f"line {number} is not JSON")
                previous = hashlib.sha256(line).hexdigest()
                continue
            if not isinstance(record, dict) or record.get("prev") != previous:
                problems.append(
                    f"line {number} does not follow the line before it: lines were edited or removed"
                )
            if isinstance(record, dict):
                records.append(record)
            previous = hashlib.sha256(line).hexdigest()
        return records, problems


# -- state ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Held:
    """The latest checkpoint cosigned for one log."""

    tree_size: int
    root_hash: bytes
    note: str  # the checkpoint with the log signatures verified and this witness's cosignatures
    cosigned_at: int

    def to_json(self) -> dict[str, Any]:
        return {
            "tree_size": self.tree_size,
            "root_hash": b64(self.root_hash),
            "checkpoint": self.note,
            "cosigned_at": utc_text(self.cosigned_at),
            "cosigned_at_unix": self.cosigned_at,
        }


def read_state_document(document: object) -> tuple[str | None, dict[str, Held]]:
    """The witness name and held checkpoints of a state file's JSON; raises WitnessError."""
    if not isinstance(document, dict) or document.get("format") != STATE_FORMAT:
        raise WitnessError(f"not a {STATE_FORMAT} document")
    if document.get("version") != FORMAT_VERSION:
        raise WitnessError(f"unsupported witness state version {document.get('version')!r}")
    logs = document.get("logs")
    if not isinstance(logs, dict):
        raise WitnessError("the witness state has no logs")
    held: dict[str, Held] = {}
    for origin, entry in logs.items():
        try:
            note = parse_note(entry["checkpoint"])
            checkpoint = parse_checkpoint_text(note.text)
            cosigned_at = int(entry.get("cosigned_at_unix", 0))
        except (KeyError, TypeError, ValueError) as exc:
            raise WitnessError(f"log {origin!r}: the held checkpoint cannot be read: {exc}") from exc
        if checkpoint.origin != origin:
            raise WitnessError(f"log {origin!r}: the held checkpoint is for {checkpoint.origin!r}")
        held[origin] = Held(checkpoint.tree_size, checkpoint.root_hash, entry["checkpoint"], cosigned_at)
    witness = document.get("witness") if isinstance(document.get("witness"), dict) else {}
    name = witness.get("name") if isinstance(witness, dict) else None
    return (name if isinstance(name, str) else None), held


# -- add-checkpoint ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, body, content type."""

    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    kind: str = ""  # for refusals: what was wrong (see EVIDENCE_KINDS)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def _plain(status: int, message: str, kind: str = "") -> Answer:
    return Answer(status, (message.rstrip("\n") + "\n").encode("utf-8"), kind=kind)


@dataclass
class Witness:
    """One witness: its name and keys, its state file and its two records."""

    name: str
    keys: list[Ed25519PrivateKey]
    logs: dict[str, LogConfig]
    state_path: Path
    refusals: AppendOnlyRecord
    history: AppendOnlyRecord
    clock: Callable[[], float] = time.time
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_config(cls, config: WitnessConfig, clock: Callable[[], float] = time.time) -> Witness:
        keys = [read_key_file(config.resolve(k)) for k in config.key_files]
        return cls(
            name=config.name,
            keys=keys,
            logs=config.logs,
            state_path=config.resolve(config.state),
            refusals=AppendOnlyRecord(config.resolve(config.refusals)),
            history=AppendOnlyRecord(config.resolve(config.history)),
            clock=clock,
        )

    @property
    def vkeys(self) -> list[VerifierKey]:
        return [witness_vkey(self.name, key) for key in self.keys]

    # state

    @contextmanager
    def locked(self) -> Iterator[None]:
        """The witness lock: one thread, and one process, at a time reads-checks-writes the state."""
        with self._lock:
            lock_path = self.state_path.with_name(self.state_path.name + ".lock")
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def load_state(self) -> dict[str, Held]:
        try:
            document = json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise WitnessError(f"cannot read the witness state {self.state_path}: {exc}") from exc
        return read_state_document(document)[1]

    def _save_state(self, held: dict[str, Held]) -> None:
        document = {
            "format": STATE_FORMAT,
            "version": FORMAT_VERSION,
            "witness": {"name": self.name, "vkeys": [k.vkey for k in self.vkeys]},
            "logs": {origin: h.to_json() for origin, h in sorted(held.items())},
        }
        _atomic_write(self.state_path, (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode())

    def held(self, origin: str) -> Held | None:
        with self.locked():
            return self.load_state().get(origin)

    # the protocol

    def add_checkpoint(self, body: bytes) -> Answer:
        """``POST add-checkpoint``: cosign, or refuse with the status tlog-witness prescribes."""
        if len(body) > MAX_REQUEST_BYTES:
            return _plain(413, "request too large")
        try:
            request = parse_add_checkpoint(body)
            note = parse_note(request.checkpoint)
            checkpoint = parse_checkpoint_text(note.text)
        except (CheckpointError, NoteError) as exc:
            return _plain(400, f"malformed request: {exc}")
        log = self.logs.get(checkpoint.origin)
        if log is None:
            return _plain(404, f"unknown log {checkpoint.origin!r}")
        try:
            verified, _ = check_signatures(note, log.keys)
        except NoteVerificationError as exc:
            return _plain(403, str(exc))
        if not verified:
            return _plain(403, "no trusted key of this log signed the checkpoint")
        log_signatures = [v.signature for v in verified]

        with self.locked():
            state = self.load_state()
            held = state.get(checkpoint.origin)
            held_size = held.tree_size if held else 0
            held_root = held.root_hash if held else EMPTY_ROOT
            answer = self._judge(request.old_size, request.proof, checkpoint, held_size, held_root)
            if answer is not None:
                self._refuse(answer, request.old_size, checkpoint, held, body)
                return answer
            now = int(self.clock())
            if now <= 0:
                return _plain(500, "the witness clock is not set")
            cosignatures = [cosign(note.text, self.name, key, now) for key in self.keys]
            stored = format_note(note.text, [*log_signatures, *cosignatures]).decode("utf-8")
            state[checkpoint.origin] = Held(checkpoint.tree_size, checkpoint.root_hash, stored, now)
            self._save_state(state)  # persisted before answering (tlog-witness)
            self.history.append(
                {
                    "at": utc_text(now),
                    "origin": checkpoint.origin,
                    "old_size": held_size,
                    "tree_size": checkpoint.tree_size,
                    "root_hash": b64(checkpoint.root_hash),
                    "checkpoint": stored,
                }
            )
        return Answer(200, "".join(c.line for c in cosignatures).encode("utf-8"))

    @staticmethod
    def _judge(
        old_size: int,
        proof: tuple[bytes, ...],
        checkpoint: CheckpointText,
        held_size: int,
        held_root: bytes,
    ) -> Answer | None:
        """None to cosign, else the refusal. Order and codes: tlog-witness@v1.0.0."""
        size, root = checkpoint.tree_size, checkpoint.root_hash
        if size < held_size:
            kind = "rollback"
        elif size == held_size and root != held_root:
            kind = "fork"
        else:
            kind = ""
        if old_size > size:
            return _plain(
                400, f"the old size {old_size} is larger than the checkpoint's {size}", kind or "bad_request"
            )
        if old_size != held_size:
            return Answer(
                409, f"{held_size}\n".encode("ascii"), SIZE_CONTENT_TYPE, kind or "old_size_mismatch"
            )
        if size == 0 and root != EMPTY_ROOT:
            return _plain(422, "a checkpoint of size 0 has the root of the empty tree", "bad_empty_root")
        if old_size == 0 and proof:
            return _plain(422, "no consistency proof is sent from the empty tree", "proof_not_empty")
        if old_size == size:
            if root != held_root:
                return _plain(422, f"a different root for size {size} than the one cosigned", "fork")
            return None
        if not verify_consistency(old_size, size, held_root, root, list(proof)):
            return _plain(
                422,
                f"the consistency proof from {old_size} to {size} does not verify: "
                "the log does not extend the checkpoint cosigned before",
                "inconsistent",
            )
        return None

    def _refuse(
        self, answer: Answer, old_size: int, checkpoint: CheckpointText, held: Held | None, body: bytes
    ) -> None:
        """Keep a refused, validly signed checkpoint (the caller holds the lock)."""
        self.refusals.append(
            {
                "at": utc_text(self.clock()),
                "origin": checkpoint.origin,
                "status": answer.status,
                "kind": answer.kind,
                "evidence": answer.kind in EVIDENCE_KINDS,
                "reason": answer.text.strip(),
                "old_size": old_size,
                "tree_size": checkpoint.tree_size,
                "root_hash": b64(checkpoint.root_hash),
                "held": (
                    {"tree_size": held.tree_size, "root_hash": b64(held.root_hash), "checkpoint": held.note}
                    if held
                    else None
                ),
                "request": body.decode("utf-8", errors="replace"),
            }
        )


def cosignature_lines(signatures: list[NoteSignature]) -> str:
    return "".join(s.line for s in signatures)
