"""双随机 — random spot checks: random items, random inspectors, provably not hand-picked.

The draw is a pure function of a recorded seed and two stably ordered lists (the candidate items
and the inspector pool), so anyone holding the seed and the lists can redo it and get the same
sample. The lists themselves are committed to by SHA-256 digests recorded with the draw.

Algorithm ``ALGORITHM`` (do not change it; add a new version instead):

1. candidates: the items in scope ordered by id; digest = SHA-256 of the lines ``"<id>\\t<label>\\n"``;
2. sample = ``random.Random(int(seed, 16)).sample(candidate ids, size)`` (draw order kept);
3. inspectors: a second generator ``random.Random(int(SHA-256("<seed>:inspectors"), 16))``; for
   each sampled item in draw order, ``choice`` among the pool members (ordered by user id) whose
   agency is not the item's custodian.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass

from .enums import LabelledEnum, register_labels
from .errors import Conflict, InvalidInput
from .i18n import N_

ALGORITHM = "spot-check/v1: sha256 lists, python random.Random(seed).sample, per-item inspector choice"
MAX_SAMPLE = 500
SEED_HEX_LENGTH = 32  # 128 bits from the secrets module


class SpotCheckStatus(LabelledEnum):
    OPEN = "open"
    COMPLETED = "completed"


class SpotCheckResult(LabelledEnum):
    PENDING = "pending"
    CONFORMING = "conforming"  # 相符
    NONCONFORMING = "nonconforming"  # 不符: the finding says how
    NOT_FOUND = "not_found"  # 未找到


@dataclass(frozen=True)
class Candidate:
    item_id: int
    label_code: str
    custodian_agency_id: int


@dataclass(frozen=True)
class Inspector:
    user_id: int
    agency_id: int


@dataclass(frozen=True)
class Draw:
    seed: str
    candidate_count: int
    candidates_sha256: str
    pool_count: int
    pool_sha256: str
    items: tuple[Candidate, ...]  # in draw order
    inspectors: tuple[int, ...]  # user id per sampled item


def digest_lines(lines: Sequence[str]) -> str:
    sha = hashlib.sha256()
    for line in lines:
        sha.update(line.encode("utf-8") + b"\n")
    return sha.hexdigest()


def candidates_digest(candidates: Sequence[Candidate]) -> str:
    return digest_lines([f"{c.item_id}\t{c.label_code}" for c in candidates])


def pool_digest(pool: Sequence[Inspector]) -> str:
    return digest_lines([f"{p.user_id}\t{p.agency_id}" for p in pool])


def check_seed(seed: str) -> int:
    try:
        value = int(seed, 16)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            N_("The seed must be hexadecimal."), fields={"seed": [N_("Not hexadecimal.")]}
        ) from exc
    return value


def check_size(size: int, candidate_count: int) -> None:
    if size < 1 or size > MAX_SAMPLE:
        raise InvalidInput(
            N_("The sample size must be between 1 and %(max)s."),
            fields={"size": [N_("Out of range.")]},
            max=MAX_SAMPLE,
        )
    if candidate_count == 0:
        raise Conflict(N_("No items match the scope of the spot check."), code="spot_check.no_candidates")


def draw(seed: str, candidates: Sequence[Candidate], pool: Sequence[Inspector], size: int) -> Draw:
    """Draw ``size`` items (all of them if fewer) and one inspector per item, from ``seed``.

    ``candidates`` must be ordered by item id and ``pool`` by user id (the caller's stable order).
    """
    if list(candidates) != sorted(candidates, key=lambda c: c.item_id):
        raise ValueError("candidates must be ordered by item id")
    if list(pool) != sorted(pool, key=lambda p: p.user_id):
        raise ValueError("the inspector pool must be ordered by user id")
    check_size(size, len(candidates))
    rng = random.Random(check_seed(seed))
    sample = rng.sample(list(candidates), min(size, len(candidates)))
    picker = random.Random(int(hashlib.sha256(f"{seed}:inspectors".encode()).hexdigest(), 16))
    inspectors = []
    for item in sample:
        eligible = [p for p in pool if p.agency_id != item.custodian_agency_id]
        if not eligible:
            raise Conflict(
                N_("No inspector from another agency than the custodian is available."),
                code="spot_check.no_inspectors",
            )
        inspectors.append(picker.choice(eligible).user_id)
    return Draw(
        seed=seed,
        candidate_count=len(candidates),
        candidates_sha256=candidates_digest(candidates),
        pool_count=len(pool),
        pool_sha256=pool_digest(pool),
        items=tuple(sample),
        inspectors=tuple(inspectors),
    )


def check_result(result: SpotCheckResult, finding: str | None) -> str | None:
    finding = (finding or "").strip() or None
    if result is SpotCheckResult.PENDING:
        raise InvalidInput(N_("Choose a result."), fields={"result": [N_("Required.")]})
    if result is not SpotCheckResult.CONFORMING and not finding:
        raise InvalidInput(N_("Describe what did not conform."), fields={"finding": [N_("Required.")]})
    if finding and len(finding) > 1000:
        raise InvalidInput(N_("Too long."), fields={"finding": [N_("Too long.")]})
    return finding


register_labels(
    [
        (SpotCheckStatus.OPEN, N_("In progress")),
        (SpotCheckStatus.COMPLETED, N_("Completed")),
        (SpotCheckResult.PENDING, N_("Not inspected yet")),
        (SpotCheckResult.CONFORMING, N_("Conforms to the record")),
        (SpotCheckResult.NONCONFORMING, N_("Does not conform")),
        (SpotCheckResult.NOT_FOUND, N_("Not found")),
    ]
)
