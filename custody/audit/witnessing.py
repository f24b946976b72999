"""The log's side of witnessing: the registered witnesses, the trust policy, cosignatures, the latest
witnessed checkpoint, and pushing checkpoints to the witnesses (docs/LEDGER.md §11).

* **Registry.** Each witness (usually an agency) is registered with its public key(s); every change
  writes the resulting trust policy (C2SP tlog-policy text: the log's keys, each witness's keys,
  the quorum) as a new ``witness_policy`` version and an audit event that carries it, so the list
  of trusted keys is itself on the record.
* **Policy.** Witness ``W`` with one key is ``witness W <vkey>``; with two (a rotation's overlap)
  ``witness W.1``, ``witness W.2`` and ``group W any W.1 W.2``. Then ``group agencies k …`` and
  ``quorum agencies`` with ``k = min(CUSTODY_WITNESS_QUORUM, n)``; with no witness, ``quorum
  none`` — the log is then unwitnessed, and every page and verifier says so.
* **Cosignatures** come back from a push (``add-checkpoint``) or are posted by a polling witness;
  each is verified against the registered key before it is stored.
* **Witnessed** means: the checkpoint note, rebuilt from the stored checkpoint and cosignatures,
  satisfies the current policy when every signature is verified again — nothing in the database
  is taken on trust.

Registry functions flush and never commit. ``push`` runs its own short transactions around the
network calls, so no lock is held while a witness answers.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from custody.domain.actor import Actor, Origin
from custody.domain.enums import EventCategory, Outcome
from custody.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from custody.domain.i18n import N_
from custody.models.agency import Agency
from custody.models.ledger import Checkpoint
from custody.models.witness import Cosignature, Witness, WitnessKey, WitnessPolicy
from custody.orm import utcnow

from . import ledger
from .canonical import format_timestamp
from .ledger import LedgerSettings
from .note import (
    TYPE_COSIGNATURE_V1,
    Note,
    NoteError,
    NoteSignature,
    VerifierKey,
    b64,
    cosignature_timestamp,
    format_note,
    parse_note,
    parse_signature_lines,
    parse_vkey,
    verify_signature,
)
from .recorder import record_event
from .signing import Checkpoint as CheckpointBody
from .signing import parse_checkpoint_body
from .tlog import (
    Policy,
    PolicyGroup,
    PolicyLog,
    PolicyVerdict,
    PolicyWitness,
    format_add_checkpoint,
    judge_checkpoint,
)

WITNESS_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
TOP_GROUP = "agencies"
PUSH_ROUNDS = 2  # a 409 names the witness's size: one more round with a proof from there


class WitnessRegistryError(InvalidInput):
    """A registration the registry refuses (422)."""


# -- the policy -----------------------------------------------------------------------------------


def active_witnesses(session: Session) -> list[Witness]:
    return list(session.scalars(select(Witness).where(Witness.retired_at.is_(None)).order_by(Witness.name)))


def verifier(key: WitnessKey) -> VerifierKey:
    """A registered key as a signed-note verifier key (cosignature/v1)."""
    return VerifierKey(key.key_name, TYPE_COSIGNATURE_V1, base64.b64decode(key.public_key))


def build_policy(settings: LedgerSettings, witnesses: Iterable[Witness]) -> Policy:
    """The trust policy the registry amounts to (deterministic: same registry, same text)."""
    policy = Policy(logs=[PolicyLog(key) for key in settings.note_keys()])
    members: list[str] = []
    for witness in sorted(witnesses, key=lambda w: w.name):
        keys = witness.active_keys
        if not keys:
            continue
        if len(keys) == 1:
            policy.witnesses[witness.name] = PolicyWitness(witness.name, verifier(keys[0]))
        else:
            names = []
            for number, key in enumerate(keys, start=1):
                name = f"{witness.name}.{number}"
                policy.witnesses[name] = PolicyWitness(name, verifier(key))
                names.append(name)
            policy.groups[witness.name] = PolicyGroup(witness.name, 1, tuple(names))
        members.append(witness.name)
    k = min(settings.witness_quorum, len(members))
    if k <= 0:
        policy.quorum = "none"
    else:
        policy.groups[TOP_GROUP] = PolicyGroup(TOP_GROUP, k, tuple(members))
        policy.quorum = TOP_GROUP
    return policy


def current_policy(session: Session, settings: LedgerSettings) -> Policy:
    return build_policy(settings, active_witnesses(session))


def policy_text(policy: Policy) -> str:
    return policy.text(urls=False)


def latest_recorded_policy(session: Session) -> WitnessPolicy | None:
    return session.scalar(select(WitnessPolicy).order_by(WitnessPolicy.version.desc()).limit(1))


def _record_change(
    session: Session,
    settings: LedgerSettings,
    actor: Actor | None,
    action: str,
    witness: Witness | None,
    data: dict[str, Any],
    origin: Origin | None,
) -> WitnessPolicy | None:
    """Write the policy if the change altered it, and the audit event that carries both."""
    session.flush()
    policy = current_policy(session, settings)
    text = policy_text(policy)
    latest = latest_recorded_policy(session)
    recorded = None
    if latest is None or latest.text != text:
        recorded = WitnessPolicy(
            version=(latest.version + 1) if latest else 1,
            quorum=settings.witness_quorum,
            text=text,
            sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        )
        session.add(recorded)
        session.flush()
    current = recorded or latest
    record_event(
        session,
        category=EventCategory.ADMIN,
        action=action,
        actor=actor,
        origin=origin,
        object_type="witness",
        object_id=witness.id if witness else None,
        data={
            **data,
            "policy_version": current.version if current else None,
            "policy_sha256": current.sha256 if current else None,
            "policy_changed": recorded is not None,
            "quorum": policy.describe_quorum(),
            "policy": text,
        },
    )
    return recorded


def record_current_policy(
    session: Session, settings: LedgerSettings, actor: Actor | None = None, origin: Origin | None = None
) -> WitnessPolicy | None:
    """Record the policy as it now stands (after a log key rotation or a quorum change)."""
    return _record_change(session, settings, actor, "witness.policy", None, {}, origin)


def policy_is_recorded(session: Session, settings: LedgerSettings) -> bool:
    latest = latest_recorded_policy(session)
    text = policy_text(current_policy(session, settings))
    return (latest is not None and latest.text == text) or (latest is None and not active_witnesses(session))


# -- the registry ---------------------------------------------------------------------------------


def _witness_key_from(text: str) -> VerifierKey:
    try:
        key = parse_vkey(text)
    except NoteError as exc:
        raise WitnessRegistryError(
            N_("Not a witness verifier key: %(reason)s."), code="witness.bad_vkey", reason=str(exc)
        ) from exc
    if key.key_type != TYPE_COSIGNATURE_V1:
        raise WitnessRegistryError(
            N_("A witness key makes cosignature/v1 signatures (signature type 0x04)."),
            code="witness.bad_vkey",
        )
    return key


def _new_key(session: Session, witness: Witness, key: VerifierKey) -> WitnessKey:
    public = b64(key.public_key)
    if session.scalar(select(WitnessKey.id).where(WitnessKey.public_key == public)) is not None:
        raise Conflict(N_("This key is registered already."), code="witness.duplicate_key")
    row = WitnessKey(witness=witness, key_name=key.name, key_id=key.key_id_hex, public_key=public)
    session.add(row)
    return row


def get_witness(session: Session, name: str) -> Witness:
    witness = session.scalar(select(Witness).where(Witness.name == name))
    if witness is None:
        raise NotFound(N_("No witness named %(name)s."), code="witness.not_found", name=name)
    return witness


def _check_url(url: str | None) -> str | None:
    if url is None or url == "":
        return None
    if not re.match(r"^https?://[^\s/]+(/\S*)?$", url) or len(url) > 500:
        raise WitnessRegistryError(N_("The witness URL must be an http(s) URL."), code="witness.bad_url")
    return url.rstrip("/")


def register_witness(
    session: Session,
    settings: LedgerSettings,
    actor: Actor | None,
    *,
    name: str,
    vkey: str,
    agency_code: str | None = None,
    display_name: str | None = None,
    url: str | None = None,
    origin: Origin | None = None,
) -> Witness:
    """A new witness with its first key (``witness.register``)."""
    if not WITNESS_NAME.match(name or ""):
        raise WitnessRegistryError(
            N_("A witness name is 1 to 32 letters, digits, '-' or '_' (e.g. the agency code)."),
            code="witness.bad_name",
        )
    if session.scalar(select(Witness.id).where(Witness.name == name)) is not None:
        raise Conflict(N_("A witness named %(name)s exists already."), code="witness.duplicate", name=name)
    key = _witness_key_from(vkey)
    agency = None
    if agency_code:
        agency = session.scalar(select(Agency).where(Agency.code == agency_code.upper()))
        if agency is None:
            raise NotFound(
                N_("No agency with code %(agency)s."), code="witness.no_agency", agency=agency_code
            )
    witness = Witness(
        name=name,
        display_name=display_name or (agency.name if agency else name),
        agency=agency,
        url=_check_url(url),
        known_size=0,
    )
    session.add(witness)
    row = _new_key(session, witness, key)
    _record_change(
        session,
        settings,
        actor,
        "witness.register",
        witness,
        {"witness": name, "agency": agency.code if agency else None, "vkey": key.vkey, "key_id": row.key_id},
        origin,
    )
    return witness


def add_key(
    session: Session,
    settings: LedgerSettings,
    actor: Actor | None,
    *,
    name: str,
    vkey: str,
    origin: Origin | None = None,
) -> WitnessKey:
    """Another key for a witness: the start of a rotation (both keys count until one is retired)."""
    witness = get_witness(session, name)
    if witness.retired_at is not None:
        raise Conflict(N_("Witness %(name)s is retired."), code="witness.retired", name=name)
    key = _witness_key_from(vkey)
    row = _new_key(session, witness, key)
    _record_change(
        session,
        settings,
        actor,
        "witness.key_add",
        witness,
        {"witness": name, "vkey": key.vkey, "key_id": row.key_id},
        origin,
    )
    return row


def retire_key(
    session: Session, settings: LedgerSettings, actor: Actor | None, *, key: str, origin: Origin | None = None
) -> WitnessKey:
    """Stop trusting one key (``key``: its verifier key, or its 8-hex-digit key ID)."""
    wanted = key.strip()
    rows = [
        row
        for row in session.scalars(select(WitnessKey).where(WitnessKey.retired_at.is_(None)))
        if wanted in (row.key_id, verifier(row).vkey)
    ]
    if len(rows) != 1:
        raise NotFound(
            N_("No single active witness key matches %(key)s."), code="witness.key_not_found", key=wanted
        )
    row = rows[0]
    row.retired_at = utcnow()
    _record_change(
        session,
        settings,
        actor,
        "witness.key_retire",
        row.witness,
        {"witness": row.witness.name, "vkey": verifier(row).vkey, "key_id": row.key_id},
        origin,
    )
    return row


def retire_witness(
    session: Session,
    settings: LedgerSettings,
    actor: Actor | None,
    *,
    name: str,
    origin: Origin | None = None,
) -> Witness:
    witness = get_witness(session, name)
    now = utcnow()
    witness.retired_at = witness.retired_at or now
    for key in witness.active_keys:
        key.retired_at = now
    _record_change(session, settings, actor, "witness.retire", witness, {"witness": name}, origin)
    return witness


def set_url(
    session: Session,
    settings: LedgerSettings,
    actor: Actor | None,
    *,
    name: str,
    url: str | None,
    origin: Origin | None = None,
) -> Witness:
    """Where to push checkpoints to this witness (None: it polls). Not part of the trust policy."""
    witness = get_witness(session, name)
    witness.url = _check_url(url)
    witness.known_size = 0
    _record_change(
        session, settings, actor, "witness.url", witness, {"witness": name, "url": witness.url}, origin
    )
    return witness


# -- notes and cosignatures ---------------------------------------------------------------------------


def cosignature_line(cosignature: Cosignature) -> NoteSignature:
    blob = base64.b64decode(cosignature.signature)
    return NoteSignature(cosignature.key.key_name, int.from_bytes(blob[:4], "big"), blob[4:])


def checkpoint_note(settings: LedgerSettings, checkpoint: Checkpoint, *, cosigned: bool = True) -> str | None:
    """The checkpoint as a C2SP signed note: its text, the log's signature line and (with
    ``cosigned``) the stored cosignature lines. None when its key is not one the log trusts."""
    signature = ledger.log_signature(settings, checkpoint)
    if signature is None:
        return None
    lines = [signature]
    if cosigned:
        lines += [cosignature_line(c) for c in sorted(checkpoint.cosignatures, key=lambda c: c.key.key_name)]
    return format_note(ledger.checkpoint_note_text(checkpoint), lines).decode("utf-8")


class CosignatureError(InvalidInput):
    """A cosignature that a registered key made but that does not verify (422)."""


@dataclass
class Stored:
    checkpoint: Checkpoint
    stored: list[Cosignature] = field(default_factory=list)
    known: list[str] = field(default_factory=list)  # witnesses whose cosignature was there already
    ignored: int = 0  # signatures of keys that are not registered (or the log's own)


def store_cosignatures(
    session: Session, checkpoint: Checkpoint, signatures: Iterable[NoteSignature]
) -> Stored:
    """Verify and keep each cosignature by an active registered key; ignore unknown keys."""
    text = ledger.checkpoint_note_text(checkpoint)
    keys = list(
        session.scalars(
            select(WitnessKey)
            .join(Witness)
            .where(WitnessKey.retired_at.is_(None), Witness.retired_at.is_(None))
        )
    )
    have = {c.witness_key_id for c in checkpoint.cosignatures}
    result = Stored(checkpoint)
    for signature in signatures:
        matching = [k for k in keys if verifier(k).matches(signature)]
        if not matching:
            result.ignored += 1
            continue
        key = matching[0]
        if not verify_signature(text, signature, verifier(key)):
            raise CosignatureError(
                N_("The cosignature of %(witness)s (key %(key_id)s) does not verify."),
                code="witness.bad_cosignature",
                witness=key.witness.name,
                key_id=key.key_id,
            )
        if key.id in have:
            result.known.append(key.witness.name)
            continue
        timestamp = cosignature_timestamp(signature)
        row = Cosignature(
            checkpoint_id=checkpoint.id,
            witness_key_id=key.id,
            key=key,
            timestamp=datetime.fromtimestamp(min(timestamp, 253402300799), UTC),
            signature=b64(signature.key_id.to_bytes(4, "big") + signature.signature),
        )
        have.add(key.id)
        try:
            # A push and a polling witness (or two pushes) may store the same cosignature at once.
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            result.known.append(key.witness.name)
            continue
        result.stored.append(row)
    session.flush()
    session.expire(checkpoint, ["cosignatures"])
    return result


def find_checkpoint(session: Session, settings: LedgerSettings, note_text: str) -> Checkpoint:
    """The stored checkpoint whose note text this is (404 if the log never signed it)."""
    try:
        parsed = parse_checkpoint_body(note_text.encode("utf-8"))
    except ValueError as exc:
        raise InvalidInput(
            N_("Not a checkpoint of this log: %(reason)s."), code="witness.bad_checkpoint", reason=str(exc)
        ) from exc
    candidates = session.scalars(
        select(Checkpoint)
        .options(selectinload(Checkpoint.cosignatures))
        .where(
            Checkpoint.origin == parsed.origin,
            Checkpoint.tree_size == parsed.tree_size,
            Checkpoint.root_hash == parsed.root_hash.hex(),
        )
    )
    for checkpoint in candidates:
        if format_timestamp(checkpoint.timestamp) == format_timestamp(parsed.timestamp):
            return checkpoint
    raise NotFound(N_("The log has no such checkpoint."), code="witness.no_checkpoint")


def accept_cosigned_note(session: Session, settings: LedgerSettings, data: bytes) -> Stored:
    """``POST /audit/cosignatures``: a checkpoint note carrying a polling witness's cosignature."""
    try:
        note = parse_note(data)
    except NoteError as exc:
        raise InvalidInput(
            N_("Not a signed note: %(reason)s."), code="witness.bad_note", reason=str(exc)
        ) from exc
    checkpoint = find_checkpoint(session, settings, note.text)
    return store_cosignatures(session, checkpoint, note.signatures)


# -- witnessed checkpoints -------------------------------------------------------------------------


def judge(settings: LedgerSettings, policy: Policy, checkpoint: Checkpoint) -> PolicyVerdict:
    note = checkpoint_note(settings, checkpoint)
    if note is None:
        verdict = PolicyVerdict(quorum=policy.describe_quorum())
        verdict.problems.append(
            f"checkpoint {checkpoint.id} names key {checkpoint.key_id}, which the log does not trust"
        )
        return verdict
    return judge_checkpoint(policy, note, origin=settings.origin)


def _threshold(policy: Policy) -> int:
    if policy.quorum == "none":
        return 0
    if policy.quorum in policy.groups:
        return policy.groups[policy.quorum].threshold
    return 1


def latest_witnessed(
    session: Session, settings: LedgerSettings, policy: Policy | None = None, *, key_id: str | None = None
) -> tuple[Checkpoint, PolicyVerdict] | None:
    """The largest checkpoint that meets the policy, every signature verified again (``key_id``:
    only checkpoints signed with that log key)."""
    policy = policy or current_policy(session, settings)
    threshold = _threshold(policy)
    stmt = select(Checkpoint)
    if key_id is not None:
        stmt = stmt.where(Checkpoint.key_id == key_id)
    if threshold:
        counted = (
            select(Cosignature.checkpoint_id)
            .join(WitnessKey, WitnessKey.id == Cosignature.witness_key_id)
            .join(Witness, Witness.id == WitnessKey.witness_id)
            .where(WitnessKey.retired_at.is_(None), Witness.retired_at.is_(None))
            .group_by(Cosignature.checkpoint_id)
            .having(func.count(func.distinct(WitnessKey.witness_id)) >= threshold)
        )
        stmt = stmt.where(Checkpoint.id.in_(counted))
    stmt = stmt.options(selectinload(Checkpoint.cosignatures)).order_by(
        Checkpoint.tree_size.desc(), Checkpoint.id.desc()
    )
    for checkpoint in session.scalars(stmt.limit(10)):
        verdict = judge(settings, policy, checkpoint)
        if verdict.ok:
            return checkpoint, verdict
    return None


class NotWitnessed(Conflict):
    """No checkpoint has the witnesses' quorum yet (409)."""


def witnessed_checkpoint_or_fail(
    session: Session, settings: LedgerSettings, policy: Policy | None = None
) -> tuple[Checkpoint, PolicyVerdict]:
    policy = policy or current_policy(session, settings)
    found = latest_witnessed(session, settings, policy)
    if found is None:
        raise NotWitnessed(
            N_(
                "No checkpoint of the audit log has been cosigned by the witnesses' quorum (%(quorum)s) yet; "
                "check the witnesses on the audit log page and try again."
            ),
            code="audit.not_witnessed",
            quorum=policy.describe_quorum(),
        )
    return found


# -- status for the API and the auditor's page -------------------------------------------------------


def witness_overview(session: Session, settings: LedgerSettings) -> dict[str, Any]:
    """Who cosigned what and when, who is missing or lagging; the policy and both checkpoints."""
    policy = current_policy(session, settings)
    latest = ledger.latest_checkpoint(session)
    witnessed = latest_witnessed(session, settings, policy)
    recorded = latest_recorded_policy(session)
    head = ledger.read_head(session)
    rows = []
    latest_cosigners: set[int] = set()
    if latest is not None:
        latest_cosigners = {c.key.witness_id for c in latest.cosignatures}
    last_by_witness: dict[int, tuple[int, datetime, int]] = {}
    for witness_id, tree_size, timestamp, checkpoint_id in session.execute(
        select(WitnessKey.witness_id, Checkpoint.tree_size, Cosignature.timestamp, Checkpoint.id)
        .join(Cosignature, Cosignature.witness_key_id == WitnessKey.id)
        .join(Checkpoint, Checkpoint.id == Cosignature.checkpoint_id)
        .order_by(Checkpoint.tree_size, Cosignature.timestamp)
    ):
        last_by_witness[witness_id] = (tree_size, timestamp, checkpoint_id)
    for witness in session.scalars(select(Witness).order_by(Witness.retired_at.is_not(None), Witness.name)):
        last = last_by_witness.get(witness.id)
        lag = (
            (latest.tree_size - last[0])
            if latest is not None and last
            else (latest.tree_size if latest else 0)
        )
        rows.append(
            {
                "name": witness.name,
                "display_name": witness.display_name,
                "agency": witness.agency.code if witness.agency else None,
                "mode": "push" if witness.url else "poll",
                "url": witness.url,
                "active": witness.retired_at is None,
                "keys": [
                    {
                        "key_name": k.key_name,
                        "key_id": k.key_id,
                        "vkey": verifier(k).vkey,
                        "added_at": k.added_at,
                        "retired_at": k.retired_at,
                    }
                    for k in witness.keys
                ],
                "last_cosigned_size": last[0] if last else None,
                "last_cosigned_at": last[1] if last else None,
                "cosigned_latest": witness.id in latest_cosigners,
                "lag": lag,
                "last_status": witness.last_status,
                "last_message": witness.last_message,
                "last_attempt_at": witness.last_attempt_at,
                "last_success_at": witness.last_success_at,
            }
        )
    return {
        "origin": settings.origin,
        "log_size": head.tree_size,
        "quorum": policy.describe_quorum(),
        "required": _threshold(policy),
        "configured_quorum": settings.witness_quorum,
        "policy": policy_text(policy),
        "policy_version": recorded.version if recorded else None,
        "policy_recorded": policy_is_recorded(session, settings),
        "latest_checkpoint": latest,
        "witnessed_checkpoint": witnessed[0] if witnessed else None,
        "witnessed_by": sorted(witnessed[1].members) if witnessed else [],
        "witnesses": rows,
        "refusals": refusal_events(session),
    }


def refusal_events(session: Session, limit: int = 20) -> list[Any]:
    from custody.models.audit import AuditEvent

    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "witness.refused")
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )


# -- pushing checkpoints to witnesses ------------------------------------------------------------------


@dataclass
class PushResult:
    witness: str
    status: str  # ok, refused, conflict, rejected, unreachable, skipped
    message: str = ""
    tree_size: int | None = None


@dataclass
class _Request:
    witness_id: int
    name: str
    url: str
    old_size: int
    body: bytes


def _requests(
    session: Session, settings: LedgerSettings, checkpoint: Checkpoint, sizes: dict[int, int]
) -> list[_Request]:
    note = checkpoint_note(settings, checkpoint, cosigned=False)
    if note is None:
        return []
    cosigned = {c.key.witness_id for c in checkpoint.cosignatures}
    tree = None
    requests = []
    for witness in active_witnesses(session):
        if not witness.url or not witness.active_keys or witness.id in cosigned:
            continue
        # A witness holding more than the log's latest checkpoint is sent it all the same: it
        # refuses (400), and that refusal — a truncated or restored log — is recorded.
        old = sizes.get(witness.id, witness.known_size or 0)
        proof: list[bytes] = []
        if 0 < old < checkpoint.tree_size:
            tree = tree or ledger.log_tree(session, settings, checkpoint.tree_size)
            proof = tree.consistency_proof(old)
        body = format_add_checkpoint(old, proof, note.encode("utf-8"))
        requests.append(_Request(witness.id, witness.name, witness.url, old, body))
    return requests


def push_if_configured(
    engine: Engine, settings: LedgerSettings, *, origin: Origin | None = None
) -> list[PushResult]:
    """``push`` when a witness takes pushed checkpoints (before a dossier is exported); else nothing."""
    with Session(bind=engine) as session:
        configured = session.scalar(
            select(func.count())
            .select_from(Witness)
            .where(Witness.retired_at.is_(None), Witness.url.is_not(None))
        )
        session.rollback()
    return push(engine, settings, origin=origin) if configured else []


def push(
    engine: Engine, settings: LedgerSettings, *, sign: bool = True, origin: Origin | None = None
) -> list[PushResult]:
    """Send the latest checkpoint to every push witness that has not cosigned it; store what comes
    back. With ``sign``, first sign the head if the log grew. Each step is its own short
    transaction: nothing is locked while a witness answers."""
    from custody.witness.server import add_checkpoint  # the same client a witness uses

    with Session(bind=engine, expire_on_commit=False) as session:
        if sign:
            ledger.create_checkpoint(session, settings, only_if_grown=True)
        session.commit()

    results: dict[str, PushResult] = {}
    sizes: dict[int, int] = {}
    for _round in range(PUSH_ROUNDS):
        with Session(bind=engine, expire_on_commit=False) as session:
            checkpoint = ledger.latest_checkpoint(session)
            if checkpoint is None:
                return []
            checkpoint_id, size = checkpoint.id, checkpoint.tree_size
            requests = _requests(session, settings, checkpoint, sizes)
            session.commit()
        if not requests:
            break
        with ThreadPoolExecutor(max_workers=min(8, len(requests))) as pool:
            replies = list(
                pool.map(lambda r: add_checkpoint(r.url, r.body, timeout=settings.witness_timeout), requests)
            )
        retry = False
        with Session(bind=engine, expire_on_commit=False) as session:
            checkpoint = session.get(Checkpoint, checkpoint_id)
            assert checkpoint is not None
            for request, reply in zip(requests, replies, strict=True):
                witness = session.get(Witness, request.witness_id)
                assert witness is not None
                result = _handle_reply(session, settings, witness, checkpoint, request, reply, origin)
                results[witness.name] = result
                if result.status == "conflict" and witness.known_size <= size:
                    sizes[witness.id] = witness.known_size
                    retry = True
            session.commit()
        if not retry:
            break
    return list(results.values())


def _handle_reply(
    session: Session,
    settings: LedgerSettings,
    witness: Witness,
    checkpoint: Checkpoint,
    request: _Request,
    reply: Any,
    origin: Origin | None,
) -> PushResult:
    now = utcnow()
    witness.last_attempt_at = now
    size = checkpoint.tree_size
    text = reply.text.strip()[:400]
    if reply.status == 200:
        try:
            stored = store_cosignatures(session, checkpoint, parse_signature_lines(reply.body))
        except (NoteError, DomainError) as exc:
            return _status(witness, "rejected", f"its answer is not a valid cosignature: {exc}", size)
        if not stored.stored and not stored.known:
            return _status(
                witness, "rejected", "its answer carries no cosignature by its registered key", size
            )
        witness.known_size = size
        witness.last_success_at = now
        return _status(witness, "ok", f"cosigned {size} entries", size)
    if reply.status == 409:
        try:
            held = int(text.splitlines()[0])
        except (ValueError, IndexError):
            return _status(witness, "rejected", f"409 without a size: {text}", size)
        witness.known_size = held
        if held > size:
            record_event(
                session,
                category=EventCategory.SECURITY,
                action="witness.refused",
                outcome=Outcome.FAILURE,
                actor=None,
                origin=origin,
                object_type="witness",
                object_id=witness.id,
                data={
                    "witness": witness.name,
                    "status": 409,
                    "tree_size": size,
                    "witness_size": held,
                    "message": "the witness holds a larger tree than the log's latest checkpoint",
                },
            )
            return _status(witness, "refused", f"it holds {held} entries, more than this log's {size}", size)
        return _status(witness, "conflict", f"it holds {held} entries; sending a proof from there", size)
    if reply.status == 422 or (reply.status == 400 and witness.known_size > size):
        record_event(
            session,
            category=EventCategory.SECURITY,
            action="witness.refused",
            outcome=Outcome.FAILURE,
            actor=None,
            origin=origin,
            object_type="witness",
            object_id=witness.id,
            data={
                "witness": witness.name,
                "status": reply.status,
                "old_size": request.old_size,
                "tree_size": size,
                "root_hash": checkpoint.root_hash,
                "checkpoint_id": checkpoint.id,
                "message": text,
            },
        )
        return _status(witness, "refused", f"{reply.status}: {text}", size)
    if reply.status == 0:
        return _status(witness, "unreachable", reply.error[:400], size)
    return _status(witness, "rejected", f"{reply.status}: {text}", size)


def _status(witness: Witness, status: str, message: str, size: int) -> PushResult:
    witness.last_status = status
    witness.last_message = message[:500]
    return PushResult(witness.name, status, message, size)


# -- a checkpoint held outside the database (verify-audit --against) ------------------------------------


class HeldCheckpointError(ValueError):
    """A file that is neither a checkpoint document, a signed checkpoint nor a witness state file."""


@dataclass
class HeldCheckpoint:
    document: dict[str, Any]  # in the form of an exported checkpoint document (§7)
    source: str
    cosigners: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def held_checkpoint(session: Session, settings: LedgerSettings, data: bytes) -> HeldCheckpoint:
    """Read what ``verify-audit --against`` is given: an exported checkpoint (JSON), a witness's
    state file (``python -m custody.witness``), or a signed checkpoint note. A witness's cosignature
    is checked against the registered keys (retired ones too: it was made while they counted)."""
    import json

    from custody.witness.core import STATE_FORMAT

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HeldCheckpointError("the file is not UTF-8 text") from exc
    source = "signed checkpoint"
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        document = None
    if isinstance(document, dict) and document.get("format") == STATE_FORMAT:
        text, source = _note_held_by_witness(settings, document)
    elif isinstance(document, dict):
        return HeldCheckpoint(document, "exported checkpoint")
    elif document is not None:
        raise HeldCheckpointError("a JSON file here is a checkpoint document or a witness state file")
    try:
        note = parse_note(text)
        checkpoint = parse_checkpoint_body(note.text.encode("utf-8"))
    except (NoteError, ValueError) as exc:
        raise HeldCheckpointError(f"not a signed checkpoint of this log: {exc}") from exc
    key, signature = _log_signature(settings, note, checkpoint)
    result = HeldCheckpoint(
        {
            "origin": checkpoint.origin,
            "tree_size": checkpoint.tree_size,
            "root_hash": checkpoint.root_hash.hex(),
            "timestamp": format_timestamp(checkpoint.timestamp),
            "key_id": key,
            "signature": b64(signature),
        },
        source,
    )
    _check_held_cosignatures(session, note, result)
    return result


def _note_held_by_witness(settings: LedgerSettings, document: dict[str, Any]) -> tuple[str, str]:
    """A witness's state file: the signed note it holds for this log, and where it came from."""
    from custody.witness.core import WitnessError, read_state_document

    try:
        name, held = read_state_document(document)
    except WitnessError as exc:
        raise HeldCheckpointError(str(exc)) from exc
    if settings.origin not in held:
        raise HeldCheckpointError(f"the witness state holds no checkpoint of log {settings.origin!r}")
    return held[settings.origin].note, f"checkpoint held by witness {name or '(unnamed)'}"


def _log_signature(settings: LedgerSettings, note: Note, checkpoint: CheckpointBody) -> tuple[str, bytes]:
    """The log's signature on the note: the key id of the trusted key that made it, and the
    signature; when no trusted key did, no signature and the key hash of a line in the log's
    name (else "unknown")."""
    key, signature = "unknown", b""
    for line in note.signatures:
        if line.name != checkpoint.origin:
            continue
        for kid in [settings.key_id, *settings.trusted_keys]:
            public = settings.public_key_for(kid)
            if public is not None and VerifierKey.for_key(checkpoint.origin, 1, public).matches(line):
                key, signature = kid, line.signature
        if key == "unknown":
            key = f"{line.key_id:08x}"
    return key, signature


def _check_held_cosignatures(session: Session, note: Note, result: HeldCheckpoint) -> None:
    """Each cosignature on the note made by a registered witness key: it verifies (a cosigner of
    the result) or not (a problem of the result)."""
    registered = list(session.scalars(select(WitnessKey)))
    for line in note.signatures:
        for row in registered:
            candidate = verifier(row)
            if not candidate.matches(line):
                continue
            if verify_signature(note.text, line, candidate):
                when = datetime.fromtimestamp(cosignature_timestamp(line), UTC)
                result.cosigners.append(
                    f"cosigned by witness {row.witness.name} (key {row.key_id}) at {when:%Y-%m-%dT%H:%M:%SZ}"
                )
            else:
                result.problems.append(
                    f"the cosignature of witness {row.witness.name} (key {row.key_id}) on the held checkpoint "
                    "does not verify: the file was altered"
                )


# -- checking the witness records (flask custody verify-audit) -------------------------------------------


def verify_witness_records(session: Session, settings: LedgerSettings) -> list[str]:
    """What ``verify-audit`` adds about witnesses, trusting nothing it reads: every stored
    cosignature verifies with its registered key over its checkpoint; every recorded policy is
    the text its SHA-256 names and is carried by an audit event; the registry as it stands is the
    last recorded policy (else it was changed outside the audited commands)."""
    from custody.models.audit import AuditEvent

    problems: list[str] = []
    for cosignature in session.scalars(select(Cosignature).order_by(Cosignature.id)):
        checkpoint = session.get(Checkpoint, cosignature.checkpoint_id)
        if checkpoint is None:
            problems.append(
                f"Cosignature {cosignature.id} names checkpoint {cosignature.checkpoint_id}, which does not exist."
            )
            continue
        try:
            line = cosignature_line(cosignature)
            good = verify_signature(ledger.checkpoint_note_text(checkpoint), line, verifier(cosignature.key))
        except (ValueError, NoteError):
            good = False
        if not good:
            problems.append(
                f"Cosignature {cosignature.id} of checkpoint {checkpoint.id} by witness "
                f"{cosignature.key.witness.name} does not verify: it was forged or altered."
            )
    carried = {
        (event.data or {}).get("policy_sha256")
        for event in session.scalars(select(AuditEvent).where(AuditEvent.action.like("witness.%")))
    }
    for policy in session.scalars(select(WitnessPolicy).order_by(WitnessPolicy.version)):
        if hashlib.sha256(policy.text.encode("utf-8")).hexdigest() != policy.sha256:
            problems.append(
                f"Witness policy version {policy.version} does not match its SHA-256: it was altered."
            )
        elif policy.sha256 not in carried:
            problems.append(
                f"Witness policy version {policy.version} is not on the record (no witness event carries it)."
            )
    if not policy_is_recorded(session, settings):
        problems.append(
            "The witness registry is not the last recorded trust policy: keys or witnesses were changed outside "
            "the audited commands (or the log key or quorum changed: flask custody witness policy --record)."
        )
    return problems
