"""RFC 9162 Merkle tree: published vectors, corrupted proofs, exhaustive small trees, properties.

Pure tests: no app, no database.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custody.audit import merkle
from custody.audit.merkle import (
    EMPTY_ROOT,
    MerkleFrontier,
    MerkleTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# -- published vectors -------------------------------------------------------------------------
# The RFC 6962 test tree of Google's certificate-transparency, as kept in transparency-dev/merkle:
# inputs, node hashes, roots and compact ranges from testonly/constants.go (commit 582a6ad1),
# inclusion and consistency proofs from proof/verify_test.go (commit 02194e9a).

LEAF_INPUTS = [
    h(""),
    h("00"),
    h("10"),
    h("2021"),
    h("3031"),
    h("40414243"),
    h("5051525354555657"),
    h("606162636465666768696a6b6c6d6e6f"),
]

# NodeHashes(): level 0 are the leaf hashes, level 3 the root of all eight.
NODE_HASHES = [
    [
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
        h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
        h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    ],
    [
        h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    ],
    [
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ],
    [h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")],
]

# RootHashes(), indexed by tree size from 0.
ROOTS = [
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# CompactTrees(), indexed by tree size from 0.
NH = NODE_HASHES
COMPACT_TREES = [
    [],
    [NH[0][0]],
    [NH[1][0]],
    [NH[1][0], NH[0][2]],
    [NH[2][0]],
    [NH[2][0], NH[0][4]],
    [NH[2][0], NH[1][2]],
    [NH[2][0], NH[1][2], NH[0][6]],
    [NH[3][0]],
]

# inclusionProofs: (leaf number counted from 1 as in the Go file, tree size, proof).
INCLUSION_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (3, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        2,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]

# consistencyProofs: (old size, new size, proof).
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]

LEAVES = [leaf_hash(entry) for entry in LEAF_INPUTS]
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")  # from verify_test.go


# -- a literal transcription of RFC 9162 §2.1, to check the iterative code against -------------


def ref_mth(hashes: list[bytes]) -> bytes:
    n = len(hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashes[0]
    k = 1 << ((n - 1).bit_length() - 1)
    return node_hash(ref_mth(hashes[:k]), ref_mth(hashes[k:]))


def ref_path(m: int, hashes: list[bytes]) -> list[bytes]:
    n = len(hashes)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return ref_path(m, hashes[:k]) + [ref_mth(hashes[k:])]
    return ref_path(m - k, hashes[k:]) + [ref_mth(hashes[:k])]


def ref_subproof(m: int, hashes: list[bytes], complete: bool) -> list[bytes]:
    n = len(hashes)
    if m == n:
        return [] if complete else [ref_mth(hashes)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return ref_subproof(m, hashes[:k], complete) + [ref_mth(hashes[k:])]
    return ref_subproof(m - k, hashes[k:], False) + [ref_mth(hashes[:k])]


def leaves_of(count: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(count)]


# -- corrupted proofs, after corruptInclusionProof / corruptConsistencyProof in verify_test.go --


def flip(value: bytes, bit: int = 3) -> bytes:
    return bytes([value[0] ^ (1 << bit)]) + value[1:]


def bad_inclusion_probes(index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes):
    """(description, leaf, index, size, proof, root) tuples that must all fail to verify."""
    probes = [
        ("index + 1", leaf, index + 1, size, proof, root),
        ("index ^ 2", leaf, index ^ 2, size, proof, root),
        ("wrong leaf", leaf_hash(b"WrongLeaf"), index, size, proof, root),
        ("short leaf", b"WrongLeaf", index, size, proof, root),
        ("empty root", leaf, index, size, proof, EMPTY_ROOT),
        ("random root", leaf, index, size, proof, SOME_HASH),
        ("short root", leaf, index, size, proof, root[:-1]),
        ("trailing garbage", leaf, index, size, [*proof, b""], root),
        ("trailing root", leaf, index, size, [*proof, root], root),
        ("trailing hash", leaf, index, size, [*proof, SOME_HASH], root),
        ("preceding garbage", leaf, index, size, [b"", *proof], root),
        ("preceding root", leaf, index, size, [root, *proof], root),
    ]
    if index > 0:
        probes.append(("index - 1", leaf, index - 1, size, proof, root))
    for i in range(len(proof)):
        probes.append(
            (
                f"proof[{i}] bit flipped",
                leaf,
                index,
                size,
                [*proof[:i], flip(proof[i]), *proof[i + 1 :]],
                root,
            )
        )
        probes.append((f"proof[{i}] removed", leaf, index, size, proof[:i] + proof[i + 1 :], root))
    if len(proof) > 1:
        probes.append(("inserted component", leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], root))
    return probes


def bad_consistency_probes(size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes]):
    """(description, size1, size2, root1, root2, proof) tuples that must all fail to verify."""
    probes = [
        ("wrong root1", size1, size2, SOME_HASH, root2, proof),
        ("wrong root2", size1, size2, root1, SOME_HASH, proof),
        ("short root1", size1, size2, b"WrongRoot", root2, proof),
        ("swapped roots", size1, size2, root2, root1, proof),
        ("swapped sizes", size2, size1, root2, root1, proof),
        ("empty proof", size1, size2, root1, root2, []),
        ("trailing garbage", size1, size2, root1, root2, [*proof, b""]),
        ("trailing root1", size1, size2, root1, root2, [*proof, root1]),
        ("trailing root2", size1, size2, root1, root2, [*proof, root2]),
        ("preceding garbage", size1, size2, root1, root2, [b"", *proof]),
        ("preceding root1", size1, size2, root1, root2, [root1, *proof]),
        ("preceding root2", size1, size2, root1, root2, [root2, *proof]),
        ("preceding proof[0]", size1, size2, root1, root2, [proof[0], *proof]),
        ("truncated proof", size1, size2, root1, root2, proof[:-1]),
    ]
    for i in range(len(proof)):
        probes.append(
            (
                f"proof[{i}] bit flipped",
                size1,
                size2,
                root1,
                root2,
                [*proof[:i], flip(proof[i], 4), *proof[i + 1 :]],
            )
        )
    return probes


def assert_inclusion_is_strict(index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes) -> None:
    assert verify_inclusion(leaf, index, size, proof, root)
    accepted = [
        probe[0]
        for probe in bad_inclusion_probes(index, size, proof, root, leaf)
        if verify_inclusion(*probe[1:])
    ]
    assert accepted == [], f"leaf {index} of {size}: corrupted proofs verified: {accepted}"


def assert_consistency_is_strict(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes]
) -> None:
    assert verify_consistency(size1, size2, root1, root2, proof)
    if not proof:
        return
    accepted = [
        probe[0]
        for probe in bad_consistency_probes(size1, size2, root1, root2, proof)
        if verify_consistency(*probe[1:])
    ]
    assert accepted == [], f"{size1} -> {size2}: corrupted proofs verified: {accepted}"


# -- the published vectors -----------------------------------------------------------------------


def test_hashing_is_domain_separated_sha256():
    assert EMPTY_ROOT == ROOTS[0] == root_hash([])
    assert LEAVES == NODE_HASHES[0]
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert node_hash(LEAVES[0], LEAVES[1]) == hashlib.sha256(b"\x01" + LEAVES[0] + LEAVES[1]).digest()
    for level in range(1, 4):
        below = NODE_HASHES[level - 1]
        assert NODE_HASHES[level] == [node_hash(below[i], below[i + 1]) for i in range(0, len(below), 2)]


@pytest.mark.parametrize("size", range(9))
def test_root_hashes_match_published_roots(size):
    assert root_hash(LEAVES[:size]) == ROOTS[size]
    assert ref_mth(LEAVES[:size]) == ROOTS[size]
    frontier = MerkleFrontier.from_leaf_hashes(LEAVES[:size])
    assert frontier.hashes == COMPACT_TREES[size]
    assert frontier.root() == ROOTS[size]
    assert MerkleTree.from_leaf_hashes(LEAVES[:size]).frontier() == frontier


@pytest.mark.parametrize(("leaf_number", "size", "proof"), INCLUSION_VECTORS)
def test_published_inclusion_proofs(leaf_number, size, proof):
    index = leaf_number - 1
    assert inclusion_proof(LEAVES[:size], index) == proof
    assert_inclusion_is_strict(index, size, proof, ROOTS[size], LEAVES[index])


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY_VECTORS)
def test_published_consistency_proofs(size1, size2, proof):
    assert consistency_proof(LEAVES[:size2], size1) == proof
    assert_consistency_is_strict(size1, size2, ROOTS[size1], ROOTS[size2], proof)


def test_inclusion_wrong_tree_size_fails_on_the_published_proofs():
    # verify_test.go's "treeSize * 2" and "treeSize / 2" probes, with the same root. (A size that
    # gives the path the same shape, such as 7 for leaf 0 of 8, still verifies against the size-8
    # root: sizes are only meaningful with the root of the same signed checkpoint.)
    for leaf_number, size, proof in INCLUSION_VECTORS[1:]:
        index = leaf_number - 1
        for wrong in (size * 2, size // 2):
            assert not verify_inclusion(LEAVES[index], index, wrong, proof, ROOTS[size]), (index, size, wrong)


def test_consistency_wrong_sizes_fail_on_the_published_proofs():
    for size1, size2, proof in CONSISTENCY_VECTORS[1:]:
        for s1, s2 in [
            (size1 - 1, size2),
            (size1 + 1, size2),
            (size1 ^ 2, size2),
            (size1, size2 * 2),
            (size1, size2 // 2),
        ]:
            assert not verify_consistency(s1, s2, ROOTS[size1], ROOTS[size2], proof), (size1, size2, s1, s2)


# -- edge cases and argument rules ---------------------------------------------------------------


def test_single_entry_tree():
    data = leaf_hash(b"data")
    assert root_hash([data]) == data
    assert inclusion_proof([data], 0) == []
    assert verify_inclusion(data, 0, 1, [], data)
    assert not verify_inclusion(data, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], data)
    assert not verify_inclusion(data, 0, 1, [data], data)


def test_inclusion_outside_the_tree_is_false_and_negative_is_an_error():
    for index, size in [(0, 0), (1, 0), (2, 1), (8, 8)]:
        assert not verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)
    with pytest.raises(ValueError):
        verify_inclusion(LEAVES[0], -1, 1, [], ROOTS[1])
    with pytest.raises(ValueError):
        verify_inclusion(LEAVES[0], 0, -1, [], ROOTS[1])
    with pytest.raises(TypeError):
        verify_inclusion(LEAVES[0], 0.0, 1, [], ROOTS[1])


def test_consistency_edges():
    # Equal sizes: empty proof and equal roots.
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(5, 5, ROOTS[5], ROOTS[5], [])
    assert not verify_consistency(5, 5, ROOTS[5], ROOTS[4], [])
    assert not verify_consistency(5, 5, ROOTS[5], ROOTS[5], [EMPTY_ROOT])
    assert not verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])
    # The empty tree is a prefix of everything, but only under its own root and with no proof.
    assert consistency_proof(LEAVES, 0) == []
    assert verify_consistency(0, 8, EMPTY_ROOT, ROOTS[8], [])
    assert not verify_consistency(0, 8, ROOTS[1], ROOTS[8], [])
    assert not verify_consistency(0, 1, EMPTY_ROOT, ROOTS[1], [EMPTY_ROOT])
    # Going back in time is never consistent.
    assert not verify_consistency(2, 1, ROOTS[2], ROOTS[1], [])
    assert not verify_consistency(8, 6, ROOTS[8], ROOTS[6], consistency_proof(LEAVES, 6))
    # A non-empty tree needs a proof.
    assert not verify_consistency(1, 2, ROOTS[1], ROOTS[2], [])
    with pytest.raises(ValueError):
        verify_consistency(-1, 2, ROOTS[1], ROOTS[2], [])


def test_crafted_proofs_that_hash_to_the_root_still_fail():
    # Guards from RFC 9162 that a bare "recompute the root" check would miss. A proof longer than a
    # tree of that size allows: leaf 1 posing as the only leaf of a one-leaf tree with root 2.
    assert not verify_inclusion(LEAVES[1], 0, 1, [LEAVES[0]], ROOTS[2])
    # A rollback dressed up as consistency: the log signs a size-2 head whose root is built over
    # the size-3 root. The algorithm alone would accept it; sizes must not go backwards.
    x = SOME_HASH
    assert not verify_consistency(3, 2, ROOTS[3], node_hash(ROOTS[3], x), [ROOTS[3], x])
    # A consistency proof one element too long, against roots wrapped in that element.
    proof = consistency_proof(LEAVES[:4], 3)
    assert verify_consistency(3, 4, ROOTS[3], ROOTS[4], proof)
    assert not verify_consistency(3, 4, node_hash(x, ROOTS[3]), node_hash(x, ROOTS[4]), [*proof, x])


def test_malformed_proof_elements_are_false_not_errors():
    proof = inclusion_proof(LEAVES, 5)
    cproof = consistency_proof(LEAVES, 6)
    for junk in (proof[0].hex(), None, 7, proof[0][:31], proof[0] + b"\x00", [proof[0]]):
        assert not verify_inclusion(LEAVES[5], 5, 8, [junk, *proof[1:]], ROOTS[8])
        assert not verify_consistency(6, 8, ROOTS[6], ROOTS[8], [junk, *cproof[1:]])
    for junk in (ROOTS[8].hex(), None, ROOTS[8][:16]):
        assert not verify_inclusion(LEAVES[5], 5, 8, proof, junk)
        assert not verify_inclusion(junk, 5, 8, proof, ROOTS[8])
        assert not verify_consistency(6, 8, junk, ROOTS[8], cproof)
        assert not verify_consistency(6, 8, ROOTS[6], junk, cproof)
    # bytearray works as well as bytes.
    assert verify_inclusion(bytearray(LEAVES[5]), 5, 8, [bytearray(p) for p in proof], bytearray(ROOTS[8]))


def test_generators_refuse_what_does_not_exist():
    with pytest.raises(ValueError):
        inclusion_proof(LEAVES, 8)
    with pytest.raises(ValueError):
        inclusion_proof([], 0)
    with pytest.raises(ValueError):
        inclusion_proof(LEAVES, -1)
    with pytest.raises(ValueError):
        consistency_proof(LEAVES[:5], 6)
    with pytest.raises(ValueError):
        root_hash([b"short"])
    with pytest.raises(ValueError):
        MerkleTree(3, lambda start, end: LEAVES[start : end - 1]).root()
    with pytest.raises(ValueError):
        MerkleFrontier().append(b"short")


def test_frontier_serialisation():
    frontier = MerkleFrontier.from_leaf_hashes(LEAVES[:7])
    stored = frontier.to_hex()
    assert stored == [value.hex() for value in COMPACT_TREES[7]]
    restored = MerkleFrontier.from_hex(7, stored)
    assert restored == frontier
    assert restored.root() == ROOTS[7]
    restored.append(LEAVES[7])
    assert restored.root() == ROOTS[8]
    assert frontier.size == 7
    with pytest.raises(ValueError):
        MerkleFrontier.from_hex(6, stored)  # size 6 has two subtrees, not three
    with pytest.raises(ValueError):
        MerkleFrontier.from_hex(7, [*stored[:2], "zz"])
    with pytest.raises(ValueError):
        MerkleFrontier.from_hex(7, [*stored[:2], "abcd"])


# -- every proof of every small tree -------------------------------------------------------------

EXHAUSTIVE = 33
BIG_LEAVES = leaves_of(EXHAUSTIVE)


def test_every_inclusion_proof_of_small_trees():
    for size in range(1, EXHAUSTIVE + 1):
        hashes = BIG_LEAVES[:size]
        root = ref_mth(hashes)
        tree = MerkleTree.from_leaf_hashes(hashes)
        assert tree.root() == root
        for index in range(size):
            proof = tree.inclusion_proof(index)
            assert proof == ref_path(index, hashes)
            assert_inclusion_is_strict(index, size, proof, root, hashes[index])
            # Wrong sizes fail when paired with the real root of that size.
            for other in (size - 1, size + 1, size * 2, size // 2):
                if index < other <= EXHAUSTIVE:
                    assert not verify_inclusion(
                        hashes[index], index, other, proof, ref_mth(BIG_LEAVES[:other])
                    )


def test_every_consistency_proof_of_small_trees():
    roots = [ref_mth(BIG_LEAVES[:n]) for n in range(EXHAUSTIVE + 1)]
    for size2 in range(1, EXHAUSTIVE + 1):
        tree = MerkleTree.from_leaf_hashes(BIG_LEAVES[:size2])
        for size1 in range(0, size2 + 1):
            proof = tree.consistency_proof(size1)
            expected = [] if size1 in (0, size2) else ref_subproof(size1, BIG_LEAVES[:size2], True)
            assert proof == expected
            assert_consistency_is_strict(size1, size2, roots[size1], roots[size2], proof)
            for s1, s2 in [(size1 - 1, size2), (size1 + 1, size2), (size1, size2 + 1), (size1, size2 - 1)]:
                if 0 <= s1 <= s2 <= EXHAUSTIVE and (s1, s2) != (size1, size2) and s1 != s2 and s1 > 0:
                    assert not verify_consistency(s1, s2, roots[s1], roots[s2], proof), (size1, size2, s1, s2)


def test_cached_views_share_complete_subtrees(monkeypatch):
    monkeypatch.setattr(merkle, "BLOCK_SIZE", 4)
    hashes = leaves_of(70)
    cache: dict[tuple[int, int], bytes] = {}
    for size in range(1, 71):
        tree = MerkleTree(size, lambda start, end: hashes[start:end], cache)
        assert tree.root() == ref_mth(hashes[:size])
        for index in range(0, size, 3):
            assert tree.inclusion_proof(index) == ref_path(index, hashes[:size])
        for old in range(1, size, 5):
            assert tree.consistency_proof(old) == ref_subproof(old, hashes[:size], True)
        assert tree.frontier() == MerkleFrontier.from_leaf_hashes(hashes[:size])
    # Proofs and heads only ever meet aligned complete subtrees.
    assert cache
    assert all(width >= 4 and start % width == 0 for start, width in cache)
    # Any range has a hash of its own, aligned or not.
    tree = MerkleTree.from_leaf_hashes(hashes)
    for start in range(0, 70, 3):
        for end in range(start, 71, 5):
            assert tree.subtree_hash(start, end) == ref_mth(hashes[start:end])
    with pytest.raises(ValueError):
        tree.subtree_hash(2, 71)


def test_a_hundred_thousand_leaves():
    size = 100_003
    hashes = [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(size)]
    fetched = 0

    def fetch(start: int, end: int) -> list[bytes]:
        nonlocal fetched
        fetched += end - start
        return hashes[start:end]

    tree = MerkleTree(size, fetch)
    root = tree.root()
    assert root == MerkleFrontier.from_leaf_hashes(hashes).root()
    old_tree = MerkleTree(65_537, fetch, tree.cache)
    old_root = old_tree.root()
    for index in (0, 1, 4_095, 65_536, 99_999, size - 1):
        fetched = 0
        proof = tree.inclusion_proof(index)
        assert fetched <= 4 * merkle.BLOCK_SIZE  # a warm cache keeps proofs cheap
        assert verify_inclusion(hashes[index], index, size, proof, root)
        assert not verify_inclusion(hashes[index], index, size, [flip(proof[0]), *proof[1:]], root)
    for old_size in (1, 1_000, 65_537, 99_999):
        fetched = 0
        proof = tree.consistency_proof(old_size)
        assert fetched <= 4 * merkle.BLOCK_SIZE
        old = old_root if old_size == 65_537 else MerkleTree(old_size, fetch, tree.cache).root()
        assert verify_consistency(old_size, size, old, root, proof)
        assert not verify_consistency(old_size, size, old, root, proof[:-1])


# -- properties ----------------------------------------------------------------------------------

entries = st.lists(st.binary(max_size=12), min_size=1, max_size=48)


@settings(max_examples=60, deadline=None)
@given(entries)
def test_frontier_root_equals_root_hash_for_every_prefix(data):
    hashes = [leaf_hash(entry) for entry in data]
    frontier = MerkleFrontier()
    assert frontier.root() == EMPTY_ROOT
    for n, value in enumerate(hashes, start=1):
        frontier.append(value)
        assert frontier.size == n
        assert frontier.root() == root_hash(hashes[:n]) == ref_mth(hashes[:n])
        assert MerkleFrontier.from_hex(n, frontier.to_hex()) == frontier


@settings(max_examples=60, deadline=None)
@given(entries)
def test_every_proof_of_a_random_tree_verifies(data):
    hashes = [leaf_hash(entry) for entry in data]
    size = len(hashes)
    tree = MerkleTree.from_leaf_hashes(hashes)
    root = tree.root()
    for index in range(size):
        assert verify_inclusion(hashes[index], index, size, tree.inclusion_proof(index), root)
    for old_size in range(size + 1):
        old_root = root_hash(hashes[:old_size])
        assert verify_consistency(old_size, size, old_root, root, tree.consistency_proof(old_size))


@st.composite
def mutated_inclusion(draw):
    data = draw(st.lists(st.binary(max_size=8), min_size=2, max_size=40, unique=True))
    hashes = [leaf_hash(entry) for entry in data]
    size = len(hashes)
    index = draw(st.integers(0, size - 1))
    proof = inclusion_proof(hashes, index)
    leaf, root = hashes[index], root_hash(hashes)
    kind = draw(st.sampled_from(["flip", "drop", "add", "index", "leaf", "root", "swap"]))
    if kind == "swap" and len(set(proof)) < 2:
        kind = "flip"
    if kind == "flip":
        i = draw(st.integers(0, len(proof) - 1))
        byte = draw(st.integers(0, 31))
        bit = draw(st.integers(0, 7))
        element = bytearray(proof[i])
        element[byte] ^= 1 << bit
        proof = [*proof[:i], bytes(element), *proof[i + 1 :]]
    elif kind == "drop":
        i = draw(st.integers(0, len(proof) - 1))
        proof = proof[:i] + proof[i + 1 :]
    elif kind == "add":
        i = draw(st.integers(0, len(proof)))
        proof = [*proof[:i], draw(st.binary(min_size=32, max_size=32)), *proof[i:]]
    elif kind == "index":
        index = draw(st.integers(0, size - 1).filter(lambda other: other != index))
    elif kind == "leaf":
        leaf = draw(st.sampled_from([other for other in hashes if other != leaf]))
    elif kind == "root":
        root = root_hash(hashes[: draw(st.integers(0, size - 1))])
    else:
        i = draw(st.integers(0, len(proof) - 1))
        j = draw(st.integers(0, len(proof) - 1).filter(lambda other: proof[other] != proof[i]))
        proof = list(proof)
        proof[i], proof[j] = proof[j], proof[i]
    return kind, leaf, index, size, proof, root


@settings(max_examples=150, deadline=None)
@given(mutated_inclusion())
def test_any_single_mutation_breaks_an_inclusion_proof(case):
    kind, *arguments = case
    assert not verify_inclusion(*arguments), kind


@st.composite
def mutated_consistency(draw):
    data = draw(st.lists(st.binary(max_size=8), min_size=2, max_size=40, unique=True))
    hashes = [leaf_hash(entry) for entry in data]
    size2 = len(hashes)
    size1 = draw(st.integers(1, size2 - 1))
    proof = consistency_proof(hashes, size1)
    root1, root2 = root_hash(hashes[:size1]), root_hash(hashes)
    kind = draw(st.sampled_from(["flip", "drop", "add", "size1", "size2", "root1", "root2", "swap-roots"]))
    if kind == "flip":
        i = draw(st.integers(0, len(proof) - 1))
        element = bytearray(proof[i])
        element[draw(st.integers(0, 31))] ^= 1 << draw(st.integers(0, 7))
        proof = [*proof[:i], bytes(element), *proof[i + 1 :]]
    elif kind == "drop":
        i = draw(st.integers(0, len(proof) - 1))
        proof = proof[:i] + proof[i + 1 :]
    elif kind == "add":
        i = draw(st.integers(0, len(proof)))
        proof = [*proof[:i], draw(st.binary(min_size=32, max_size=32)), *proof[i:]]
    elif kind == "size1":
        # Another old size, with that size's true root: the proof is not for it.
        size1 = draw(st.integers(1, size2 - 1).filter(lambda other: other != size1))
        root1 = root_hash(hashes[:size1])
    elif kind == "size2":
        size2 = draw(st.integers(size1 + 1, size2 - 1)) if size2 - size1 > 1 else size2 + 1
        root2 = root_hash(hashes[:size2]) if size2 <= len(hashes) else root_hash([*hashes, SOME_HASH])
    elif kind == "root1":
        root1 = root_hash(hashes[: size1 - 1]) if size1 > 1 else SOME_HASH
    elif kind == "root2":
        root2 = root_hash(hashes[:-1])
    else:
        root1, root2 = root2, root1
    return kind, size1, size2, root1, root2, proof


@settings(max_examples=150, deadline=None)
@given(mutated_consistency())
def test_any_single_mutation_breaks_a_consistency_proof(case):
    kind, *arguments = case
    assert not verify_consistency(*arguments), kind
