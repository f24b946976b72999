"""Exported checkpoints and dossiers: their JSON form, their signed manifest and their verification.

Standard library and ``cryptography`` only — this is what ``python -m custody.verify`` runs, far
from the app and its database. docs/LEDGER.md §7 and §8 specify the documents.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .canonical import FORMAT_VERSION, GENESIS_HASH, canonical_bytes
from .merkle import LEAF_PREFIX, verify_inclusion
from .note import TYPE_ED25519, VerifierKey
from .signing import (
    SIGNATURE_SIZE,
    TIMESTAMP_FORMAT,
    Checkpoint,
    key_id,
    load_public_key,
    public_key_to_text,
    verify_checkpoint,
)
from .tlog import Policy, PolicyError, judge_checkpoint, parse_policy

BUNDLE_FORMAT = "custody-audit-dossier"
# 2: a signed manifest (version 1 dossiers had none and are refused). 3: the checkpoint as a C2SP
# signed note with the witnesses' cosignatures and the trust policy (version 2 still verifies, and
# is reported as unwitnessed).
BUNDLE_VERSION = 3
READABLE_VERSIONS = (2, 3)
MANIFEST_FORMAT = "custody-audit-dossier-manifest"
# 2: the exporter's statement that the live rows matched their history at export (``live_state``).
MANIFEST_VERSION = 2
READABLE_MANIFEST_VERSIONS = (1, 2)


# -- checkpoints --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint document read strictly: its body fields, key id and signature."""

    checkpoint: Checkpoint
    key_id: str
    signature: bytes

    @property
    def tree_size(self) -> int:
        return self.checkpoint.tree_size

    @property
    def root_hash(self) -> bytes:
        return self.checkpoint.root_hash

    @property
    def timestamp_text(self) -> str:
        return self.checkpoint.timestamp.strftime(TIMESTAMP_FORMAT)

    def verifies_with(self, public_key: Ed25519PublicKey) -> bool:
        c = self.checkpoint
        return verify_checkpoint(public_key, c.origin, c.tree_size, c.root_hash, c.timestamp, self.signature)


def _hex32(value: object, what: str) -> bytes:
    if not isinstance(value, str) or len(value) != 64 or value != value.lower():
        raise ValueError(f"{what} must be 64 lower-case hex digits")
    try:
        return bytes.fromhex(value)
    except ValueError as exc:
        raise ValueError(f"{what} must be 64 lower-case hex digits") from exc


def read_checkpoint(document: object) -> SignedCheckpoint:
    """Parse a checkpoint document (``{origin, tree_size, root_hash, timestamp, key_id, signature}``).

    Raises ValueError naming the first malformed field. Extra keys (an ``id``) are ignored.
    """
    if not isinstance(document, dict):
        raise ValueError("a checkpoint must be a JSON object")
    missing = [
        k
        for k in ("origin", "tree_size", "root_hash", "timestamp", "key_id", "signature")
        if k not in document
    ]
    if missing:
        raise ValueError(f"the checkpoint lacks {', '.join(missing)}")
    size = document["tree_size"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ValueError("tree_size must be a non-negative integer")
    if not isinstance(document["origin"], str) or not isinstance(document["key_id"], str):
        raise ValueError("origin and key_id must be strings")
    try:
        when = datetime.strptime(str(document["timestamp"]), TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError as exc:
        raise ValueError("timestamp must be YYYY-MM-DDTHH:MM:SS.ffffffZ") from exc
    if when.strftime(TIMESTAMP_FORMAT) != document["timestamp"]:
        raise ValueError("timestamp must be YYYY-MM-DDTHH:MM:SS.ffffffZ")
    try:
        signature = base64.b64decode(str(document["signature"]), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("signature must be base64") from exc
    checkpoint = Checkpoint(document["origin"], size, _hex32(document["root_hash"], "root_hash"), when)
    checkpoint.body()  # raises ValueError for an origin a body cannot carry
    return SignedCheckpoint(checkpoint, document["key_id"], signature)


# -- the signed manifest of a dossier -------------------------------------------------------------

MANIFEST_KEYS = frozenset(
    {"format", "version", "origin", "key_id", "subject", "items", "events", "checkpoint", "created_at"}
)
LIVE_STATE_KEYS = frozenset({"matches", "records", "problems"})


def events_digest(event_hashes: list[str]) -> str:
    """SHA-256 of the dossier's event hashes (32 bytes each), concatenated in log-index order."""
    return hashlib.sha256(b"".join(bytes.fromhex(h) for h in event_hashes)).hexdigest()


def manifest_body(
    *,
    origin: str,
    key: str,
    subject: dict[str, Any],
    heads: list[dict[str, Any]],
    event_hashes: list[str],
    tree_size: int,
    root_hash: str,
    created_at: str,
    live_state: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What the exporter signs about a dossier (docs/LEDGER.md §8.1).

    ``subject`` is ``{"type": "item", "item_id"}`` or ``{"type": "case", "case_id"}``; ``heads`` are
    ``{"item_id", "event_count", "last_event_hash"}``; ``event_hashes`` in log-index order.
    ``live_state`` — ``{"matches", "records", "problems"}``: whether the subject's live rows matched
    their history at export (version 2); without it a version 1 body.
    """
    body = {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION if live_state is not None else 1,
        "origin": origin,
        "key_id": key,
        "subject": subject,
        "items": sorted(
            (
                {
                    "item_id": h["item_id"],
                    "event_count": h["event_count"],
                    "last_event_hash": h["last_event_hash"],
                }
                for h in heads
            ),
            key=lambda h: h["item_id"],
        ),
        "events": {"count": len(event_hashes), "sha256": events_digest(event_hashes)},
        "checkpoint": {"tree_size": tree_size, "root_hash": root_hash},
        "created_at": created_at,
    }
    if live_state is not None:
        body["live_state"] = {
            "matches": bool(live_state["matches"]),
            "records": int(live_state["records"]),
            "problems": int(live_state["problems"]),
        }
    return body


def sign_manifest(private_key: Ed25519PrivateKey, body: dict[str, Any]) -> dict[str, Any]:
    """The ``manifest`` member of a dossier: the body and the Ed25519 signature of its canonical bytes."""
    return {
        "body": body,
        "signature": base64.b64encode(private_key.sign(canonical_bytes(body))).decode("ascii"),
    }


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def read_manifest(document: object) -> tuple[dict[str, Any], bytes]:
    """Parse a ``manifest`` member strictly: its body (every field checked) and the raw signature.

    Raises ValueError naming the first malformed field.
    """
    if not isinstance(document, dict) or set(document) != {"body", "signature"}:
        raise ValueError("it must be an object with exactly a body and a signature")
    body = document["body"]
    signature = _manifest_signature(document["signature"])
    version = _manifest_version(body)
    if version >= 2:
        _check_live_state(body["live_state"])
    if not isinstance(body["origin"], str) or not isinstance(body["key_id"], str):
        raise ValueError("origin and key_id must be strings")
    _check_manifest_subject(body["subject"])
    _check_manifest_items(body["items"])
    events = body["events"]
    if not isinstance(events, dict) or set(events) != {"count", "sha256"} or not _int(events["count"]):
        raise ValueError("events must be {count, sha256}")
    _hex32(events["sha256"], "events.sha256")
    checkpoint = body["checkpoint"]
    if (
        not isinstance(checkpoint, dict)
        or set(checkpoint) != {"tree_size", "root_hash"}
        or not _int(checkpoint["tree_size"])
    ):
        raise ValueError("checkpoint must be {tree_size, root_hash}")
    _hex32(checkpoint["root_hash"], "checkpoint.root_hash")
    try:
        when = datetime.strptime(str(body["created_at"]), TIMESTAMP_FORMAT)
    except ValueError as exc:
        raise ValueError("created_at must be YYYY-MM-DDTHH:MM:SS.ffffffZ") from exc
    if when.strftime(TIMESTAMP_FORMAT) != body["created_at"]:
        raise ValueError("created_at must be YYYY-MM-DDTHH:MM:SS.ffffffZ")
    return body, signature


def _manifest_signature(value: object) -> bytes:
    try:
        signature = base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the signature must be base64") from exc
    if len(signature) != SIGNATURE_SIZE:
        raise ValueError(f"the signature must be {SIGNATURE_SIZE} bytes")
    return signature


def _manifest_version(body: Any) -> int:
    """The version of a manifest body of a readable format and version, with exactly its members."""
    version = body.get("version") if isinstance(body, dict) else None
    if version not in READABLE_MANIFEST_VERSIONS or body.get("format") != MANIFEST_FORMAT:
        raise ValueError(
            f"not a {MANIFEST_FORMAT} version {' or '.join(map(str, READABLE_MANIFEST_VERSIONS))}"
        )
    keys = MANIFEST_KEYS | ({"live_state"} if version >= 2 else set())
    if set(body) != keys:
        raise ValueError(f"the body must have exactly the members {', '.join(sorted(keys))}")
    return int(version)


def _check_live_state(live: object) -> None:
    if (
        not isinstance(live, dict)
        or set(live) != LIVE_STATE_KEYS
        or not isinstance(live["matches"], bool)
        or not _int(live["records"])
        or not _int(live["problems"])
        or live["matches"] != (live["problems"] == 0)
    ):
        raise ValueError("live_state must be {matches: true or false, records, problems}, matching")


def _check_manifest_subject(subject: object) -> None:
    if not (
        isinstance(subject, dict)
        and (
            (
                subject.get("type") == "item"
                and set(subject) == {"type", "item_id"}
                and _int(subject["item_id"])
            )
            or (
                subject.get("type") == "case"
                and set(subject) == {"type", "case_id"}
                and _int(subject["case_id"])
            )
        )
    ):
        raise ValueError('subject must be {"type": "item", "item_id"} or {"type": "case", "case_id"}')


def _check_manifest_items(items: object) -> None:
    """The signed heads: ``{item_id, event_count, last_event_hash}``, in ascending item_id order."""
    if not isinstance(items, list):
        raise ValueError("items must be a list")
    previous = -1
    for head in items:
        if (
            not isinstance(head, dict)
            or set(head) != {"item_id", "event_count", "last_event_hash"}
            or not _int(head["item_id"])
            or not _int(head["event_count"])
        ):
            raise ValueError("each item must be {item_id, event_count, last_event_hash}")
        if head["item_id"] <= previous:
            raise ValueError("items must be in ascending item_id order, each once")
        previous = head["item_id"]
        if head["event_count"] == 0:
            if head["last_event_hash"] is not None:
                raise ValueError("an item without events has no last_event_hash")
        else:
            _hex32(head["last_event_hash"], "last_event_hash")


def manifest_verifies(public_key: Ed25519PublicKey, body: dict[str, Any], signature: bytes) -> bool:
    try:
        public_key.verify(signature, canonical_bytes(body))
    except InvalidSignature:
        return False
    return True


# -- dossiers -----------------------------------------------------------------------------------


def bundle_json(bundle: dict[str, Any]) -> bytes:
    """How a dossier is written to a file: UTF-8 JSON, readable, keys sorted."""
    return (json.dumps(bundle, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def leaf_of(entry: dict[str, Any]) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + canonical_bytes(entry)).digest()


@dataclass
class BundleReport:
    """Result of checking one dossier: ``problems`` in the order found (empty: it verifies)."""

    problems: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    events: int = 0
    checkpoint: SignedCheckpoint | None = None
    witness_lines: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _live_state_line(signed: dict[str, Any] | None) -> str:
    """What the exporter signed about the live rows (manifest version 2), for the summary."""
    if signed is None:
        return "live rows: not stated (a dossier made before the exporter checked them)"
    if signed["matches"]:
        return (
            f"live rows: at export, the subject's {signed['records']} live record(s) matched their history "
            "(signed by the exporter)"
        )
    return (
        f"live rows: WARNING — at export, the subject's live records did NOT match their history "
        f"({signed['problems']} problem(s) over {signed['records']} record(s), signed by the exporter): "
        "rows were changed outside the application; run flask custody verify-audit"
    )


def _mapping(document: dict[str, Any], key: str) -> dict[str, Any]:
    """``document[key]`` when it is a JSON object, else {} (a malformed bundle is reported, not raised)."""
    value = document.get(key)
    return value if isinstance(value, dict) else {}


def _event_label(event: dict[str, Any]) -> str:
    entry = _mapping(event, "entry")
    where = (
        f" (item {entry['item_id']} no. {entry.get('item_seq')})" if entry.get("item_id") is not None else ""
    )
    return f"event {event.get('event_id')}{where}"


def _subject_id(subject: dict[str, Any]) -> tuple[str, object]:
    kind = str(subject.get("type"))
    return kind, subject.get({"item": "item_id", "case": "case_id"}.get(kind, ""))


def _check_witnesses(
    bundle: dict[str, Any],
    checkpoint: SignedCheckpoint,
    public_key: Ed25519PublicKey,
    policy: Policy | None,
    report: BundleReport,
) -> None:
    """Version 3: the checkpoint note carries the log's signature and the quorum of cosignatures
    that the policy (the agencies' own, or else the one in the dossier) requires."""
    fail = report.problems.append
    document = _mapping(bundle, "checkpoint")
    witnesses = _mapping(bundle, "witnesses")
    source = "given"
    if policy is None:
        source = "taken from the dossier: compare it with the policy the agencies publish"
        try:
            policy = parse_policy(str(witnesses.get("policy", "")))
        except PolicyError as exc:
            fail(f"the dossier's witness policy cannot be read: {exc}")
            return
    c = checkpoint.checkpoint
    note = document.get("note")
    if not isinstance(note, str):
        fail("the checkpoint has no signed note (with the witnesses' cosignatures)")
        return
    log_key = VerifierKey.for_key(c.origin, TYPE_ED25519, public_key)
    if not any(k.same_key(log_key) and k.name == c.origin for k in policy.log_keys):
        fail(f"the log's key {key_id(public_key)} is not a key of log {c.origin!r} in the witness policy")
        return
    verdict = judge_checkpoint(policy, note, origin=c.origin)
    if verdict.problems:
        fail(f"the witnessed checkpoint: {verdict.problems[0]}")
        return
    assert verdict.note is not None
    if verdict.note.text.encode("utf-8") != c.body():
        fail("the checkpoint's signed note is not the dossier's checkpoint")
        return
    cosigned = ", ".join(
        f"{name} ({datetime.fromtimestamp(when, UTC).strftime('%Y-%m-%dT%H:%M:%SZ')})"
        for name, when in sorted(verdict.members.items())
    )
    if not verdict.quorum_met:
        fail(
            f"the checkpoint is not witnessed: the policy requires {verdict.quorum}; cosigned by "
            f"{cosigned or 'no witness'}, missing {', '.join(verdict.missing)}"
        )
        return
    if policy.quorum == "none":
        report.witness_lines = [
            "witnesses: NONE — the witness policy requires no cosignature; the checkpoint is signed by the log alone",
            f"witness policy: {source}",
        ]
    else:
        report.witness_lines = [
            f"witnesses: quorum {verdict.quorum} met, cosigned by {cosigned}"
            + (f"; not by {', '.join(verdict.missing)}" if verdict.missing else ""),
            f"witness policy: {source}",
        ]


class _Fatal(Exception):
    """A problem after which the dossier is checked no further; caught once, in ``verify_bundle``,
    which reports its message. Raised without one: the problems already reported are why."""


def verify_bundle(
    bundle: object, trusted_key: Ed25519PublicKey | None = None, policy: Policy | None = None
) -> BundleReport:
    """Check a dossier as the stand-alone verifier does; never raises for bad input.

    ``trusted_key`` is the log's public key as obtained independently (from the agency, the
    court file); without it the key inside the bundle is used and the report says so. ``policy``
    is the witness trust policy the agencies publish (C2SP tlog-policy); without it the policy
    inside the dossier is used and the report says so.
    """
    report = BundleReport()
    fail = report.problems.append
    try:
        document = _dossier(bundle)
        if policy is not None and trusted_key is None and document["version"] == 3:
            _check_log_key_in_policy(document, policy)
        public_key, checkpoint = _key_and_checkpoint(document, trusted_key, report)
        _witnesses(document, checkpoint, public_key, policy, report)
        manifest = _signed_manifest(document, checkpoint, public_key)
    except _Fatal as fatal:
        report.problems.extend(fatal.args)
        return report
    _check_manifest_describes(document, manifest, checkpoint, fail)
    signed_heads = {h["item_id"]: h for h in manifest["items"]}
    events = document.get("events")
    if not isinstance(events, list) or not events:
        fail("the dossier has no events")
        return report
    report.events = len(events)
    chains, logged = _logged_events(events, checkpoint, fail)
    _check_chains(chains, signed_heads, fail)
    heads = _check_item_list(document, signed_heads, fail)
    _check_event_set(logged, len(events), manifest["events"], fail)
    _check_registrations(chains, heads, fail)
    _check_subject(document, manifest["subject"], heads, events, fail)
    if report.ok:
        key_given = trusted_key is not None or policy is not None
        report.summary = _summary(document, manifest, checkpoint, public_key, len(chains), key_given, report)
    return report


def _dossier(bundle: object) -> dict[str, Any]:
    """The bundle, when it is a dossier of a version this verifier reads."""
    if not isinstance(bundle, dict):
        raise _Fatal("the file is not a dossier (not a JSON object)")
    if bundle.get("format") != BUNDLE_FORMAT or bundle.get("version") not in READABLE_VERSIONS:
        raise _Fatal(
            f"not a {BUNDLE_FORMAT} version {' or '.join(map(str, READABLE_VERSIONS))} document "
            f"(format {bundle.get('format')!r}, version {bundle.get('version')!r})"
        )
    return bundle


def _check_log_key_in_policy(bundle: dict[str, Any], policy: Policy) -> None:
    """The agencies' policy names the log's keys: those are the trusted keys."""
    trusted = [k for k in policy.log_keys]
    log_text = str(_mapping(bundle, "log").get("public_key", ""))
    if not any(public_key_to_text(k.ed25519) == log_text for k in trusted):
        raise _Fatal("the dossier is signed by a log key that the given witness policy does not list")


def _key_and_checkpoint(
    bundle: dict[str, Any], trusted_key: Ed25519PublicKey | None, report: BundleReport
) -> tuple[Ed25519PublicKey, SignedCheckpoint]:
    """The key and the checkpoint: the log's key (the trusted one, if given) and what it signs."""
    fail = report.problems.append
    log = _mapping(bundle, "log")
    try:
        public_key = load_public_key(str(log.get("public_key", "")))
    except ValueError as exc:
        raise _Fatal(f"the log's public key cannot be read: {exc}") from exc
    if log.get("key_id") != key_id(public_key):
        fail(f"the key id {log.get('key_id')!r} does not belong to the bundle's public key")
    if trusted_key is not None and key_id(trusted_key) != key_id(public_key):
        raise _Fatal(
            f"the bundle is signed by key {key_id(public_key)}, not by the trusted key {key_id(trusted_key)}"
        )
    try:
        checkpoint = read_checkpoint(bundle.get("checkpoint"))
    except ValueError as exc:
        raise _Fatal(f"the checkpoint cannot be read: {exc}") from exc
    report.checkpoint = checkpoint
    if checkpoint.key_id != key_id(public_key):
        fail(f"the checkpoint names key {checkpoint.key_id}, not the log's key {key_id(public_key)}")
    if not checkpoint.verifies_with(public_key):
        raise _Fatal(
            f"the checkpoint signature does not verify (tree size {checkpoint.tree_size}, "
            f"{checkpoint.timestamp_text}): forged or altered"
        )
    if log.get("origin") != checkpoint.checkpoint.origin:
        fail(f"the checkpoint is for log {checkpoint.checkpoint.origin!r}, not {log.get('origin')!r}")
    return public_key, checkpoint


def _witnesses(
    bundle: dict[str, Any],
    checkpoint: SignedCheckpoint,
    public_key: Ed25519PublicKey,
    policy: Policy | None,
    report: BundleReport,
) -> None:
    """The witnesses (version 3); a version 2 dossier predates them. Stops at any problem so far."""
    if bundle["version"] == 3:
        _check_witnesses(bundle, checkpoint, public_key, policy, report)
        if not report.ok:
            raise _Fatal()
    elif policy is not None and policy.quorum != "none":
        raise _Fatal(
            f"the dossier (version 2) predates witness cosignatures, and the given policy requires "
            f"{policy.describe_quorum()}: export it again"
        )
    else:
        report.witness_lines = [
            "witnesses: NOT WITNESSED — a version 2 dossier, made before witness cosignatures: "
            "its checkpoint is signed by the log alone"
        ]


def _signed_manifest(
    bundle: dict[str, Any], checkpoint: SignedCheckpoint, public_key: Ed25519PublicKey
) -> dict[str, Any]:
    """The signed manifest: what the dossier is about and how far each item's history goes."""
    if "manifest" not in bundle:
        raise _Fatal("the dossier has no signed manifest")
    try:
        manifest, manifest_signature = read_manifest(bundle["manifest"])
    except ValueError as exc:
        raise _Fatal(f"the manifest cannot be read: {exc}") from exc
    if manifest["key_id"] != key_id(public_key):
        raise _Fatal(f"the manifest names key {manifest['key_id']}, not the log's key {key_id(public_key)}")
    if not manifest_verifies(public_key, manifest, manifest_signature):
        raise _Fatal(
            f"the manifest signature does not verify with key {key_id(public_key)}: forged or altered"
        )
    return manifest


def _check_manifest_describes(
    bundle: dict[str, Any],
    manifest: dict[str, Any],
    checkpoint: SignedCheckpoint,
    fail: Callable[[str], None],
) -> None:
    """The dossier's own description (checkpoint, subject, time, live state) is what the manifest signs."""
    c = checkpoint.checkpoint
    if manifest["origin"] != c.origin or manifest["checkpoint"] != {
        "tree_size": c.tree_size,
        "root_hash": c.root_hash.hex(),
    }:
        fail(
            f"the manifest was signed for checkpoint {manifest['checkpoint']['tree_size']} of log "
            f"{manifest['origin']!r}, not for the dossier's checkpoint {c.tree_size} of {c.origin!r}"
        )
    signed_subject = manifest["subject"]
    subject = _mapping(bundle, "subject")
    if _subject_id(subject) != _subject_id(signed_subject):
        fail(
            f"the dossier says it is about {' '.join(map(str, _subject_id(subject)))}, the signed manifest "
            f"about {' '.join(map(str, _subject_id(signed_subject)))}"
        )
    if bundle.get("generated_at") != manifest["created_at"]:
        fail(f"generated_at {bundle.get('generated_at')!r} is not the signed time {manifest['created_at']!r}")
    signed_live = manifest.get("live_state")
    if signed_live is not None:
        described_live = _mapping(bundle, "live_state")
        if {k: described_live.get(k) for k in LIVE_STATE_KEYS} != signed_live:
            fail(f"the dossier's live_state differs from the one signed in the manifest ({signed_live})")


# An item's events as read from the dossier: (its number in the item's history, entry, hash); ids and
# numbers are as the dossier gives them (checked, not trusted).
_Chain = list[tuple[Any, dict[str, Any], str]]


class _Unproven(Exception):
    """An event that is reported (the message) and left out of the chains and the event set."""


def _logged_events(
    events: list[Any], checkpoint: SignedCheckpoint, fail: Callable[[str], None]
) -> tuple[dict[Any, _Chain], list[tuple[int, str]]]:
    """Each event: its hash, and its place in the signed tree. Returns each item's events and the
    (log index, hash) of every event proven."""
    seen_indexes: set[int] = set()
    chains: dict[Any, _Chain] = {}
    logged: list[tuple[int, str]] = []
    for event in events:
        try:
            index, entry, digest = _proven_event(event, checkpoint, seen_indexes)
        except _Unproven as exc:
            fail(str(exc))
            continue
        logged.append((index, digest))
        if entry.get("item_id") is not None:
            chains.setdefault(entry["item_id"], []).append((entry.get("item_seq"), entry, digest))
    return chains, logged


def _proven_event(
    event: object, checkpoint: SignedCheckpoint, seen_indexes: set[int]
) -> tuple[int, dict[str, Any], str]:
    """One event's log index, entry and hash, when the entry matches its hash and is proven to be
    in the signed tree; raises _Unproven."""
    if not isinstance(event, dict) or not isinstance(event.get("entry"), dict):
        raise _Unproven("an event has no entry")
    label = _event_label(event)
    entry = event["entry"]
    if entry.get("v") != FORMAT_VERSION:
        raise _Unproven(f"{label}: unknown serialisation version {entry.get('v')!r}")
    try:
        data = canonical_bytes(entry)
    except (TypeError, ValueError) as exc:
        raise _Unproven(f"{label}: the entry cannot be serialised ({exc})") from exc
    digest = hashlib.sha256(data).hexdigest()
    if event.get("hash") != digest:
        raise _Unproven(f"{label}: the entry does not match its hash: it was altered")
    index = _proven_index(event, label, data, checkpoint, seen_indexes)
    return index, entry, digest


def _proven_index(
    event: dict[str, Any], label: str, data: bytes, checkpoint: SignedCheckpoint, seen_indexes: set[int]
) -> int:
    """The event's log index, once, with an inclusion proof in the signed tree; raises _Unproven."""
    index = event.get("log_index")
    proof = event.get("inclusion_proof")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0 or not isinstance(proof, list):
        raise _Unproven(f"{label}: it has no place in the log (no log index or proof)")
    if index in seen_indexes:
        raise _Unproven(f"{label}: log index {index} appears twice")
    seen_indexes.add(index)
    try:
        path = [_hex32(p, "a proof hash") for p in proof]
    except ValueError as exc:
        raise _Unproven(f"{label}: its inclusion proof is malformed") from exc
    if not verify_inclusion(
        hashlib.sha256(LEAF_PREFIX + data).digest(), index, checkpoint.tree_size, path, checkpoint.root_hash
    ):
        raise _Unproven(
            f"{label}: not proven to be entry {index} of the log signed at {checkpoint.timestamp_text} "
            f"(tree size {checkpoint.tree_size})"
        )
    return index


def _check_chains(
    chains: dict[Any, _Chain], signed_heads: dict[Any, dict[str, Any]], fail: Callable[[str], None]
) -> None:
    """Each item's chain: contiguous from 1, linked, ending at the head the manifest signs."""
    for item_id, chain in sorted(chains.items(), key=lambda kv: str(kv[0])):
        _check_chain(item_id, chain, signed_heads.get(item_id), fail)
    for item_id, head in signed_heads.items():
        if head["event_count"] and item_id not in chains:
            fail(
                f"item {item_id}: none of its {head['event_count']} events signed in the manifest are in the "
                "dossier"
            )


def _check_chain(
    item_id: Any, chain: _Chain, head: dict[str, Any] | None, fail: Callable[[str], None]
) -> None:
    """One item's chain (sorted in place by number, when every event has one) against its signed head."""
    if not all(isinstance(seq, int) for seq, _, _ in chain):
        fail(f"item {item_id}: an event has no sequence number")
        return
    chain.sort(key=lambda link: link[0])
    previous = GENESIS_HASH
    for expected, (seq, entry, digest) in enumerate(chain, start=1):
        if seq != expected:
            fail(f"item {item_id}: event no. {expected} is missing (found no. {seq})")
            return
        if entry.get("prev_hash") != previous:
            fail(f"item {item_id}: event no. {seq} does not link to event no. {seq - 1}")
            return
        previous = digest
    if head is None:
        fail(f"item {item_id}: not among the items of the signed manifest")
    elif head["event_count"] != len(chain) or head["last_event_hash"] != previous:
        fail(
            f"item {item_id}: the history is incomplete ({len(chain)} of "
            f"{head['event_count']} events signed in the manifest)"
        )


def _check_item_list(
    bundle: dict[str, Any], signed_heads: dict[Any, dict[str, Any]], fail: Callable[[str], None]
) -> dict[Any, dict[str, Any]]:
    """The unsigned list of items must say what the manifest signs. Returns it by item id."""
    heads = (
        {i.get("item_id"): i for i in bundle.get("items", []) if isinstance(i, dict)}
        if isinstance(bundle.get("items"), list)
        else {}
    )
    if set(heads) != set(signed_heads):
        fail(f"the dossier lists items {sorted(heads, key=str)}, the signed manifest {sorted(signed_heads)}")
    for listed_id, head in sorted(heads.items(), key=lambda kv: str(kv[0])):
        signed = signed_heads.get(listed_id)
        if signed is not None and (head.get("event_count"), head.get("last_event_hash")) != (
            signed["event_count"],
            signed["last_event_hash"],
        ):
            fail(
                f"item {listed_id}: its event_count or last_event_hash ({head.get('event_count')!r} events) "
                f"differs from the signed manifest ({signed['event_count']} events): altered"
            )
    return heads


def _check_event_set(
    logged: list[tuple[int, str]], events: int, signed_events: dict[str, Any], fail: Callable[[str], None]
) -> None:
    """The set of events is the one signed (checked when every event of the dossier was proven)."""
    logged.sort()
    if len(logged) == events and (
        len(logged) != signed_events["count"]
        or events_digest([h for _, h in logged]) != signed_events["sha256"]
    ):
        fail(
            f"the dossier's {len(logged)} events are not the {signed_events['count']} events signed in the "
            "manifest: some were removed, added or replaced"
        )


def _check_registrations(
    chains: dict[Any, _Chain], heads: dict[Any, dict[str, Any]], fail: Callable[[str], None]
) -> None:
    """The descriptive fields must agree with what the signed entries say about them."""
    for item_id, chain in chains.items():
        first = chain[0][1] if chain and chain[0][0] == 1 else None
        head = heads.get(item_id)
        if first is None or head is None or first.get("action") != "item.register":
            continue
        registered = first.get("data") or {}
        for name in ("label_code", "name"):
            if name in registered and head.get(name) != registered[name]:
                fail(
                    f"item {item_id}: its {name} {head.get(name)!r} differs from its registration "
                    f"({registered[name]!r})"
                )


def _check_subject(
    bundle: dict[str, Any],
    signed_subject: dict[str, Any],
    heads: dict[Any, dict[str, Any]],
    events: list[Any],
    fail: Callable[[str], None],
) -> None:
    """Every event belongs to the (signed) subject."""
    kind = signed_subject["type"]
    key = {"item": "item_id", "case": "case_id"}[kind]
    subject = _mapping(bundle, "subject")
    if key == "item_id" and subject.get("label_code") != heads.get(signed_subject["item_id"], {}).get(
        "label_code"
    ):
        fail(f"the subject's label code {subject.get('label_code')!r} is not its item's")
        return
    for event in events:
        entry = event.get("entry") if isinstance(event, dict) else None
        if isinstance(entry, dict) and entry.get(key) != signed_subject[key]:
            fail(f"{_event_label(event)}: belongs to another {kind}")
            return


def _summary(
    bundle: dict[str, Any],
    manifest: dict[str, Any],
    checkpoint: SignedCheckpoint,
    public_key: Ed25519PublicKey,
    items: int,
    key_given: bool,
    report: BundleReport,
) -> list[str]:
    """What a dossier that verifies is about, and on whose word."""
    signed_subject = manifest["subject"]
    kind = signed_subject["type"]
    key = {"item": "item_id", "case": "case_id"}[kind]
    subject = _mapping(bundle, "subject")
    c = checkpoint.checkpoint
    described = subject.get("label_code") or subject.get("title")
    summary = [
        f"subject: {kind} {signed_subject[key]}" + (f" ({described})" if described else ""),
        f"events: {report.events}, items: {items}, every item history complete from its first event "
        "to the head signed in the manifest",
        f"checkpoint: log {c.origin!r}, {c.tree_size} entries, signed {checkpoint.timestamp_text}",
        f"root hash: {c.root_hash.hex()}",
        f"manifest signed {manifest['created_at']}",
        f"signing key: {key_id(public_key)}"
        + ("" if key_given else " (taken from the bundle: compare it with the published key)"),
        *report.witness_lines,
        _live_state_line(manifest.get("live_state")),
    ]
    later = bundle.get("later_events")
    if isinstance(later, int) and later > 0:
        summary.append(
            f"{later} later event(s) of the subject were not yet witnessed at export and are not in this dossier"
        )
    return summary
