"""Signed checkpoints of the global Merkle log (Ed25519).

A checkpoint commits to the log's origin, tree size, root hash and the time it was taken. Its
signed body follows the C2SP tlog-checkpoint note layout — origin, decimal size, base64 root, each
on its own line — with the timestamp as a fourth (extension) line::

    custody.example/audit
    8
    XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=
    2026-03-01T08:00:00.123456Z

The signature is plain Ed25519 (RFC 8032) over exactly those bytes. ``docs/LEDGER.md`` is the
specification. Only ``cryptography`` is needed besides the standard library, so the stand-alone
verifier can share this module.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .canonical import format_timestamp

ROOT_HASH_SIZE = 32
SIGNATURE_SIZE = 64
RAW_KEY_SIZE = 32
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass(frozen=True)
class Checkpoint:
    """One signed statement about the log head."""

    origin: str
    tree_size: int
    root_hash: bytes
    timestamp: datetime

    def body(self) -> bytes:
        return checkpoint_body(self.origin, self.tree_size, self.root_hash, self.timestamp)


def _check_origin(origin: str) -> None:
    if not isinstance(origin, str) or not origin:
        raise ValueError("the checkpoint origin must be a non-empty string")
    # A line break would let one body parse as another; other control characters only hide.
    if origin != origin.strip() or any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in origin):
        raise ValueError("the checkpoint origin must be one line without surrounding whitespace")


def checkpoint_body(origin: str, tree_size: int, root_hash: bytes, timestamp: datetime) -> bytes:
    """The exact UTF-8 bytes that are signed; raises ValueError for a field it cannot carry."""
    _check_origin(origin)
    if not isinstance(tree_size, int) or isinstance(tree_size, bool) or tree_size < 0:
        raise ValueError("the tree size must be a non-negative int")
    if not isinstance(root_hash, bytes | bytearray) or len(root_hash) != ROOT_HASH_SIZE:
        raise ValueError(f"the root hash must be {ROOT_HASH_SIZE} bytes")
    if not isinstance(timestamp, datetime):
        raise ValueError("the timestamp must be a datetime")
    try:
        when = format_timestamp(timestamp)  # raises ValueError for a naive datetime
    except OverflowError as exc:  # an offset that pushes year 1 or 9999 out of range
        raise ValueError("the timestamp is out of range") from exc
    lines = (origin, str(tree_size), base64.b64encode(bytes(root_hash)).decode("ascii"), when)
    return "".join(line + "\n" for line in lines).encode("utf-8")


def parse_checkpoint_body(body: bytes) -> Checkpoint:
    """Read a body back; raises ValueError unless it is exactly what ``checkpoint_body`` writes.

    Re-serialising and comparing byte for byte rejects every alternative spelling (leading zeros,
    ``+`` signs, unpadded base64, other time zones), so one checkpoint has exactly one body.
    """
    try:
        text = body.decode("utf-8")
    except (AttributeError, UnicodeDecodeError) as exc:
        raise ValueError("a checkpoint body must be UTF-8 bytes") from exc
    lines = text.split("\n")
    if len(lines) != 5 or lines[4] != "":
        raise ValueError("a checkpoint body has exactly four lines, each ending in a newline")
    origin, size_text, root_text, time_text, _ = lines
    try:
        checkpoint = Checkpoint(
            origin=origin,
            tree_size=int(size_text),
            root_hash=base64.b64decode(root_text, validate=True),
            timestamp=datetime.strptime(time_text, TIMESTAMP_FORMAT).replace(tzinfo=UTC),
        )
        canonical = checkpoint.body()
    except (ValueError, binascii.Error) as exc:
        raise ValueError(f"malformed checkpoint body: {exc}") from exc
    if canonical != body:
        raise ValueError("the checkpoint body is not in canonical form")
    return checkpoint


def sign_checkpoint(
    private_key: Ed25519PrivateKey, origin: str, tree_size: int, root_hash: bytes, timestamp: datetime
) -> bytes:
    """The 64-byte Ed25519 signature of the checkpoint body."""
    return private_key.sign(checkpoint_body(origin, tree_size, root_hash, timestamp))


def verify_checkpoint(
    public_key: Ed25519PublicKey,
    origin: str,
    tree_size: int,
    root_hash: bytes,
    timestamp: datetime,
    signature: bytes,
) -> bool:
    """Whether ``signature`` is ``public_key``'s signature of this checkpoint.

    Never raises for untrusted input: a forged, truncated or non-bytes signature and any field
    that ``checkpoint_body`` refuses all give False. Only a public key of the wrong type raises
    (TypeError), since that is a bug in the caller.
    """
    if not isinstance(public_key, Ed25519PublicKey):
        raise TypeError("public_key must be an Ed25519PublicKey")
    if not isinstance(signature, bytes | bytearray) or len(signature) != SIGNATURE_SIZE:
        return False
    try:
        body = checkpoint_body(origin, tree_size, root_hash, timestamp)
    except ValueError:
        return False
    try:
        public_key.verify(bytes(signature), body)
    except InvalidSignature:
        return False
    return True


# -- keys -------------------------------------------------------------------------------------


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    """Short public name of a key: the first 8 bytes of SHA-256(raw public key), lower-case hex."""
    return hashlib.sha256(raw_public_key(public_key)).digest()[:8].hex()


def _decode_raw(value: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{what} is neither PEM nor base64") from exc
    if len(raw) != RAW_KEY_SIZE:
        raise ValueError(f"{what} must be {RAW_KEY_SIZE} raw bytes, got {len(raw)}")
    return raw


def load_private_key(value: str) -> Ed25519PrivateKey:
    """A signing key from PEM (unencrypted PKCS#8) or the base64 of the raw 32-byte seed.

    Error messages never echo the value, since it is a secret.
    """
    text = value.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        except (ValueError, TypeError, UnicodeEncodeError) as exc:
            raise ValueError("the checkpoint signing key is not a readable unencrypted PEM key") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the checkpoint signing key must be an Ed25519 key")
        return key
    return Ed25519PrivateKey.from_private_bytes(_decode_raw(text, "the checkpoint signing key"))


def generate_private_key_text() -> str:
    """A new signing key as the base64 of its raw seed (for ``flask custody`` to print)."""
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode("ascii")


def public_key_to_text(public_key: Ed25519PublicKey) -> str:
    """The base64 of the raw 32-byte public key, the form published to agencies and auditors."""
    return base64.b64encode(raw_public_key(public_key)).decode("ascii")


def load_public_key(text: str) -> Ed25519PublicKey:
    """A verification key from ``public_key_to_text`` output or a PEM SubjectPublicKeyInfo."""
    value = text.strip()
    if value.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(value.encode("ascii"))
        except (ValueError, TypeError, UnicodeEncodeError) as exc:
            raise ValueError("not a readable PEM public key") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the checkpoint public key must be an Ed25519 key")
        return key
    return Ed25519PublicKey.from_public_bytes(_decode_raw(value, "the public key"))
