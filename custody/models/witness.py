"""Witnesses of the audit log: the agencies' registered keys, the trust policy, their cosignatures.

Each agency (and optionally a supervisor) runs a witness (``python -m custody.witness``) with its
own key. The log registers each witness and its public keys (``witness``, ``witness_key``); every
change to that list writes a new version of the trust policy (``witness_policy``, C2SP
tlog-policy text) and an audit event carrying it. ``checkpoint_cosignature`` keeps each witness's
``cosignature/v1`` of a checkpoint. Policies and cosignatures are append-only like the record
itself (database triggers, migration 0050). docs/LEDGER.md §11.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custody.orm import Base, BigId, utcnow

from .agency import Agency


class Witness(Base):
    """A party that cosigns checkpoints: usually one agency. ``name`` is its name in the policy."""

    __tablename__ = "witness"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    # Its tlog-witness submission prefix, for pushing checkpoints (None: it polls the log instead).
    url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]
    # What pushing has learnt (a cache, not evidence): the size the witness last cosigned or named
    # in a 409, and how the last exchange went.
    known_size: Mapped[int] = mapped_column(BigInteger, default=0)
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_status: Mapped[str | None] = mapped_column(String(32))
    last_message: Mapped[str | None] = mapped_column(String(500))

    agency: Mapped[Agency | None] = relationship()
    keys: Mapped[list[WitnessKey]] = relationship(
        back_populates="witness", order_by="WitnessKey.id", lazy="selectin"
    )

    @property
    def active_keys(self) -> list[WitnessKey]:
        return [k for k in self.keys if k.retired_at is None]


class WitnessKey(Base):
    """One public key of a witness (two overlap while a key is rotated)."""

    __tablename__ = "witness_key"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    witness_id: Mapped[int] = mapped_column(ForeignKey("witness.id"), index=True)
    key_name: Mapped[str] = mapped_column(String(255))  # the signed-note key name
    key_id: Mapped[str] = mapped_column(String(8))  # hex of the 4-byte signed-note key ID
    public_key: Mapped[str] = mapped_column(String(44), unique=True)  # base64 of the raw key
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]

    witness: Mapped[Witness] = relationship(back_populates="keys", lazy="joined")


class WitnessPolicy(Base):
    """A version of the trust policy: which log keys and witness keys count, and the quorum."""

    __tablename__ = "witness_policy"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    quorum: Mapped[int] = mapped_column(Integer)  # the configured k (the text may need fewer)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Cosignature(Base):
    """A witness's ``cosignature/v1`` of a stored checkpoint."""

    __tablename__ = "checkpoint_cosignature"
    __table_args__ = (UniqueConstraint("checkpoint_id", "witness_key_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(BigId, ForeignKey("checkpoint.id"), index=True)
    witness_key_id: Mapped[int] = mapped_column(BigId, ForeignKey("witness_key.id"), index=True)
    timestamp: Mapped[datetime]  # the witness's own time (the cosignature's)
    # base64 of key ID || timestamp || Ed25519 signature, as on the witness's signature line
    signature: Mapped[str] = mapped_column(String(120))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    key: Mapped[WitnessKey] = relationship(lazy="joined")
