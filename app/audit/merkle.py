"""RFC 6962 Merkle tree math over stored complete subtrees. Pure.

A log of ``size`` leaves is stored as the hashes of its complete subtrees: the
node ``(level, index)`` is the root of the leaves ``[index * 2**level,
(index + 1) * 2**level)``. Every tree head, inclusion proof and consistency
proof is a function of O(log n) such nodes, so the server computes them from
that many stored rows instead of rehashing the log.

Proof generation runs in two steps so that storage is read once: ``*_nodes``
says which nodes a proof needs, the caller fetches them, and ``*_proof``
computes the proof from them. Verification (RFC 9162, sections 2.1.3.2 and
2.1.4.2) needs no storage at all; the offline verifier uses it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeId = tuple[int, int]
"""(level, index) of a complete subtree; level 0 holds the leaf hashes."""


class ProofError(ValueError):
    """A proof request or a proof that does not fit the tree it claims to describe."""


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(width: int) -> int:
    """The largest power of two smaller than ``width`` (``width`` > 1)."""
    return 1 << ((width - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> list[NodeId]:
    """The complete subtrees that make up the leaves ``[start, end)``, left to right.

    ``start`` must be a multiple of the largest power of two not above
    ``end - start``, as every range met in RFC 6962's recursion is.
    """
    nodes: list[NodeId] = []
    while start < end:
        level = (end - start).bit_length() - 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def frontier(size: int) -> list[NodeId]:
    """The complete subtrees of a tree of ``size`` leaves (its compact range)."""
    return range_nodes(0, size)


def fold(hashes: Sequence[bytes]) -> bytes:
    """The RFC 6962 hash of consecutive complete subtrees, given left to right."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def root_from(size: int, nodes: Mapping[NodeId, bytes]) -> bytes:
    """The root of a tree of ``size`` leaves from its frontier nodes."""
    return fold([nodes[node] for node in frontier(size)])


@dataclass(frozen=True)
class Appended:
    """What appending one leaf adds: the new complete subtrees, the new frontier and root."""

    nodes: list[tuple[NodeId, bytes]]
    frontier: list[bytes]
    root: bytes


def append(size: int, frontier_hashes: Sequence[bytes], new_leaf_hash: bytes) -> Appended:
    """Append a leaf to a tree of ``size`` leaves whose frontier hashes are given.

    Returns the nodes to store (the leaf at level 0 and every subtree it
    completes) and the root of the tree of ``size + 1`` leaves.
    """
    if len(frontier_hashes) != size.bit_count():
        raise ProofError(f"a tree of {size} leaves has {size.bit_count()} frontier nodes")
    stack = list(frontier_hashes)
    added: list[tuple[NodeId, bytes]] = [((0, size), new_leaf_hash)]
    current, level, index = new_leaf_hash, 0, size
    while index & 1:
        current = node_hash(stack.pop(), current)
        level, index = level + 1, index >> 1
        added.append(((level, index), current))
    stack.append(current)
    return Appended(nodes=added, frontier=stack, root=fold(stack))


def all_nodes(leaf_hashes: Sequence[bytes]) -> list[list[bytes]]:
    """Every complete subtree of the tree over ``leaf_hashes``, level by level."""
    levels = [list(leaf_hashes)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    return levels


def root_of_prefix(levels: Sequence[Sequence[bytes]], size: int) -> bytes:
    """The root of the first ``size`` leaves, from ``all_nodes`` of a tree at least that big."""
    return fold([levels[level][index] for level, index in frontier(size)])


# Proof generation. Each proof is written once, over a `lookup` of node hashes;
# `_needed` runs it against a recorder to learn which nodes to fetch.

Lookup = Callable[[NodeId], bytes]


def _range_hash(start: int, end: int, lookup: Lookup) -> bytes:
    return fold([lookup(node) for node in range_nodes(start, end)])


def _inclusion(index: int, size: int, lookup: Lookup) -> list[bytes]:
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        middle = start + _split(end - start)
        if index < middle:
            path.append(_range_hash(middle, end, lookup))
            end = middle
        else:
            path.append(_range_hash(start, middle, lookup))
            start = middle
    path.reverse()
    return path


def _consistency(first: int, second: int, lookup: Lookup) -> list[bytes]:
    proof: list[bytes] = []
    start, end, whole = 0, second, True
    while True:
        if first - start == end - start:
            if not whole:
                proof.append(_range_hash(start, end, lookup))
            break
        middle = start + _split(end - start)
        if first <= middle:
            proof.append(_range_hash(middle, end, lookup))
            end = middle
        else:
            proof.append(_range_hash(start, middle, lookup))
            start, whole = middle, False
    proof.reverse()
    return proof


def _needed(run: Callable[[Lookup], object]) -> set[NodeId]:
    wanted: set[NodeId] = set()

    def record(node: NodeId) -> bytes:
        wanted.add(node)
        return bytes(HASH_SIZE)

    run(record)
    return wanted


def _check_inclusion_request(index: int, size: int) -> None:
    if not 0 <= index < size:
        raise ProofError(f"index {index} is not in a tree of {size} leaves")


def _check_consistency_request(first: int, second: int) -> None:
    if not 0 < first <= second:
        raise ProofError(f"no consistency proof from size {first} to size {second}")


def inclusion_nodes(index: int, size: int) -> set[NodeId]:
    """The stored nodes an inclusion proof of ``index`` in a tree of ``size`` needs."""
    _check_inclusion_request(index, size)
    return _needed(lambda lookup: _inclusion(index, size, lookup)) | {(0, index)}


def inclusion_proof(index: int, size: int, nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    """RFC 6962 audit path of leaf ``index`` in the tree of ``size`` leaves."""
    _check_inclusion_request(index, size)
    return _inclusion(index, size, nodes.__getitem__)


def consistency_nodes(first: int, second: int) -> set[NodeId]:
    """The stored nodes a consistency proof from ``first`` to ``second`` needs."""
    _check_consistency_request(first, second)
    return _needed(lambda lookup: _consistency(first, second, lookup))


def consistency_proof(first: int, second: int, nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    """RFC 6962 consistency proof between the trees of ``first`` and ``second`` leaves."""
    _check_consistency_request(first, second)
    return _consistency(first, second, nodes.__getitem__)


# Verification (RFC 9162): needs only the proof, the hashes and the sizes.


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to; ProofError when it cannot be a proof."""
    _check_inclusion_request(index, size)
    _check_hashes([leaf, *proof])
    node, last = index, size - 1
    result = leaf
    for sibling in proof:
        if last == 0:
            raise ProofError("the inclusion proof is longer than the tree is deep")
        if node & 1 or node == last:
            result = node_hash(sibling, result)
            if not node & 1:
                while node & 1 == 0 and node != 0:
                    node, last = node >> 1, last >> 1
        else:
            result = node_hash(result, sibling)
        node, last = node >> 1, last >> 1
    if last != 0:
        raise ProofError("the inclusion proof is shorter than the tree is deep")
    return result


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    try:
        return root_from_inclusion(index, size, leaf, proof) == root
    except ProofError:
        return False


def verify_consistency(  # noqa: PLR0911 - RFC 9162's steps, each with its own exit
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree of ``second`` leaves extends that of ``first``."""
    try:
        _check_hashes([first_root, second_root, *proof])
    except ProofError:
        return False
    if not 0 <= first <= second:
        return False
    if first == second:  # before the empty-tree case: two heads of one size must agree
        return not proof and first_root == second_root
    if first == 0:
        return not proof  # every tree extends the empty tree
    hashes = list(proof)
    if first & (first - 1) == 0:  # a power of two: the old root is the first node
        hashes.insert(0, first_root)
    if not hashes:
        return False
    node, last = first - 1, second - 1
    while node & 1:
        node, last = node >> 1, last >> 1
    old = new = hashes[0]
    for sibling in hashes[1:]:
        if last == 0:
            return False
        if node & 1 or node == last:
            old = node_hash(sibling, old)
            new = node_hash(sibling, new)
            while node & 1 == 0 and node != 0:
                node, last = node >> 1, last >> 1
        else:
            new = node_hash(new, sibling)
        node, last = node >> 1, last >> 1
    return last == 0 and old == first_root and new == second_root


def _check_hashes(hashes: Iterable[bytes]) -> None:
    if any(len(value) != HASH_SIZE for value in hashes):
        raise ProofError(f"every hash must be {HASH_SIZE} bytes")
