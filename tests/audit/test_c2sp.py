"""The C2SP formats against the examples their specifications publish (C2SP/C2SP: signed-note
v1.0.0, tlog-checkpoint v1.0.0, tlog-cosignature v1.0.1, tlog-witness v1.0.0, tlog-policy), and the
known-answer vector of the reference implementation golang.org/x/mod/sumdb/note."""

from __future__ import annotations

import base64
import struct
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from custody.audit.note import (
    TYPE_COSIGNATURE_V1,
    TYPE_ED25519,
    NoteError,
    NoteSignature,
    NoteVerificationError,
    VerifierKey,
    cosign,
    cosignature_message,
    cosignature_timestamp,
    format_note,
    key_id,
    open_note,
    parse_note,
    parse_signature_line,
    parse_vkey,
    sign_note_text,
    valid_key_name,
    verify_signature,
)
from custody.audit.signing import checkpoint_body
from custody.audit.tlog import (
    CheckpointError,
    PolicyError,
    format_add_checkpoint,
    judge_checkpoint,
    origin_hash,
    parse_add_checkpoint,
    parse_checkpoint_text,
    parse_policy,
)

# signed-note §Verifier keys, Example.
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    "\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)
# signed-note §Format: the opening example (its key is not published).
QUASIMODO = (
    "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n"
    "\u2014 quasimodo.example/salvatore "
    "NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)
# tlog-checkpoint and tlog-cosignature: the example checkpoint and its witness's cosignature line.
SOFA_TEXT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SOFA_LOG_LINE = (
    "\u2014 example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)
SOFA_WITNESS_LINE = (
    "\u2014 witness.example.com/w1 "
    "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)
# tlog-witness §add-checkpoint, Example request body.
WITNESS_REQUEST = (
    "old 20852014\n"
    "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n"
    "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n"
    "5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n"
    "/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n"
    "\n" + SOFA_TEXT + "\n" + SOFA_LOG_LINE + "\u2014 example.com/behind-the-sofa "
    "opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n"
)
# golang.org/x/mod/sumdb/note, package documentation (used as data).
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
# RFC 8032 §7.1 TEST 1: a published key, for reproducible signatures (never use it for anything).
RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")


def test_the_signed_note_spec_example_verifies_with_its_vkey():
    vkey = parse_vkey(SPEC_VKEY)
    assert (vkey.name, vkey.key_type, vkey.key_id_hex, vkey.vkey) == (
        "example.com/foo",
        TYPE_ED25519,
        "530d903a",
        SPEC_VKEY,
    )
    assert key_id("example.com/foo", TYPE_ED25519, vkey.public_key) == 0x530D903A
    note, verified = open_note(SPEC_NOTE, [vkey])
    assert note.text == "This is an example message.\n"
    assert verified[0].verifier == vkey


def test_an_altered_spec_note_is_rejected_and_unknown_keys_are_ignored():
    vkey = parse_vkey(SPEC_VKEY)
    with pytest.raises(NoteVerificationError, match="example.com/foo .key 530d903a. does not verify"):
        open_note(SPEC_NOTE.replace("example message", "exemplary message"), [vkey])
    other = VerifierKey.for_key("example.com/foo", TYPE_ED25519, Ed25519PrivateKey.generate().public_key())
    with pytest.raises(NoteVerificationError, match="no known key signed the note"):
        open_note(SPEC_NOTE, [other])  # same name, other key ID: ignored, so nothing verifies


def test_the_reference_implementation_known_answer_is_reproduced_byte_for_byte():
    raw = base64.b64decode(GO_SKEY.split("+", 4)[4])
    assert raw[0] == TYPE_ED25519
    key = Ed25519PrivateKey.from_private_bytes(raw[1:])
    assert VerifierKey.for_key("PeterNeumann", TYPE_ED25519, key.public_key()).vkey == GO_VKEY
    assert format_note(GO_TEXT, [sign_note_text(GO_TEXT, "PeterNeumann", key)]).decode() == GO_NOTE
    assert open_note(GO_NOTE, [parse_vkey(GO_VKEY)])[0].text == GO_TEXT


def test_the_text_ends_at_the_last_blank_line():
    note = parse_note(QUASIMODO)
    assert note.text.endswith("ed è subito sera.\n")
    assert "\n\ned è" in note.text
    assert [s.name for s in note.signatures] == ["quasimodo.example/salvatore"]


@pytest.mark.parametrize(
    "bad",
    [
        "no blank line\n\u2014 a AAAAAAA=\n",
        "text\n\n",  # no signature
        "text\n\n\u2014 a AAAAAAA=",  # no final newline
        "text\n\n- a AAAAAAA=\n",  # a hyphen, not an em dash
        "text\n\n\u2014 a b AAAAAAA=\n",  # a space in the name
        "text\n\n\u2014 a+b AAAAAAA=\n",  # a plus in the name
        "text\n\n\u2014 a AAAA\n",  # fewer than 5 bytes
        "text\n\n\u2014 a AAAAAAA\n",  # not padded base64
        "te\txt\n\n\u2014 a AAAAAAA=\n",  # a control character
    ],
)
def test_malformed_notes_are_refused(bad):
    with pytest.raises(NoteError):
        parse_note(bad)


def test_key_names_follow_the_spec():
    assert valid_key_name("example.com/foo")
    assert valid_key_name("witness.pdga.example/custody")
    for bad in ("", "a b", "a+b", "a\u00a0b", "a\u3000b", "a\nb"):
        assert not valid_key_name(bad)


def test_the_tlog_checkpoint_example_parses():
    checkpoint = parse_checkpoint_text(SOFA_TEXT)
    assert (checkpoint.origin, checkpoint.tree_size, checkpoint.extensions) == (
        "example.com/behind-the-sofa",
        20852163,
        (),
    )
    assert checkpoint.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    note = parse_note(SOFA_TEXT + "\n" + SOFA_LOG_LINE + SOFA_WITNESS_LINE)
    assert [s.name for s in note.signatures] == ["example.com/behind-the-sofa", "witness.example.com/w1"]


@pytest.mark.parametrize(
    "bad",
    [
        "o\n020852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",  # leading zero
        "o\n+1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",  # unpadded
        "o\n1\nAAAA\n",  # not 32 bytes
        "o\n1\n",  # two lines
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",  # an empty extension line
        "\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",  # empty origin
    ],
)
def test_malformed_checkpoints_are_refused(bad):
    with pytest.raises(CheckpointError):
        parse_checkpoint_text(bad)


def test_the_cosignature_example_is_a_key_id_a_timestamp_and_a_signature():
    line = parse_signature_line(SOFA_WITNESS_LINE.rstrip("\n"))
    assert line.name == "witness.example.com/w1"
    assert len(line.signature) == 72
    assert cosignature_timestamp(line) == 1679315147  # the time of the spec's signed-message example


def test_the_cosigned_message_is_the_one_the_spec_shows():
    assert cosignature_message(SOFA_TEXT, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\n"
        b"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


def test_a_cosignature_signs_the_time_and_the_whole_checkpoint_with_its_own_key_id():
    key = Ed25519PrivateKey.from_private_bytes(RFC8032_SEED)
    witness = VerifierKey.for_key("witness.example.com/w1", TYPE_COSIGNATURE_V1, key.public_key())
    text = SOFA_TEXT + "2026-03-01T08:00:00.123456Z\n"  # an extension line is signed too
    line = cosign(text, witness.name, key, 1679315147)
    assert (
        line.key_id
        == witness.key_id
        != VerifierKey.for_key(witness.name, TYPE_ED25519, key.public_key()).key_id
    )
    assert struct.unpack(">Q", line.signature[:8])[0] == 1679315147
    key.public_key().verify(line.signature[8:], cosignature_message(text, 1679315147))
    assert verify_signature(text, line, witness)
    assert not verify_signature(text.replace("123456", "123457"), line, witness)
    moved = NoteSignature(line.name, line.key_id, struct.pack(">Q", 1679315148) + line.signature[8:])
    assert not verify_signature(text, moved, witness)  # the time cannot be changed afterwards
    assert witness.vkey.split("+")[2].startswith(
        base64.b64encode(bytes([4]) + key.public_key().public_bytes_raw())[:8].decode()
    )


def test_the_witness_request_example_parses_and_formats_back():
    request = parse_add_checkpoint(WITNESS_REQUEST.encode())
    assert request.old_size == 20852014
    assert len(request.proof) == 4
    assert request.proof[0] == base64.b64decode("PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=")
    note = parse_note(request.checkpoint)
    assert note.text == SOFA_TEXT
    assert len(note.signatures) == 2
    assert (
        format_add_checkpoint(request.old_size, request.proof, request.checkpoint) == WITNESS_REQUEST.encode()
    )


@pytest.mark.parametrize(
    "bad",
    [
        b"old 01\n\n" + SOFA_TEXT.encode(),
        b"old -1\n\n" + SOFA_TEXT.encode(),
        b"new 1\n\n" + SOFA_TEXT.encode(),
        b"old 1\nAAAA\n\n" + SOFA_TEXT.encode(),
        b"old 1\n" + SOFA_TEXT.encode(),  # no blank line
        ("old 1\n" + "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n" * 64 + "\n").encode()
        + SOFA_TEXT.encode(),
    ],
)
def test_malformed_witness_requests_are_refused(bad):
    with pytest.raises(CheckpointError):
        parse_add_checkpoint(bad)


def test_origin_hash_names_a_log_in_witness_urls():
    assert (
        origin_hash("example.com/behind-the-sofa")
        == __import__("hashlib").sha256(b"example.com/behind-the-sofa").hexdigest()
    )


def _vkey(name: str) -> tuple[Ed25519PrivateKey, str]:
    key = Ed25519PrivateKey.generate()
    return key, VerifierKey.for_key(name, TYPE_COSIGNATURE_V1, key.public_key()).vkey


def test_the_tlog_policy_example_judges_quorums():
    """The policy of the tlog-policy example (its keys elided there, made up here)."""
    log_key = Ed25519PrivateKey.generate()
    keys = {n: _vkey(f"{n.lower()}.example/w") for n in ("X1", "X2", "X3", "Y1", "Y2", "Y3")}
    text = (
        f"log {VerifierKey.for_key('log.example/tlog', TYPE_ED25519, log_key.public_key()).vkey}\n\n"
        + "".join(f"witness {n} {keys[n][1]}\n" for n in ("X1", "X2", "X3"))
        + "group X-witnesses 2 X1 X2 X3\n\n"
        + "".join(f"witness {n} {keys[n][1]}\n" for n in ("Y1", "Y2", "Y3"))
        + "group Y-witnesses any Y1 Y2 Y3\n\n"
        "group X-and-Y all X-witnesses Y-witnesses\nquorum X-and-Y\n"
    )
    policy = parse_policy(text)
    assert policy.satisfied({"X1", "X3", "Y2"})
    assert not policy.satisfied({"X1", "Y1", "Y2", "Y3"})
    assert not policy.satisfied({"X1", "X2"})

    checkpoint = checkpoint_body("log.example/tlog", 5, bytes(32), datetime(2026, 3, 1, tzinfo=UTC)).decode()
    lines = [sign_note_text(checkpoint, "log.example/tlog", log_key)]
    lines += [
        cosign(checkpoint, f"{n.lower()}.example/w", keys[n][0], 1700000000) for n in ("X1", "X2", "Y3")
    ]
    verdict = judge_checkpoint(policy, format_note(checkpoint, lines))
    assert verdict.ok
    assert sorted(verdict.cosigned) == ["X1", "X2", "Y3"]
    short = judge_checkpoint(policy, format_note(checkpoint, lines[:3]))
    assert not short.ok
    assert short.missing == ["Y-witnesses"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("quorum W\n", "W is not defined"),
        ("witness W {v}\nwitness W {v2}\nquorum W\n", "already defined"),
        ("witness W {v}\nwitness V {v}\nquorum W\n", "listed twice"),
        ("witness W {v}\ngroup G 2 W\nquorum G\n", "threshold"),
        ("witness W {v}\ngroup G any W W\nquorum G\n", "each member once"),
        ("witness W {v}\nquorum W\nquorum W\n", "exactly one quorum"),
        ("witness W {v}\n", "exactly one quorum"),
        ("log {v}\nquorum none\n", "log key"),
        ("witness W {v}\nquorum W\x0b\n", "control characters"),
    ],
)
def test_malformed_policies_are_refused(text, message):
    _, v = _vkey("w.example/a")
    _, v2 = _vkey("w.example/b")
    with pytest.raises(PolicyError, match=message):
        parse_policy(text.format(v=v, v2=v2))


def test_the_worked_example_of_the_ledger_spec_is_a_signed_note():
    """docs/LEDGER.md §4.3 and §11: the log's checkpoint signature is already a signed-note signature."""
    key = Ed25519PrivateKey.from_private_bytes(RFC8032_SEED)
    text = checkpoint_body(
        "custody.example/audit",
        8,
        bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
        datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=UTC),
    ).decode()
    vkey = VerifierKey.for_key("custody.example/audit", TYPE_ED25519, key.public_key())
    assert vkey.vkey == "custody.example/audit+4cc2cbb2+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"
    line = sign_note_text(text, "custody.example/audit", key)
    assert line.signature.hex() == (
        "5da7401f93b0d200e585eb23a14de641033d9be4a39428e2c51c116b325f5d3b"
        "6b81ff02fa7cbc8c7750f8e100de0dd89c85af7c4c9e9181e1fe1a94abea1d01"
    )
    assert line.line == (
        "\u2014 custody.example/audit TMLLsl2nQB+TsNIA5YXrI6FN5kEDPZvko5Qo4sUcEWsyX107a4H/Avp8vIx3UPjhAN4N2JyFr3xMnpGB4f4alKvqHQE=\n"
    )


def test_the_worked_cosignature_of_the_ledger_spec():
    """docs/LEDGER.md §11.2: the §4.3 checkpoint cosigned with the RFC 8032 TEST 2 key."""
    log_key = Ed25519PrivateKey.from_private_bytes(RFC8032_SEED)
    witness = Ed25519PrivateKey.from_private_bytes(
        bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
    )
    name = "witness.pdga.example/custody"
    text = checkpoint_body(
        "custody.example/audit",
        8,
        bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
        datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=UTC),
    ).decode()
    when = int(datetime(2026, 3, 1, 8, 1, tzinfo=UTC).timestamp())
    assert when == 1772352060
    vkey = VerifierKey.for_key(name, TYPE_COSIGNATURE_V1, witness.public_key())
    assert vkey.vkey == "witness.pdga.example/custody+400f4118+BD1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM"
    line = cosign(text, name, witness, when)
    assert line.line == (
        "\u2014 witness.pdga.example/custody "
        "QA9BGAAAAABpo/I8P48n0Owz6cjHtdgnXReDFE466PZL7pKLYYztZn4zGuuHrBFx6aJFFUFrazQQkXgGK8PJdl57PamQuyTypuTaBQ==\n"
    )
    note = format_note(text, [sign_note_text(text, "custody.example/audit", log_key), line])
    log_vkey = VerifierKey.for_key("custody.example/audit", TYPE_ED25519, log_key.public_key())
    _, verified = open_note(note, [log_vkey, vkey])
    assert [v.timestamp for v in verified] == [None, 1772352060]
