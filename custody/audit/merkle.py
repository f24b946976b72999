"""The global Merkle log: RFC 9162 (RFC 6962) tree hashes, proofs and their verification.

Hashing is SHA-256 with domain separation: a leaf is ``H(0x00 || entry)``, an interior node
``H(0x01 || left || right)``, the empty tree ``H("")``. Trees, inclusion paths and consistency
proofs follow RFC 9162 §2.1 exactly, so proofs from this module verify with any RFC 6962
implementation and vice versa. ``docs/LEDGER.md`` is the specification.

Argument rules, the same for every function here:

* Generators (``root_hash``, ``inclusion_proof``, ``consistency_proof``, ``MerkleTree``) raise
  ``ValueError`` when asked for something that does not exist (an index past the end, an old size
  larger than the tree, a hash that is not 32 bytes).
* Verifiers (``verify_inclusion``, ``verify_consistency``) judge untrusted proofs, so they return
  ``False`` for anything a proof or a checkpoint could claim — wrong or malformed hashes, proofs of
  the wrong length, ``index >= tree_size``, ``old_size > new_size`` (a rollback). They raise
  ``ValueError`` only for negative sizes or indexes, which no well-formed input can express and so
  indicate a bug in the caller.

This module uses only the standard library so the stand-alone verifier can share it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, MutableMapping, Sequence

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()
_sha256 = hashlib.sha256

# Leaves are fetched and hashed in aligned blocks of this many; complete subtrees of at least this
# size are remembered by ``MerkleTree`` (for 100 000 leaves that is under 800 cached hashes).
BLOCK_SIZE = 256

LeafFetcher = Callable[[int, int], Sequence[bytes]]


def leaf_hash(entry: bytes) -> bytes:
    """The leaf hash of one log entry: ``SHA-256(0x00 || entry)``."""
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """The ``k`` of RFC 9162: the largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes | bytearray) and len(value) == HASH_SIZE


def _check_non_negative(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int")
    if value < 0:
        raise ValueError(f"{name} must not be negative")


def _fold(subtree_hashes: Sequence[bytes]) -> bytes:
    """Combine the perfect subtrees of a range, largest (leftmost) first, into its MTH.

    The RFC splits a range of ``n`` leaves at the largest power of two below ``n`` again and again,
    so the left parts are exactly the perfect subtrees given by the binary digits of ``n`` and the
    root is their right-to-left fold.
    """
    if not subtree_hashes:
        return EMPTY_ROOT
    result = subtree_hashes[-1]
    for left in reversed(subtree_hashes[:-1]):
        result = node_hash(left, result)
    return result


def _perfect_root(hashes: list[bytes]) -> bytes:
    """MTH of a power-of-two number of leaf hashes, level by level (no recursion)."""
    while len(hashes) > 1:
        hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]


class MerkleTree:
    """A read-only view of the first ``size`` leaves of a log, for roots and proofs.

    Leaf hashes come from ``get_leaf_hashes(start, end)``, which must return the hashes of leaves
    ``start`` … ``end - 1`` (a list slice, or one range query on the events table), so a large log
    never has to be loaded whole. Hashes of complete subtrees of at least ``BLOCK_SIZE`` leaves
    are kept in ``cache``, keyed by ``(start, width)``: in an append-only log such a subtree never
    changes, so one cache may be shared by views of the same log at different sizes (pass the same
    dict). After the first proof has filled it, each further proof fetches at most a few blocks.
    A cache trusts what it has seen: a verifier checking stored leaves must not reuse one.
    """

    def __init__(
        self,
        size: int,
        get_leaf_hashes: LeafFetcher,
        cache: MutableMapping[tuple[int, int], bytes] | None = None,
    ) -> None:
        _check_non_negative("size", size)
        self.size = size
        self._get = get_leaf_hashes
        self.cache: MutableMapping[tuple[int, int], bytes] = {} if cache is None else cache

    @classmethod
    def from_leaf_hashes(cls, leaf_hashes: Sequence[bytes]) -> MerkleTree:
        """A view of an in-memory list of leaf hashes."""
        return cls(len(leaf_hashes), lambda start, end: leaf_hashes[start:end])

    # -- subtree hashes ---------------------------------------------------------------------

    def _leaves(self, start: int, end: int) -> list[bytes]:
        hashes = list(self._get(start, end))
        if len(hashes) != end - start:
            raise ValueError(f"leaf store returned {len(hashes)} hashes for [{start}, {end})")
        for i, value in enumerate(hashes):
            if not _is_hash(value):
                raise ValueError(f"leaf hash {start + i} is not {HASH_SIZE} bytes")
        return [bytes(value) for value in hashes]

    def _perfect(self, start: int, width: int) -> bytes:
        """Hash of the complete subtree of ``width`` (a power of two) leaves from ``start``."""
        cacheable = width >= BLOCK_SIZE
        if cacheable:
            cached = self.cache.get((start, width))
            if cached is not None:
                return cached
        if width <= BLOCK_SIZE:
            value = _perfect_root(self._leaves(start, start + width))
        else:
            half = width // 2
            value = node_hash(self._perfect(start, half), self._perfect(start + half, half))
        if cacheable:
            self.cache[(start, width)] = value
        return value

    def _subtrees(self, start: int, end: int) -> list[bytes]:
        """The compact range of ``[start, end)``: its perfect subtrees' hashes, largest first."""
        parts: list[bytes] = []
        position, remaining = start, end - start
        while remaining:
            width = 1 << (remaining.bit_length() - 1)
            parts.append(self._perfect(position, width))
            position += width
            remaining -= width
        return parts

    def _range(self, start: int, end: int) -> bytes:
        """MTH of leaves ``start`` … ``end - 1`` — a subtree as the RFC recursion meets it."""
        return _fold(self._subtrees(start, end))

    def subtree_hash(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]): the root of the leaves ``start`` … ``end - 1`` as a tree of their own."""
        _check_non_negative("start", start)
        if not start <= end <= self.size:
            raise ValueError(f"range [{start}, {end}) is not inside a tree of size {self.size}")
        return self._range(start, end)

    # -- heads and proofs -------------------------------------------------------------------

    def root(self) -> bytes:
        """MTH of the whole view (``EMPTY_ROOT`` for size 0)."""
        return self._range(0, self.size)

    def frontier(self) -> MerkleFrontier:
        """The compact range of the whole view, to resume appending from."""
        return MerkleFrontier(self.size, self._subtrees(0, self.size))

    def inclusion_proof(self, index: int) -> list[bytes]:
        """PATH(index, D[size]) of RFC 9162 §2.1.3.1, the sibling nearest the leaf first."""
        _check_non_negative("index", index)
        if index >= self.size:
            raise ValueError(f"leaf index {index} is not in a tree of size {self.size}")
        siblings: list[bytes] = []
        start, end, m = 0, self.size, index
        while end - start > 1:
            k = _largest_power_of_two_below(end - start)
            if m < k:
                siblings.append(self._range(start + k, end))
                end = start + k
            else:
                siblings.append(self._range(start, start + k))
                start, m = start + k, m - k
        # The RFC appends each sibling after the deeper path, so the top one comes last.
        siblings.reverse()
        return siblings

    def consistency_proof(self, old_size: int) -> list[bytes]:
        """PROOF(old_size, D[size]) of RFC 9162 §2.1.4.1 (empty when old_size is 0 or size)."""
        _check_non_negative("old_size", old_size)
        if old_size > self.size:
            raise ValueError(f"old size {old_size} is larger than the tree ({self.size})")
        if old_size == 0 or old_size == self.size:
            return []
        # SUBPROOF(m, D[start:end], b), unrolled; each level contributes one hash, outermost last.
        nodes: list[bytes] = []
        start, end, m, complete = 0, self.size, old_size, True
        while m != end - start:
            k = _largest_power_of_two_below(end - start)
            if m <= k:
                nodes.append(self._range(start + k, end))
                end = start + k
            else:
                nodes.append(self._range(start, start + k))
                start, m, complete = start + k, m - k, False
        if not complete:
            # SUBPROOF(m, D[m], false) = {MTH(D[m])}: the old tree's own subtree is needed.
            nodes.append(self._range(start, end))
        nodes.reverse()
        return nodes


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 §2.1.1 over the given leaf hashes."""
    return MerkleTree.from_leaf_hashes(leaf_hashes).root()


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """The inclusion path of leaf ``index`` in the tree of all ``leaf_hashes``."""
    return MerkleTree.from_leaf_hashes(leaf_hashes).inclusion_proof(index)


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """The proof that the tree of the first ``old_size`` leaves is a prefix of the whole tree."""
    return MerkleTree.from_leaf_hashes(leaf_hashes).consistency_proof(old_size)


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows leaf ``index`` with ``leaf_hash`` in the tree ``root`` (§2.1.3.2)."""
    _check_non_negative("index", index)
    _check_non_negative("tree_size", tree_size)
    if index >= tree_size:
        return False
    proof = list(proof)
    if not (_is_hash(leaf_hash) and _is_hash(root) and all(_is_hash(p) for p in proof)):
        return False
    fn, sn = index, tree_size - 1
    r = bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                # fn is the last node on its level: climb past the levels where it has no sibling.
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree ``old_root`` is a prefix of ``new_root`` (§2.1.4.2).

    The RFC algorithm covers ``0 < old_size < new_size``. At the edges: equal sizes need an empty
    proof and equal roots; the empty tree (size 0, root ``EMPTY_ROOT``) is a prefix of every tree
    and needs an empty proof; a smaller new size is never consistent.
    """
    _check_non_negative("old_size", old_size)
    _check_non_negative("new_size", new_size)
    proof = list(proof)
    if not (_is_hash(old_root) and _is_hash(new_root) and all(_is_hash(p) for p in proof)):
        return False
    if old_size > new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    return _consistent(old_size, new_size, old_root, new_root, [bytes(p) for p in proof])


def _consistent(old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: list[bytes]) -> bool:
    """The RFC 9162 §2.1.4.2 verification proper, for ``0 < old_size < new_size`` and a proof
    that is not empty."""
    if old_size & (old_size - 1) == 0:
        # The old tree is one complete subtree, so its root is the proof's implicit first node.
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


class MerkleFrontier:
    """The running head of an append-only tree: its size and compact range.

    The compact range is the list of roots of the perfect subtrees that make up the tree, largest
    (leftmost) first — one per set bit of ``size``. Appending a leaf merges equal-sized subtrees
    like a binary counter, so it costs O(log n) hashes and the app need not reload any leaves.
    """

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        _check_non_negative("size", size)
        hashes = [bytes(h) for h in hashes]
        if len(hashes) != size.bit_count():
            raise ValueError(f"a tree of size {size} has {size.bit_count()} subtree roots, not {len(hashes)}")
        if not all(_is_hash(h) for h in hashes):
            raise ValueError(f"subtree roots must be {HASH_SIZE} bytes")
        self._size = size
        self._hashes = hashes

    @classmethod
    def from_leaf_hashes(cls, leaf_hashes: Iterable[bytes]) -> MerkleFrontier:
        frontier = cls()
        frontier.extend(leaf_hashes)
        return frontier

    @classmethod
    def from_hex(cls, size: int, hashes: Sequence[str]) -> MerkleFrontier:
        """Rebuild a frontier stored with ``to_hex`` (the size is stored beside it)."""
        try:
            raw = [bytes.fromhex(h) for h in hashes]
        except (TypeError, ValueError) as exc:
            raise ValueError("subtree roots must be hex strings") from exc
        return cls(size, raw)

    def to_hex(self) -> list[str]:
        """The subtree roots as lower-case hex, largest subtree first."""
        return [h.hex() for h in self._hashes]

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> list[bytes]:
        return list(self._hashes)

    def append(self, leaf_hash: bytes) -> None:
        if type(leaf_hash) is not bytes or len(leaf_hash) != HASH_SIZE:  # the usual case, checked fast
            if not _is_hash(leaf_hash):
                raise ValueError(f"a leaf hash must be {HASH_SIZE} bytes")
            leaf_hash = bytes(leaf_hash)
        value, size, hashes = leaf_hash, self._size, self._hashes
        # Each trailing 1 bit of the old size is a subtree of the new one's width: merge it in.
        while size & 1:
            value = _sha256(NODE_PREFIX + hashes.pop() + value).digest()  # node_hash, inlined
            size >>= 1
        hashes.append(value)
        self._size += 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """``append`` each of ``leaf_hashes`` in turn (inlined: the verifier appends every leaf)."""
        size, hashes = self._size, self._hashes
        pop, push, sha256, node = hashes.pop, hashes.append, _sha256, NODE_PREFIX
        try:
            for value in leaf_hashes:
                if type(value) is not bytes or len(value) != HASH_SIZE:
                    if not _is_hash(value):
                        raise ValueError(f"a leaf hash must be {HASH_SIZE} bytes")
                    value = bytes(value)
                bits = size
                while bits & 1:
                    value = sha256(node + pop() + value).digest()
                    bits >>= 1
                push(value)
                size += 1
        finally:
            self._size = size  # the leaves appended before a bad one stay appended, as with append

    def root(self) -> bytes:
        """MTH of the tree so far (``EMPTY_ROOT`` when empty)."""
        return _fold(self._hashes)

    def copy(self) -> MerkleFrontier:
        return MerkleFrontier(self._size, self._hashes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MerkleFrontier):
            return NotImplemented
        return self._size == other._size and self._hashes == other._hashes

    def __repr__(self) -> str:
        return f"MerkleFrontier(size={self._size}, root={self.root().hex()})"
