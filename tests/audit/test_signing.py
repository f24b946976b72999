"""Signed checkpoints: body format, Ed25519 signatures, key loading. Pure tests, no app."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from custody.audit.signing import (
    Checkpoint,
    checkpoint_body,
    generate_private_key_text,
    key_id,
    load_private_key,
    load_public_key,
    parse_checkpoint_body,
    public_key_to_text,
    sign_checkpoint,
    verify_checkpoint,
)

# RFC 8032 §7.1, TEST 1: an Ed25519 key pair and its signature of the empty message.
RFC8032_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_EMPTY_SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)

# The root of the 8-leaf RFC 6962 test tree (see test_merkle.py).
ROOT8 = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
ORIGIN = "custody.example/audit"
WHEN = datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)
CHECKPOINT = Checkpoint(ORIGIN, 8, ROOT8, WHEN)

# The worked example in docs/LEDGER.md.
EXAMPLE_BODY = (
    b"custody.example/audit\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n2026-03-01T08:00:00.123456Z\n"
)

EXAMPLE_SIGNATURE = "XadAH5Ow0gDlhesjoU3mQQM9m+SjlCjixRwRazJfXTtrgf8C+ny8jHdQ+OEA3g3YnIWvfEyekYHh/hqUq+odAQ=="
LEDGER_DOC = Path(__file__).resolve().parents[2] / "docs" / "LEDGER.md"


def key_from_seed() -> Ed25519PrivateKey:
    return load_private_key(base64.b64encode(RFC8032_SECRET).decode())


def test_body_is_byte_exact():
    assert checkpoint_body(ORIGIN, 8, ROOT8, WHEN) == EXAMPLE_BODY == CHECKPOINT.body()
    assert base64.b64decode(EXAMPLE_BODY.split(b"\n")[2]) == ROOT8
    # The same instant in another zone is the same checkpoint.
    beijing = WHEN.astimezone(timezone(timedelta(hours=8)))
    assert checkpoint_body(ORIGIN, 8, ROOT8, beijing) == EXAMPLE_BODY
    # Non-ASCII origins are UTF-8.
    assert checkpoint_body("涉案财物/审计", 0, ROOT8, WHEN).startswith("涉案财物/审计\n0\n".encode())


@pytest.mark.parametrize(
    ("origin", "size", "root", "when"),
    [
        ("", 8, ROOT8, WHEN),
        ("two\nlines", 8, ROOT8, WHEN),
        ("cr\rorigin", 8, ROOT8, WHEN),
        (" padded", 8, ROOT8, WHEN),
        ("sep\u2028arator", 8, ROOT8, WHEN),
        (ORIGIN, -1, ROOT8, WHEN),
        (ORIGIN, True, ROOT8, WHEN),
        (ORIGIN, "8", ROOT8, WHEN),
        (ORIGIN, 8, ROOT8[:-1], WHEN),
        (ORIGIN, 8, ROOT8.hex(), WHEN),
        (ORIGIN, 8, ROOT8, WHEN.replace(tzinfo=None)),
        (ORIGIN, 8, ROOT8, "2026-03-01T08:00:00.123456Z"),
    ],
)
def test_body_refuses_fields_it_cannot_carry(origin, size, root, when):
    with pytest.raises(ValueError):
        checkpoint_body(origin, size, root, when)
    assert not verify_checkpoint(key_from_seed().public_key(), origin, size, root, when, bytes(64))


def test_body_parses_back_and_only_in_canonical_form():
    assert parse_checkpoint_body(EXAMPLE_BODY) == CHECKPOINT
    variants = [
        EXAMPLE_BODY.replace(b"\n8\n", b"\n08\n"),
        EXAMPLE_BODY.replace(b"\n8\n", b"\n+8\n"),
        EXAMPLE_BODY.replace(b"\n8\n", b"\n 8\n"),
        EXAMPLE_BODY.replace(b"=\n", b"\n"),
        EXAMPLE_BODY.replace(b".123456Z", b".123456+00:00"),
        EXAMPLE_BODY.replace(b".123456Z", b"Z"),
        EXAMPLE_BODY.replace(b"\n", b"\r\n"),
        EXAMPLE_BODY[:-1],
        EXAMPLE_BODY + b"extension\n",
        b"\n" + EXAMPLE_BODY,
        EXAMPLE_BODY.replace(b"custody", b"\xffcustody"),
        b"8\n",
        EXAMPLE_BODY.decode(),
    ]
    for body in variants:
        with pytest.raises(ValueError):
            parse_checkpoint_body(body)


def test_rfc8032_seed_gives_the_published_key_and_signature():
    key = key_from_seed()
    assert public_key_to_text(key.public_key()) == base64.b64encode(RFC8032_PUBLIC).decode()
    assert key.sign(b"") == RFC8032_EMPTY_SIGNATURE
    # Ed25519 is deterministic, so the example checkpoint's signature is fixed too.
    signature = sign_checkpoint(key, ORIGIN, 8, ROOT8, WHEN)
    assert signature == key.sign(EXAMPLE_BODY) == base64.b64decode(EXAMPLE_SIGNATURE)
    assert verify_checkpoint(
        load_public_key(base64.b64encode(RFC8032_PUBLIC).decode()), ORIGIN, 8, ROOT8, WHEN, signature
    )


def test_round_trip_and_every_alteration_fails():
    key = load_private_key(generate_private_key_text())
    public = key.public_key()
    signature = sign_checkpoint(key, ORIGIN, 8, ROOT8, WHEN)
    assert len(signature) == 64
    assert verify_checkpoint(public, ORIGIN, 8, ROOT8, WHEN, signature)
    assert verify_checkpoint(public, ORIGIN, 8, ROOT8, WHEN, bytearray(signature))

    altered = [
        replace(CHECKPOINT, origin="custody.example/audit2"),
        replace(CHECKPOINT, origin="custody.example/Audit"),
        replace(CHECKPOINT, tree_size=7),
        replace(CHECKPOINT, tree_size=9),
        replace(CHECKPOINT, root_hash=bytes([ROOT8[0] ^ 1]) + ROOT8[1:]),
        replace(CHECKPOINT, root_hash=bytes(32)),
        replace(CHECKPOINT, timestamp=WHEN + timedelta(microseconds=1)),
        replace(CHECKPOINT, timestamp=WHEN - timedelta(days=1)),
    ]
    for other in altered:
        assert not verify_checkpoint(
            public, other.origin, other.tree_size, other.root_hash, other.timestamp, signature
        ), other

    forged = [
        bytes([signature[0] ^ 1]) + signature[1:],
        signature[:-1] + bytes([signature[-1] ^ 0x80]),
        signature[:-1],
        signature + b"\x00",
        b"",
        bytes(64),
        signature.hex(),
        None,
    ]
    for bad in forged:
        assert not verify_checkpoint(public, ORIGIN, 8, ROOT8, WHEN, bad)

    other_key = Ed25519PrivateKey.generate()
    assert not verify_checkpoint(other_key.public_key(), ORIGIN, 8, ROOT8, WHEN, signature)
    assert not verify_checkpoint(
        public, ORIGIN, 8, ROOT8, WHEN, sign_checkpoint(other_key, ORIGIN, 8, ROOT8, WHEN)
    )
    with pytest.raises(TypeError):
        verify_checkpoint(public_key_to_text(public), ORIGIN, 8, ROOT8, WHEN, signature)


def test_key_loading_from_pem_and_raw_base64():
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    expected = public_key_to_text(key.public_key())
    assert public_key_to_text(load_private_key(pem).public_key()) == expected
    assert public_key_to_text(load_private_key("\n" + pem + "\n").public_key()) == expected
    assert (
        public_key_to_text(load_private_key(base64.b64encode(raw).decode() + "\n").public_key()) == expected
    )

    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    assert public_key_to_text(load_public_key(public_pem)) == expected
    assert public_key_to_text(load_public_key(expected)) == expected
    assert len(base64.b64decode(expected)) == 32

    assert key_id(load_public_key(public_pem)) == key_id(key.public_key())
    assert len(key_id(key.public_key())) == 16
    assert int(key_id(key.public_key()), 16) >= 0
    assert key_id(key.public_key()) != key_id(Ed25519PrivateKey.generate().public_key())
    assert key_id(key_from_seed().public_key()) == hashlib.sha256(RFC8032_PUBLIC).hexdigest()[:16]


def test_generated_keys_are_new_32_byte_seeds():
    first, second = generate_private_key_text(), generate_private_key_text()
    assert first != second
    assert len(base64.b64decode(first, validate=True)) == 32


def test_bad_keys_are_refused_without_echoing_them():
    secret = base64.b64encode(RFC8032_SECRET[:31]).decode()
    for value in [
        secret,
        "not base64!",
        base64.b64encode(bytes(33)).decode(),
        "",
        "-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----",
    ]:
        with pytest.raises(ValueError) as caught:
            load_private_key(value)
        if value:
            assert value not in str(caught.value)
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    with pytest.raises(ValueError):
        load_private_key(ec_pem)
    ec_public_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    with pytest.raises(ValueError):
        load_public_key(ec_public_pem)
    with pytest.raises(ValueError):
        load_public_key(base64.b64encode(bytes(31)).decode())


def test_the_worked_example_in_the_specification_is_current():
    text = LEDGER_DOC.read_text(encoding="utf-8")
    assert EXAMPLE_BODY.decode() in text
    assert EXAMPLE_SIGNATURE in text
    assert key_id(key_from_seed().public_key()) in text
    assert hashlib.sha256(EXAMPLE_BODY).hexdigest() in text
