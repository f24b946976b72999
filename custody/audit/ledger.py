"""The global log as the app sees it: signing settings, the log head, checkpoints and proofs.

``custody.audit.sequencer`` appends to the log at commit; this module reads it and signs its
heads. Nothing here commits: callers (views, CLI, the sequencer) own the transaction.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, overload

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from custody.domain.errors import DomainError, NotFound
from custody.domain.i18n import N_
from custody.models.ledger import LOG_STATE_ID, Checkpoint, LogEntry, LogState
from custody.orm import utcnow

from .canonical import format_timestamp
from .merkle import BLOCK_SIZE, EMPTY_ROOT, MerkleFrontier, MerkleTree
from .note import TYPE_ED25519, NoteSignature, VerifierKey, valid_key_name
from .signing import (
    checkpoint_body,
    generate_private_key_text,
    key_id,
    load_private_key,
    load_public_key,
    public_key_to_text,
    raw_public_key,
    sign_checkpoint,
)

EXTENSION_KEY = "custody_ledger"
KEY_FILE_NAME = "ledger_signing_key"


class ProofRequestError(DomainError):
    """A proof or checkpoint was asked for a tree size or leaf the log does not have (400)."""

    status = 400
    title = "Bad request"


class LedgerNotInitialised(RuntimeError):
    """The ``log_state`` row is missing: the database was not migrated (``flask db upgrade``)."""


# -- settings and keys --------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerSettings:
    """Who signs checkpoints and when, resolved once per app from its configuration."""

    origin: str
    private_key: Ed25519PrivateKey
    every_events: int = 100
    every_minutes: int = 10
    # Witnesses (docs/LEDGER.md §11): how many agencies must cosign a checkpoint (k of n; fewer
    # when fewer are registered), and how long to wait for a witness's answer.
    witness_quorum: int = 2
    witness_timeout: float = 5.0
    # Earlier keys whose checkpoints still verify (key rotation), by key id; the current key too.
    trusted_keys: Mapping[str, Ed25519PublicKey] = field(default_factory=dict)
    # Complete-subtree hashes of the log for generating proofs (see MerkleTree). A proof is checked
    # against a signed root, so a cached sibling cannot make a false proof pass; verify_ledger,
    # which rebuilds the tree from the events themselves, never uses it.
    tree_cache: MutableMapping[tuple[int, int], bytes] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def public_key_for(self, kid: str) -> Ed25519PublicKey | None:
        if kid == self.key_id:
            return self.public_key
        return self.trusted_keys.get(kid)

    @property
    def note_key(self) -> VerifierKey:
        """The signing key as a signed-note verifier key: named after the origin, type 0x01."""
        return VerifierKey.for_key(self.origin, TYPE_ED25519, self.public_key)

    def note_keys(self) -> list[VerifierKey]:
        """Every trusted signing key (current first) as a signed-note verifier key."""
        others = [k for kid, k in sorted(self.trusted_keys.items()) if kid != self.key_id]
        return [self.note_key, *(VerifierKey.for_key(self.origin, TYPE_ED25519, k) for k in others)]


def instance_secret_file(instance_dir: Path, name: str, make: Any) -> str:
    """Read ``instance_dir/name``, creating it (mode 0600) with ``make()`` the first time.

    Written to a temporary file and linked into place, so two processes starting at once (test
    workers, gunicorn workers) agree on one value and never read a half-written file.
    """
    path = instance_dir / name
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    temporary = instance_dir / f".{name}.{os.getpid()}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(make())
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process won the race: use its key
    finally:
        temporary.unlink()
    return path.read_text().strip()


def parse_public_keys(text: str | None) -> dict[str, Ed25519PublicKey]:
    """``CUSTODY_LEDGER_TRUSTED_KEYS``: base64 raw public keys separated by commas or whitespace."""
    keys: dict[str, Ed25519PublicKey] = {}
    for part in re.split(r"[\s,]+", text or ""):
        if part:
            key = load_public_key(part)
            keys[key_id(key)] = key
    return keys


def settings_from_config(config: Mapping[str, Any], instance_path: str) -> LedgerSettings:
    """Resolve the signing key: configured, else (outside production) kept in instance/."""
    text = config.get("CUSTODY_LEDGER_SIGNING_KEY")
    if not text:
        if config.get("ENV_NAME") == "production":
            raise RuntimeError("Production needs CUSTODY_LEDGER_SIGNING_KEY")
        text = instance_secret_file(Path(instance_path), KEY_FILE_NAME, generate_private_key_text)
    private_key = load_private_key(text)
    trusted = parse_public_keys(config.get("CUSTODY_LEDGER_TRUSTED_KEYS"))
    trusted[key_id(private_key.public_key())] = private_key.public_key()
    origin = config.get("CUSTODY_LEDGER_ORIGIN") or "custody-tracker/audit"
    if not valid_key_name(origin):
        # The origin is also the key name of the log's signature line (C2SP tlog-checkpoint).
        raise RuntimeError(
            f"CUSTODY_LEDGER_ORIGIN {origin!r} must be one word without spaces or '+', e.g. pudong.custody/audit"
        )
    return LedgerSettings(
        origin=origin,
        private_key=private_key,
        every_events=int(config.get("CUSTODY_CHECKPOINT_EVERY_EVENTS", 100)),
        every_minutes=int(config.get("CUSTODY_CHECKPOINT_EVERY_MINUTES", 10)),
        witness_quorum=int(config.get("CUSTODY_WITNESS_QUORUM", 2)),
        witness_timeout=float(config.get("CUSTODY_WITNESS_TIMEOUT_SECONDS", 5)),
        trusted_keys=trusted,
    )


def init_app(app: Any) -> None:
    """Load the signing settings into ``app.extensions`` (fails at start-up on a bad key)."""
    app.extensions[EXTENSION_KEY] = settings_from_config(app.config, app.instance_path)


def current_settings() -> LedgerSettings:
    from flask import current_app

    return current_app.extensions[EXTENSION_KEY]


def settings_if_available() -> LedgerSettings | None:
    """The current app's settings, or None outside an app (a bare session in a script)."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return None
    return current_app.extensions.get(EXTENSION_KEY)


def public_key_document(settings: LedgerSettings) -> dict[str, Any]:
    """What ``GET /api/v1/audit/public-key`` publishes."""
    others = [
        {"key_id": kid, "public_key": public_key_to_text(key)}
        for kid, key in sorted(settings.trusted_keys.items())
        if kid != settings.key_id
    ]
    return {
        "algorithm": "Ed25519",
        "origin": settings.origin,
        "key_id": settings.key_id,
        "public_key": public_key_to_text(settings.public_key),
        "public_key_sha256": hashlib.sha256(raw_public_key(settings.public_key)).hexdigest(),
        "vkey": settings.note_key.vkey,
        "previous_keys": others,
    }


# -- the log head -------------------------------------------------------------------------------


@dataclass
class LogHead:
    tree_size: int
    frontier: MerkleFrontier
    last_checkpoint_size: int
    pending_since: datetime | None

    @property
    def root(self) -> bytes:
        return self.frontier.root()


def read_head(session: Session, *, lock: bool = False) -> LogHead:
    """The log head; ``lock`` takes the log's row lock until the transaction ends.

    A Core query (not an ORM entity): the identity map must never hand back a stale head.
    """
    stmt = select(
        LogState.tree_size, LogState.frontier, LogState.last_checkpoint_size, LogState.pending_since
    ).where(LogState.id == LOG_STATE_ID)
    if lock:
        stmt = stmt.with_for_update()
    row = session.execute(stmt).one_or_none()
    if row is None:
        raise LedgerNotInitialised("the audit log has no log_state row: run `flask db upgrade`")
    return LogHead(
        row.tree_size,
        MerkleFrontier.from_hex(row.tree_size, row.frontier or []),
        row.last_checkpoint_size,
        row.pending_since,
    )


def checkpoint_due(settings: LedgerSettings, head: LogHead, now: datetime) -> bool:
    """Every ``every_events`` entries, or once the oldest unsigned entry is ``every_minutes`` old."""
    unsigned = head.tree_size - head.last_checkpoint_size
    if unsigned <= 0:
        return False
    if settings.every_events > 0 and unsigned >= settings.every_events:
        return True
    return bool(
        settings.every_minutes > 0
        and head.pending_since is not None
        and now - head.pending_since >= timedelta(minutes=settings.every_minutes)
    )


def sign_head(
    session: Session, settings: LedgerSettings, tree_size: int, root: bytes, now: datetime | None = None
) -> Checkpoint:
    """Sign ``(tree_size, root)`` and store the checkpoint. The caller holds the log lock."""
    now = now or utcnow()
    signature = sign_checkpoint(settings.private_key, settings.origin, tree_size, root, now)
    checkpoint = Checkpoint(
        tree_size=tree_size,
        root_hash=root.hex(),
        timestamp=now,
        origin=settings.origin,
        key_id=settings.key_id,
        signature=base64.b64encode(signature).decode("ascii"),
    )
    session.add(checkpoint)
    session.flush()
    return checkpoint


@overload
def create_checkpoint(session: Session, settings: LedgerSettings) -> Checkpoint: ...


@overload
def create_checkpoint(
    session: Session, settings: LedgerSettings, *, only_if_grown: bool
) -> Checkpoint | None: ...


def create_checkpoint(
    session: Session, settings: LedgerSettings, *, only_if_grown: bool = False
) -> Checkpoint | None:
    """Sign the current head now (``flask custody checkpoint``, dossier export).

    With ``only_if_grown``, returns None when the latest checkpoint already covers the log.
    """
    head = read_head(session, lock=True)
    if (
        only_if_grown
        and head.tree_size == head.last_checkpoint_size
        and latest_checkpoint(session) is not None
    ):
        return None
    checkpoint = sign_head(session, settings, head.tree_size, head.root)
    session.execute(
        update(LogState)
        .where(LogState.id == LOG_STATE_ID)
        .values(last_checkpoint_size=head.tree_size, pending_since=None)
    )
    return checkpoint


def latest_checkpoint(session: Session) -> Checkpoint | None:
    return session.scalar(
        select(Checkpoint).order_by(Checkpoint.tree_size.desc(), Checkpoint.id.desc()).limit(1)
    )


def checkpoint_covering(session: Session, settings: LedgerSettings, size: int) -> Checkpoint:
    """The latest checkpoint if it covers the first ``size`` entries, else a new one."""
    latest = latest_checkpoint(session)
    if latest is not None and latest.tree_size >= size:
        return latest
    return create_checkpoint(session, settings)


def checkpoint_document(checkpoint: Checkpoint) -> dict[str, Any]:
    """A checkpoint as JSON: what agencies keep and what ``--against`` reads (docs/LEDGER.md §7)."""
    return {
        "origin": checkpoint.origin,
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "timestamp": format_timestamp(checkpoint.timestamp),
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
    }


def checkpoint_note_text(checkpoint: Checkpoint) -> str:
    """The checkpoint's note text (its signed body, §4.1)."""
    return checkpoint_body(
        checkpoint.origin, checkpoint.tree_size, bytes.fromhex(checkpoint.root_hash), checkpoint.timestamp
    ).decode("utf-8")


def log_signature(settings: LedgerSettings, checkpoint: Checkpoint) -> NoteSignature | None:
    """The log's signature of a stored checkpoint as a signed-note signature line.

    The stored Ed25519 signature already signs exactly the note text; only the key name (the
    origin) and the 4-byte key ID are added. None when the checkpoint names a key we do not know.
    """
    public_key = settings.public_key_for(checkpoint.key_id)
    if public_key is None:
        return None
    try:
        signature = base64.b64decode(checkpoint.signature, validate=True)
    except ValueError:
        return None
    verifier = VerifierKey.for_key(checkpoint.origin, TYPE_ED25519, public_key)
    return NoteSignature(checkpoint.origin, verifier.key_id, signature)


# -- proofs -------------------------------------------------------------------------------------


def leaf_fetcher(session: Session) -> Callable[[int, int], Sequence[bytes]]:
    """Stored leaf hashes of ``[start, end)``, read in aligned blocks and kept for this call."""
    blocks: dict[int, list[bytes]] = {}

    def block(number: int) -> list[bytes]:
        if number not in blocks:
            start = number * BLOCK_SIZE
            rows = session.execute(
                select(LogEntry.log_index, LogEntry.leaf_hash)
                .where(LogEntry.log_index >= start, LogEntry.log_index < start + BLOCK_SIZE)
                .order_by(LogEntry.log_index)
            ).all()
            blocks[number] = [bytes.fromhex(r.leaf_hash) for r in rows]
        return blocks[number]

    def fetch(start: int, end: int) -> Sequence[bytes]:
        out: list[bytes] = []
        for number in range(start // BLOCK_SIZE, (end - 1) // BLOCK_SIZE + 1):
            base = number * BLOCK_SIZE
            out.extend(block(number)[max(start - base, 0) : end - base])
        return out

    return fetch


def log_tree(session: Session, settings: LedgerSettings | None, size: int) -> MerkleTree:
    """A view of the first ``size`` stored leaves, sharing the app's subtree cache."""
    cache = settings.tree_cache if settings is not None else None
    return MerkleTree(size, leaf_fetcher(session), cache)


def _size_in_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ProofRequestError(
            N_("%(name)s must be between %(low)s and %(high)s."),
            code="audit.out_of_range",
            fields={name: [N_("Out of range.")]},
            name=name,
            low=low,
            high=high,
        )


def resolve_tree_size(session: Session, tree_size: int | None) -> tuple[int, Checkpoint | None]:
    """The size a proof is for (default: the latest checkpoint's) and the checkpoint at it, if any."""
    head = read_head(session)
    if tree_size is None:
        latest = latest_checkpoint(session)
        if latest is None:
            raise NotFound(N_("No checkpoint has been signed yet."), code="audit.no_checkpoint")
        return latest.tree_size, latest
    _size_in_range("tree_size", tree_size, 0, head.tree_size)
    checkpoint = session.scalar(
        select(Checkpoint).where(Checkpoint.tree_size == tree_size).order_by(Checkpoint.id.desc()).limit(1)
    )
    return tree_size, checkpoint


def log_index_of(session: Session, event_id: int) -> int | None:
    return session.scalar(select(LogEntry.log_index).where(LogEntry.event_id == event_id))


def inclusion(
    session: Session, settings: LedgerSettings, event_id: int, log_index: int, tree_size: int | None
) -> dict[str, Any]:
    """The audit path of ``log_index`` in the tree of ``tree_size`` (default: latest checkpoint)."""
    size, checkpoint = resolve_tree_size(session, tree_size)
    if log_index >= size:
        raise ProofRequestError(
            N_("Event %(event_id)s is entry %(index)s of the log, not inside a tree of %(size)s entries."),
            code="audit.not_in_tree",
            fields={"tree_size": [N_("Out of range.")]},
            event_id=event_id,
            index=log_index,
            size=size,
        )
    tree = log_tree(session, settings, size)
    leaf = session.scalar(select(LogEntry.leaf_hash).where(LogEntry.log_index == log_index))
    return {
        "event_id": event_id,
        "log_index": log_index,
        "tree_size": size,
        "leaf_hash": leaf,
        "root_hash": tree.root().hex(),
        "proof": [p.hex() for p in tree.inclusion_proof(log_index)],
        "checkpoint": checkpoint_document(checkpoint) if checkpoint is not None else None,
    }


def consistency(session: Session, settings: LedgerSettings, first: int, second: int | None) -> dict[str, Any]:
    """The proof that the tree of ``first`` entries is a prefix of the tree of ``second``."""
    second, second_checkpoint = resolve_tree_size(session, second)
    _size_in_range("first", first, 0, second)
    first_checkpoint = session.scalar(
        select(Checkpoint).where(Checkpoint.tree_size == first).order_by(Checkpoint.id.desc()).limit(1)
    )
    tree = log_tree(session, settings, second)
    first_root = tree.subtree_hash(0, first) if first else EMPTY_ROOT
    return {
        "first": first,
        "second": second,
        "first_root": first_root.hex(),
        "second_root": tree.root().hex(),
        "proof": [p.hex() for p in tree.consistency_proof(first)],
        "first_checkpoint": checkpoint_document(first_checkpoint) if first_checkpoint else None,
        "second_checkpoint": checkpoint_document(second_checkpoint) if second_checkpoint else None,
    }
