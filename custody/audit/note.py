"""C2SP signed notes, verifier keys and timestamped cosignatures (Ed25519 only).

* ``c2sp.org/signed-note@v1.0.0``: a text ending in a newline, a blank line, then one or more
  signature lines ``— <key name> base64(4-byte key ID || signature)``. Key IDs are
  ``SHA-256(name || 0x0A || type || public key)[:4]``; verifier keys ("vkeys") are
  ``name+hex(key ID)+base64(type || public key)``.
* ``c2sp.org/tlog-cosignature@v1.0.1`` (``cosignature/v1``, type ``0x04``): a witness signs
  ``"cosignature/v1\\ntime <POSIX seconds>\\n" || note text`` and its signature line carries
  ``key ID || uint64 big-endian timestamp || Ed25519 signature`` (76 bytes).

Standard library and ``cryptography`` only: the stand-alone verifier and witness import this.
``docs/LEDGER.md`` §11 describes the formats as this project uses them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

TYPE_ED25519 = 0x01  # a plain Ed25519 note signature (how the log signs its checkpoints)
TYPE_COSIGNATURE_V1 = 0x04  # a timestamped Ed25519 checkpoint cosignature (witnesses)
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
COSIGNATURE_HEADER = b"cosignature/v1\n"
COSIGNATURE_BLOB_SIZE = 8 + 64  # timestamp, Ed25519 signature (after the 4-byte key ID)
MAX_TIMESTAMP = 2**63 - 1
# Verifiers must accept at least 16 signatures; more than this is refused as abuse.
MAX_SIGNATURES = 100
ED25519_KEY_SIZE = 32


class NoteError(ValueError):
    """A note, signature line or key that does not follow the format."""


class NoteVerificationError(NoteError):
    """A signature from a known key failed to verify, or no known key signed the note."""


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def valid_key_name(name: object) -> bool:
    """Non-empty, no Unicode space and no ``+`` (signed-note §Format)."""
    return (
        isinstance(name, str)
        and bool(name)
        and "+" not in name
        and not any(ch.isspace() or ch in "\u2028\u2029\u0085" for ch in name)
        and not any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name)
    )


def key_id(name: str, key_type: int, public_key: bytes) -> int:
    """The 32-bit key ID: ``SHA-256(name || 0x0A || type || public key)[:4]``, big-endian."""
    if not valid_key_name(name):
        raise NoteError(f"invalid key name {name!r}")
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([key_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _b64decode(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise NoteError(f"{what} is not base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise NoteError(f"{what} is not in canonical base64")
    return raw


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# -- verifier keys ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifierKey:
    """A public key with the name and type its signatures are made under."""

    name: str
    key_type: int
    public_key: bytes  # raw 32-byte Ed25519 key

    def __post_init__(self) -> None:
        if not valid_key_name(self.name):
            raise NoteError(f"invalid key name {self.name!r}")
        if self.key_type not in (TYPE_ED25519, TYPE_COSIGNATURE_V1):
            raise NoteError(f"unsupported signature type 0x{self.key_type:02x}")
        if len(self.public_key) != ED25519_KEY_SIZE:
            raise NoteError("an Ed25519 public key is 32 bytes")

    @property
    def key_id(self) -> int:
        return key_id(self.name, self.key_type, self.public_key)

    @property
    def key_id_hex(self) -> str:
        return f"{self.key_id:08x}"

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.key_id_hex}+{b64(bytes([self.key_type]) + self.public_key)}"

    @property
    def ed25519(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.public_key)

    def matches(self, signature: NoteSignature) -> bool:
        return signature.name == self.name and signature.key_id == self.key_id

    def same_key(self, other: VerifierKey) -> bool:
        """Whether both wrap the same public key (tlog-policy's notion of a duplicate)."""
        return self.public_key == other.public_key

    @classmethod
    def for_key(cls, name: str, key_type: int, public_key: Ed25519PublicKey | bytes) -> VerifierKey:
        raw = public_key if isinstance(public_key, bytes) else _raw_public(public_key)
        return cls(name, key_type, raw)

    def __str__(self) -> str:
        return self.vkey


def parse_vkey(text: str) -> VerifierKey:
    """``name+hex8+base64(type || key)``; the key ID must be the one the name, type and key give."""
    if not isinstance(text, str):
        raise NoteError("a verifier key is text")
    value = text.strip()
    parts = value.split("+", 2)
    if len(parts) != 3:
        raise NoteError("a verifier key is name+keyid+key")
    name, id_hex, key_text = parts
    if len(id_hex) != 8 or any(c not in "0123456789abcdef" for c in id_hex):
        raise NoteError("the key ID of a verifier key is 8 lower-case hex digits")
    raw = _b64decode(key_text, "the key of a verifier key")
    if not raw:
        raise NoteError("the verifier key has no key")
    try:
        key = VerifierKey(name, raw[0], raw[1:])
    except NoteError:
        raise
    if key.key_id_hex != id_hex:
        raise NoteError(f"the key ID {id_hex} does not belong to this name and key")
    return key


# -- notes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: the signer's name, the 32-bit key ID and what follows it."""

    name: str
    key_id: int
    signature: bytes  # the bytes after the key ID

    @property
    def line(self) -> str:
        blob = self.key_id.to_bytes(4, "big") + self.signature
        return f"{SIGNATURE_PREFIX}{self.name} {b64(blob)}\n"

    @property
    def key_id_hex(self) -> str:
        return f"{self.key_id:08x}"


@dataclass(frozen=True)
class Note:
    text: str  # ends in a newline
    signatures: tuple[NoteSignature, ...]

    def encode(self) -> bytes:
        return format_note(self.text, self.signatures)


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("a note's text ends in a newline")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise NoteError("a note contains no control characters other than newline")


def format_note(text: str, signatures: Iterable[NoteSignature]) -> bytes:
    """The note as sent: text, a blank line, the signature lines."""
    _check_text(text)
    lines = [s.line for s in signatures]
    if not lines:
        raise NoteError("a signed note has at least one signature")
    return (text + "\n" + "".join(lines)).encode("utf-8")


def parse_signature_line(line: str) -> NoteSignature:
    """``— <name> <base64>`` without its newline."""
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteError("a signature line starts with an em dash and a space")
    rest = line[len(SIGNATURE_PREFIX) :]
    name, space, blob_text = rest.partition(" ")
    if not space or not valid_key_name(name) or " " in blob_text:
        raise NoteError("a signature line is: em dash, space, key name, space, base64")
    blob = _b64decode(blob_text, "a signature")
    if len(blob) < 5:
        raise NoteError("a signature is a 4-byte key ID and at least one byte more")
    return NoteSignature(name, int.from_bytes(blob[:4], "big"), blob[4:])


def parse_signature_lines(data: bytes | str) -> list[NoteSignature]:
    """Signature lines alone (a witness's answer to add-checkpoint), each ending in a newline."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    if not text.endswith("\n"):
        raise NoteError("signature lines end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError("too many signatures")
    return [parse_signature_line(line) for line in lines]


def parse_note(data: bytes | str) -> Note:
    """Split a signed note strictly; verifies nothing (see ``open_note``)."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError("a note is UTF-8") from exc
    else:
        text = data
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise NoteError("a note contains no control characters other than newline")
    if not text.endswith("\n"):
        raise NoteError("a signed note ends in a newline")
    split = text.rfind("\n\n")
    if split < 0:
        raise NoteError("a signed note has a blank line before its signatures")
    body, signature_text = text[: split + 1], text[split + 2 :]
    if not signature_text:
        raise NoteError("a signed note has at least one signature")
    return Note(body, tuple(parse_signature_lines(signature_text)))


# -- signing and verifying ------------------------------------------------------------------------


def sign_note_text(text: str, name: str, private_key: Ed25519PrivateKey) -> NoteSignature:
    """A plain Ed25519 note signature (type 0x01) of ``text``."""
    _check_text(text)
    verifier = VerifierKey.for_key(name, TYPE_ED25519, private_key.public_key())
    return NoteSignature(name, verifier.key_id, private_key.sign(text.encode("utf-8")))


def cosignature_message(text: str, timestamp: int) -> bytes:
    """What a ``cosignature/v1`` signs: header, ``time N`` line, the whole note text."""
    _check_timestamp(timestamp)
    _check_text(text)
    return COSIGNATURE_HEADER + f"time {timestamp}\n".encode("ascii") + text.encode("utf-8")


def _check_timestamp(timestamp: int) -> None:
    if not isinstance(timestamp, int) or isinstance(timestamp, bool) or not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError("a cosignature timestamp is an integer from 0 to 2^63-1")


def cosign(text: str, name: str, private_key: Ed25519PrivateKey, timestamp: int) -> NoteSignature:
    """A ``cosignature/v1`` (type 0x04) of the checkpoint ``text`` at ``timestamp`` (POSIX seconds)."""
    verifier = VerifierKey.for_key(name, TYPE_COSIGNATURE_V1, private_key.public_key())
    signature = private_key.sign(cosignature_message(text, timestamp))
    return NoteSignature(name, verifier.key_id, struct.pack(">Q", timestamp) + signature)


def cosignature_timestamp(signature: NoteSignature) -> int:
    """The timestamp a cosignature line carries; NoteError when it is not a cosignature/v1 blob."""
    if len(signature.signature) != COSIGNATURE_BLOB_SIZE:
        raise NoteError(f"a cosignature/v1 is {4 + COSIGNATURE_BLOB_SIZE} bytes")
    (timestamp,) = struct.unpack(">Q", signature.signature[:8])
    if timestamp > MAX_TIMESTAMP:
        raise NoteError("a cosignature timestamp does not exceed 2^63-1")
    return int(timestamp)


def verify_signature(text: str, signature: NoteSignature, verifier: VerifierKey) -> bool:
    """Whether ``signature`` is ``verifier``'s valid signature of ``text`` (never raises for bad input)."""
    if not verifier.matches(signature):
        return False
    try:
        payload = text.encode("utf-8")
        if verifier.key_type == TYPE_ED25519:
            if len(signature.signature) != 64:
                return False
            verifier.ed25519.verify(signature.signature, payload)
            return True
        timestamp = cosignature_timestamp(signature)
        verifier.ed25519.verify(signature.signature[8:], cosignature_message(text, timestamp))
        return True
    except (InvalidSignature, NoteError, ValueError):
        return False


@dataclass(frozen=True)
class Verified:
    verifier: VerifierKey
    signature: NoteSignature

    @property
    def timestamp(self) -> int | None:
        """The cosignature's timestamp (None for a plain signature)."""
        if self.verifier.key_type == TYPE_COSIGNATURE_V1:
            return cosignature_timestamp(self.signature)
        return None


def check_signatures(
    note: Note, verifiers: Sequence[VerifierKey]
) -> tuple[list[Verified], list[NoteSignature]]:
    """The note's signatures by known keys (all verified) and those by unknown keys (ignored).

    Raises NoteVerificationError when a signature whose name and key ID match a known key does not
    verify (signed-note: such a note is rejected), naming the key.
    """
    verified: list[Verified] = []
    unknown: list[NoteSignature] = []
    for signature in note.signatures:
        matching = [v for v in verifiers if v.matches(signature)]
        if not matching:
            unknown.append(signature)
            continue
        good = next((v for v in matching if verify_signature(note.text, signature, v)), None)
        if good is None:
            raise NoteVerificationError(
                f"the signature of {signature.name} (key {signature.key_id_hex}) does not verify"
            )
        verified.append(Verified(good, signature))
    return verified, unknown


def open_note(data: bytes | str, verifiers: Sequence[VerifierKey]) -> tuple[Note, list[Verified]]:
    """Parse and verify a note: at least one known key must have signed it, and every signature by
    a known key must verify. Signatures by unknown keys are ignored."""
    note = parse_note(data)
    verified, _ = check_signatures(note, verifiers)
    if not verified:
        raise NoteVerificationError("no known key signed the note")
    return note, verified


# -- keys as files ------------------------------------------------------------------------------


def private_key_from_text(text: str) -> Ed25519PrivateKey:
    """A private key from the base64 of its 32-byte seed (how witness key files are kept)."""
    raw = _b64decode(text.strip(), "the private key")
    if len(raw) != ED25519_KEY_SIZE:
        raise NoteError("an Ed25519 private key is a 32-byte seed")
    return Ed25519PrivateKey.from_private_bytes(raw)


def private_key_to_text(private_key: Ed25519PrivateKey) -> str:
    return b64(
        private_key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
    )
