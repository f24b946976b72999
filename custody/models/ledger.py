"""The global Merkle log over every audit event, its running head and its signed checkpoints.

``audit_event`` rows are the log's entries; ``log_entry`` gives each one its place (commit order)
and leaf hash, ``log_state`` keeps the running head (size and compact range) so that appending and
reading the root cost O(log n), and ``checkpoint`` holds the signed tree heads. ``log_entry`` and
``checkpoint`` are append-only like ``audit_event`` (database triggers, migration 0003);
``log_state`` is a cache that ``flask custody verify-audit`` re-derives. See docs/LEDGER.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custody.orm import Base, BigId

if TYPE_CHECKING:
    from .witness import Cosignature

# The one row of ``log_state``.
LOG_STATE_ID = 1


class LogEntry(Base):
    """Leaf ``log_index`` of the global tree: the event it stands for and its leaf hash."""

    __tablename__ = "log_entry"

    # Assigned by the sequencer (custody.audit.sequencer), contiguous from 0, never by the database.
    log_index: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    event_id: Mapped[int] = mapped_column(BigId, ForeignKey("audit_event.id"), unique=True)
    # SHA-256(0x00 || canonical entry), lower-case hex; kept so proofs need not re-read events.
    leaf_hash: Mapped[str] = mapped_column(String(64))


class LogState(Base):
    """The log head, updated under a row lock by every commit that records events."""

    __tablename__ = "log_state"
    __table_args__ = (CheckConstraint(f"id = {LOG_STATE_ID}", name="singleton"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    tree_size: Mapped[int] = mapped_column(BigInteger)
    # Roots of the perfect subtrees making up the tree, largest first (MerkleFrontier.to_hex).
    frontier: Mapped[list[Any]]
    last_checkpoint_size: Mapped[int] = mapped_column(BigInteger)
    # When the oldest entry not yet covered by a checkpoint was appended (None: all covered).
    pending_since: Mapped[datetime | None]


class Checkpoint(Base):
    """A signed statement "at ``timestamp`` log ``origin`` had ``tree_size`` entries, root ``root_hash``"."""

    __tablename__ = "checkpoint"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, index=True)
    root_hash: Mapped[str] = mapped_column(String(64))  # hex
    timestamp: Mapped[datetime]
    origin: Mapped[str] = mapped_column(String(255))
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(88))  # base64 of the 64-byte Ed25519 signature

    # The witnesses' cosignatures (custody.models.witness), oldest first.
    cosignatures: Mapped[list[Cosignature]] = relationship(order_by="Cosignature.id", viewonly=True)
