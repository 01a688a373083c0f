"""RFC 6962 Merkle math: reference vectors, a naive RFC implementation, properties, bad proofs.

The naive reference below is written straight from RFC 6962 section 2.1 (MTH,
PATH, PROOF/SUBPROOF over the list of leaves) with its own hashing, so the
module is never checked against itself.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.audit import merkle
from app.audit.merkle import EMPTY_ROOT, NodeId, ProofError

VECTORS = json.loads((Path(__file__).parent / "rfc6962_vectors.json").read_text())
LEAVES = [bytes.fromhex(leaf) for leaf in VECTORS["leaf_inputs"]]
NODE_HASHES = [[bytes.fromhex(node) for node in level] for level in VECTORS["node_hashes"]]
ROOTS = [bytes.fromhex(root) for root in VECTORS["roots_by_size"]]
INCLUSION_VECTORS = [
    (case["index"], case["tree_size"], [bytes.fromhex(h) for h in case["proof"]])
    for case in VECTORS["inclusion_proofs"]
]
CONSISTENCY_VECTORS = [
    (case["first"], case["second"], [bytes.fromhex(h) for h in case["proof"]])
    for case in VECTORS["consistency_proofs"]
]
ALL_INCLUSIONS = [(index, size) for size in range(1, 9) for index in range(size)]
ALL_CONSISTENCIES = [(first, second) for second in range(1, 9) for first in range(1, second + 1)]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")
PROPERTY_SETTINGS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# --- RFC 6962, section 2.1, by the letter -------------------------------------------------


def _largest_power_of_two_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def naive_mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = _largest_power_of_two_below(len(leaves))
    return hashlib.sha256(b"\x01" + naive_mth(leaves[:k]) + naive_mth(leaves[k:])).digest()


def naive_path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = _largest_power_of_two_below(len(leaves))
    if m < k:
        return [*naive_path(m, leaves[:k]), naive_mth(leaves[k:])]
    return [*naive_path(m - k, leaves[k:]), naive_mth(leaves[:k])]


def naive_subproof(m: int, leaves: list[bytes], *, complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [naive_mth(leaves)]
    k = _largest_power_of_two_below(n)
    if m <= k:
        return [*naive_subproof(m, leaves[:k], complete=complete), naive_mth(leaves[k:])]
    return [*naive_subproof(m - k, leaves[k:], complete=False), naive_mth(leaves[:k])]


def naive_proof(m: int, leaves: list[bytes]) -> list[bytes]:
    return naive_subproof(m, leaves, complete=True)


# --- the stored log, built the way the server builds it -----------------------------------


def grow(leaves: list[bytes]) -> tuple[dict[NodeId, bytes], list[bytes]]:
    """Append the leaves one by one; the stored nodes and the root after every append."""
    nodes: dict[NodeId, bytes] = {}
    roots = [EMPTY_ROOT]
    for size, leaf in enumerate(leaves):
        front = [nodes[node] for node in merkle.frontier(size)]
        appended = merkle.append(size, front, merkle.leaf_hash(leaf))
        for node, value in appended.nodes:
            assert node not in nodes, "append rewrote a stored node"
            nodes[node] = value
        roots.append(appended.root)
    return nodes, roots


VECTOR_NODES, VECTOR_APPEND_ROOTS = grow(LEAVES)


def distinct_leaves(rng: random.Random, size: int) -> list[bytes]:
    """Random leaves, made distinct so that no two subtrees hash alike."""
    return [i.to_bytes(4, "big") + rng.randbytes(rng.randrange(0, 24)) for i in range(size)]


# --- reference vectors --------------------------------------------------------------------


def test_vector_leaf_hashes_are_the_level_0_nodes():
    assert [merkle.leaf_hash(leaf) for leaf in LEAVES] == NODE_HASHES[0]


def test_appending_the_vector_leaves_stores_exactly_the_vector_nodes():
    expected = {
        (level, index): value
        for level, hashes in enumerate(NODE_HASHES)
        for index, value in enumerate(hashes)
    }
    assert expected == VECTOR_NODES


def test_the_root_after_each_append_is_the_vector_root():
    assert VECTOR_APPEND_ROOTS == ROOTS


def test_append_returns_the_frontier_of_the_bigger_tree():
    nodes: dict[NodeId, bytes] = {}
    for size, leaf in enumerate(LEAVES):
        appended = merkle.append(
            size, [nodes[node] for node in merkle.frontier(size)], merkle.leaf_hash(leaf)
        )
        nodes.update(appended.nodes)
        assert appended.frontier == [nodes[node] for node in merkle.frontier(size + 1)]
        assert merkle.fold(appended.frontier) == appended.root == ROOTS[size + 1]


def test_empty_root_is_the_vector_root_of_the_empty_tree():
    assert ROOTS[0] == EMPTY_ROOT
    assert merkle.fold([]) == EMPTY_ROOT
    assert merkle.root_from(0, {}) == EMPTY_ROOT


def test_all_nodes_and_root_of_prefix_give_every_vector_root():
    levels = merkle.all_nodes([merkle.leaf_hash(leaf) for leaf in LEAVES])

    assert levels == NODE_HASHES
    assert [merkle.root_of_prefix(levels, size) for size in range(9)] == ROOTS
    assert [merkle.root_from(size, VECTOR_NODES) for size in range(9)] == ROOTS


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_vector_inclusion_proofs_are_produced_and_verify(index, size, proof):
    leaf = merkle.leaf_hash(LEAVES[index])

    assert merkle.inclusion_proof(index, size, VECTOR_NODES) == proof
    assert merkle.root_from_inclusion(index, size, leaf, proof) == ROOTS[size]
    assert merkle.verify_inclusion(index, size, leaf, proof, ROOTS[size])


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY_VECTORS)
def test_vector_consistency_proofs_are_produced_and_verify(first, second, proof):
    assert merkle.consistency_proof(first, second, VECTOR_NODES) == proof
    assert merkle.verify_consistency(first, second, ROOTS[first], ROOTS[second], proof)


# --- every proof of the 8-leaf tree against the RFC's definitions ------------------------


@pytest.mark.parametrize(("index", "size"), ALL_INCLUSIONS)
def test_every_inclusion_proof_up_to_8_is_the_rfc_path(index, size):
    proof = merkle.inclusion_proof(index, size, VECTOR_NODES)

    assert proof == naive_path(index, LEAVES[:size])
    assert naive_mth(LEAVES[:size]) == ROOTS[size]
    assert merkle.verify_inclusion(index, size, merkle.leaf_hash(LEAVES[index]), proof, ROOTS[size])


@pytest.mark.parametrize(("first", "second"), ALL_CONSISTENCIES)
def test_every_consistency_proof_up_to_8_is_the_rfc_proof(first, second):
    proof = merkle.consistency_proof(first, second, VECTOR_NODES)

    assert proof == naive_proof(first, LEAVES[:second])
    assert merkle.verify_consistency(first, second, ROOTS[first], ROOTS[second], proof)


# --- which nodes a proof reads ------------------------------------------------------------


def _inside(node: NodeId, size: int) -> bool:
    level, index = node
    return (index + 1) << level <= size


def test_proofs_need_only_the_nodes_they_name():
    leaves = distinct_leaves(random.Random(6962), 40)
    stored, _ = grow(leaves)
    for size in range(1, len(leaves) + 1):
        for index in range(size):
            wanted = merkle.inclusion_nodes(index, size)
            assert all(_inside(node, size) for node in wanted)
            assert (0, index) in wanted  # the leaf hash itself
            fetched = {node: stored[node] for node in wanted}
            assert merkle.inclusion_proof(index, size, fetched) == merkle.inclusion_proof(
                index, size, stored
            )
        for first in range(1, size + 1):
            wanted = merkle.consistency_nodes(first, size)
            assert all(_inside(node, size) for node in wanted)
            fetched = {node: stored[node] for node in wanted}
            assert merkle.consistency_proof(first, size, fetched) == naive_proof(
                first, leaves[:size]
            )


def test_a_proof_from_too_few_nodes_fails_loudly():
    wanted = merkle.inclusion_nodes(5, 8)
    missing = sorted(wanted - {(0, 5)})[0]
    fetched = {node: VECTOR_NODES[node] for node in wanted if node != missing}

    with pytest.raises(KeyError):
        merkle.inclusion_proof(5, 8, fetched)


def _sizes_up_to_2_20() -> list[int]:
    rng = random.Random(20)
    sizes = set(range(1, 70))
    for bits in range(1, 21):
        sizes |= {(1 << bits) - 1, 1 << bits, (1 << bits) + 1}
    sizes |= {rng.randrange(1, 1 << 20) for _ in range(60)}
    return sorted(size for size in sizes if size <= 1 << 20)


def test_proofs_read_logarithmically_many_nodes():
    rng = random.Random(7)
    for size in _sizes_up_to_2_20():
        bound = 2 * size.bit_length() + 2
        picks = {0, size - 1, size // 2, rng.randrange(size)}
        for index in picks:
            assert len(merkle.inclusion_nodes(index, size)) <= bound, (index, size)
        for first in {1, size, max(1, size - 1), max(1, size // 2), rng.randrange(1, size + 1)}:
            assert len(merkle.consistency_nodes(first, size)) <= bound, (first, size)
        assert len(merkle.frontier(size)) == size.bit_count()


# --- properties over random logs ----------------------------------------------------------


@PROPERTY_SETTINGS
@given(rng=st.randoms(use_true_random=False), size=st.integers(1, 3000))
def test_append_built_roots_are_the_rfc_roots(rng, size):
    leaves = [rng.randbytes(rng.randrange(0, 24)) for _ in range(size)]
    stored, roots = grow(leaves)
    levels = merkle.all_nodes([merkle.leaf_hash(leaf) for leaf in leaves])

    for prefix in {0, 1, size // 2, rng.randrange(size + 1), size}:
        assert roots[prefix] == naive_mth(leaves[:prefix])
        assert merkle.root_of_prefix(levels, prefix) == roots[prefix]
        assert merkle.root_from(prefix, stored) == roots[prefix]


@PROPERTY_SETTINGS
@given(rng=st.randoms(use_true_random=False), size=st.integers(1, 3000))
def test_random_inclusion_proofs_are_the_rfc_paths_and_verify(rng, size):
    leaves = distinct_leaves(rng, size)
    stored, roots = grow(leaves)
    for _ in range(5):
        tree_size = rng.randrange(1, size + 1)
        index = rng.randrange(tree_size)
        proof = merkle.inclusion_proof(index, tree_size, stored)
        leaf = merkle.leaf_hash(leaves[index])

        assert proof == naive_path(index, leaves[:tree_size])
        assert merkle.verify_inclusion(index, tree_size, leaf, proof, roots[tree_size])
        assert not any(
            merkle.verify_inclusion(*probe)
            for probe in corrupt_inclusion(index, tree_size, proof, roots[tree_size], leaf)
        )


@PROPERTY_SETTINGS
@given(rng=st.randoms(use_true_random=False), size=st.integers(1, 3000))
def test_random_consistency_proofs_are_the_rfc_proofs_and_verify(rng, size):
    leaves = distinct_leaves(rng, size)
    stored, roots = grow(leaves)
    for _ in range(5):
        second = rng.randrange(1, size + 1)
        first = rng.randrange(1, second + 1)
        proof = merkle.consistency_proof(first, second, stored)

        assert proof == naive_proof(first, leaves[:second])
        assert merkle.verify_consistency(first, second, roots[first], roots[second], proof)
        if first < second:
            assert not any(
                merkle.verify_consistency(*probe)
                for probe in corrupt_consistency(first, second, roots[first], roots[second], proof)
            )


# --- corrupt proofs (after transparency-dev/merkle proof/verify_test.go) ------------------


def _flip(value: bytes, bit: int) -> bytes:
    return bytes([value[0] ^ (1 << bit)]) + value[1:]


def corrupt_inclusion(index, size, proof, root, leaf):
    """Probes (index, size, leaf, proof, root) that must never verify."""
    probes = [
        (index - 1, size, leaf, proof, root),
        (index + 1, size, leaf, proof, root),
        (index ^ 2, size, leaf, proof, root),
        (index, size * 2, leaf, proof, root),
        (index, size // 2, leaf, proof, root),
        (index, size, b"WrongLeaf", proof, root),
        (index, size, merkle.leaf_hash(b"WrongLeaf"), proof, root),
        (index, size, leaf, proof, EMPTY_ROOT),
        (index, size, leaf, proof, SOME_HASH),
        (index, size, leaf, proof, root[:-1]),
        (index, size, leaf, [*proof, b""], root),
        (index, size, leaf, [*proof, root], root),
        (index, size, leaf, [b"", *proof], root),
        (index, size, leaf, [root, *proof], root),
        (index, size, leaf, [*proof, SOME_HASH], root),
    ]
    for i in range(len(proof)):
        for bit in (0, 3, 7):
            wrong = list(proof)
            wrong[i] = _flip(wrong[i], bit)
            probes.append((index, size, leaf, wrong, root))
        too_short = list(proof)
        too_short[i] = too_short[i][:-1]
        probes.append((index, size, leaf, too_short, root))
        too_long = list(proof)
        too_long[i] += b"\x00"
        probes.append((index, size, leaf, too_long, root))
    if proof:
        probes.append((index, size, leaf, proof[:-1], root))
        probes.append((index, size, leaf, proof[1:], root))
    if len(proof) > 1:
        probes.append((index, size, leaf, [proof[0], SOME_HASH, *proof[1:]], root))
        probes.append((index, size, leaf, [proof[1], proof[0], *proof[2:]], root))
    return probes


def corrupt_consistency(first, second, first_root, second_root, proof):
    """Probes (first, second, first_root, second_root, proof) that must never verify."""
    probes = [
        (first - 1, second, first_root, second_root, proof),
        (first + 1, second, first_root, second_root, proof),
        (first ^ 2, second, first_root, second_root, proof),
        (first, second * 2, first_root, second_root, proof),
        (first, second // 2, first_root, second_root, proof),
        (second, first, first_root, second_root, proof),
        (first, second, b"WrongRoot", second_root, proof),
        (first, second, first_root, b"WrongRoot", proof),
        (first, second, SOME_HASH, second_root, proof),
        (first, second, first_root, SOME_HASH, proof),
        (first, second, second_root, first_root, proof),
        (first, second, first_root, first_root, proof),
        (first, second, second_root, second_root, proof),
        (first, second, first_root, second_root, []),
        (first, second, first_root, second_root, [*proof, b""]),
        (first, second, first_root, second_root, [*proof, first_root]),
        (first, second, first_root, second_root, [*proof, second_root]),
        (first, second, first_root, second_root, [b"", *proof]),
        (first, second, first_root, second_root, [first_root, *proof]),
        (first, second, first_root, second_root, [second_root, *proof]),
        (first, second, first_root, second_root, [proof[0], *proof]),
        (first, second, first_root, second_root, proof[:-1]),
        (first, second, first_root, second_root, proof[1:]),
    ]
    for i in range(len(proof)):
        for bit in (0, 4, 7):
            wrong = list(proof)
            wrong[i] = _flip(wrong[i], bit)
            probes.append((first, second, first_root, second_root, wrong))
        too_short = list(proof)
        too_short[i] = too_short[i][:-1]
        probes.append((first, second, first_root, second_root, too_short))
    if len(proof) > 1:
        probes.append((first, second, first_root, second_root, [proof[0], SOME_HASH, *proof[1:]]))
    return probes


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_corrupted_vector_inclusion_proofs_never_verify(index, size, proof):
    leaf = merkle.leaf_hash(LEAVES[index])
    probes = corrupt_inclusion(index, size, proof, ROOTS[size], leaf)

    assert len(probes) >= 10
    verified = [probe for probe in probes if merkle.verify_inclusion(*probe)]
    assert verified == []


@pytest.mark.parametrize(
    ("first", "second", "proof"), [case for case in CONSISTENCY_VECTORS if case[2]]
)
def test_corrupted_vector_consistency_proofs_never_verify(first, second, proof):
    probes = corrupt_consistency(first, second, ROOTS[first], ROOTS[second], proof)

    verified = [probe for probe in probes if merkle.verify_consistency(*probe)]
    assert verified == []


def test_corrupted_proofs_of_every_pair_up_to_8_never_verify():
    for index, size in ALL_INCLUSIONS:
        proof = merkle.inclusion_proof(index, size, VECTOR_NODES)
        leaf = merkle.leaf_hash(LEAVES[index])
        probes = corrupt_inclusion(index, size, proof, ROOTS[size], leaf)
        assert not any(merkle.verify_inclusion(*probe) for probe in probes), (index, size)
    for first, second in ALL_CONSISTENCIES:
        if first == second:
            continue
        proof = merkle.consistency_proof(first, second, VECTOR_NODES)
        probes = corrupt_consistency(first, second, ROOTS[first], ROOTS[second], proof)
        assert not any(merkle.verify_consistency(*probe) for probe in probes), (first, second)


def test_inclusion_in_a_one_leaf_tree():
    leaf = merkle.leaf_hash(b"data")

    assert merkle.verify_inclusion(0, 1, leaf, [], leaf)
    assert not merkle.verify_inclusion(0, 1, leaf, [], b"")
    assert not merkle.verify_inclusion(0, 1, b"", [], leaf)
    assert not merkle.verify_inclusion(0, 1, b"", [], b"")


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (2, 1), (1, 1), (-1, 1)])
def test_inclusion_outside_the_tree_never_verifies(index, size):
    assert not merkle.verify_inclusion(index, size, SOME_HASH, [], EMPTY_ROOT)
    assert not merkle.verify_inclusion(index, size, SOME_HASH, [], SOME_HASH)
    with pytest.raises(ProofError):
        merkle.root_from_inclusion(index, size, SOME_HASH, [])


def test_root_from_inclusion_refuses_proofs_of_the_wrong_length():
    proof = merkle.inclusion_proof(5, 8, VECTOR_NODES)
    leaf = merkle.leaf_hash(LEAVES[5])

    with pytest.raises(ProofError, match="shorter"):
        merkle.root_from_inclusion(5, 8, leaf, proof[:-1])
    with pytest.raises(ProofError, match="longer"):
        merkle.root_from_inclusion(5, 8, leaf, [*proof, SOME_HASH])
    with pytest.raises(ProofError, match="32 bytes"):
        merkle.root_from_inclusion(5, 8, leaf, [*proof[:-1], proof[-1][:31]])


# After transparency-dev's TestVerifyConsistency table, with roots of the right length.
R1, R2 = hashlib.sha256(b"root 1").digest(), hashlib.sha256(b"root 2").digest()


@pytest.mark.parametrize(
    ("first", "second", "first_root", "second_root", "proof", "valid"),
    [
        pytest.param(0, 0, R1, R2, [], False, id="size 0 twice, roots differ"),
        pytest.param(1, 1, R1, R2, [], False, id="same size, roots differ"),
        pytest.param(0, 0, R1, R1, [], True, id="size 0 twice, same root"),
        pytest.param(0, 1, R1, R2, [], True, id="every tree extends the empty tree"),
        pytest.param(1, 1, R2, R2, [], True, id="same size, same root"),
        pytest.param(1, 0, R1, R2, [], False, id="time travel to size 0"),
        pytest.param(2, 1, R1, R2, [], False, id="time travel"),
        pytest.param(1, 2, R1, R2, [], False, id="empty proof"),
        pytest.param(0, 0, EMPTY_ROOT, R2, [], False, id="size 0 roots differ"),
        pytest.param(1, 1, EMPTY_ROOT, R2, [], False, id="size 1 roots differ"),
        pytest.param(0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False, id="0-0 non-empty"),
        pytest.param(0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False, id="0-1 non-empty"),
        pytest.param(1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False, id="1-1 non-empty"),
        pytest.param(-1, 1, R1, R2, [], False, id="negative first"),
        pytest.param(0, 1, b"short", R2, [], False, id="a root of the wrong length"),
        pytest.param(1, 1, R1, R1, [b""], False, id="a proof hash of the wrong length"),
    ],
)
def test_consistency_edge_cases(first, second, first_root, second_root, proof, valid):
    assert merkle.verify_consistency(first, second, first_root, second_root, proof) is valid


# --- requests that have no proof ----------------------------------------------------------


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 1), (8, 8), (9, 8), (-1, 8), (3, 0)])
def test_inclusion_requests_outside_the_tree_raise(index, size):
    with pytest.raises(ProofError, match="is not in a tree"):
        merkle.inclusion_proof(index, size, VECTOR_NODES)
    with pytest.raises(ProofError, match="is not in a tree"):
        merkle.inclusion_nodes(index, size)


@pytest.mark.parametrize(("first", "second"), [(0, 0), (0, 5), (6, 5), (2, 1), (-1, 3)])
def test_consistency_requests_that_have_no_proof_raise(first, second):
    with pytest.raises(ProofError, match="no consistency proof"):
        merkle.consistency_proof(first, second, VECTOR_NODES)
    with pytest.raises(ProofError, match="no consistency proof"):
        merkle.consistency_nodes(first, second)


@pytest.mark.parametrize(("size", "frontier_length"), [(0, 1), (1, 0), (3, 1), (3, 3), (8, 0)])
def test_append_refuses_a_frontier_of_the_wrong_length(size, frontier_length):
    with pytest.raises(ProofError, match="frontier nodes"):
        merkle.append(size, [SOME_HASH] * frontier_length, SOME_HASH)
