"""From scored pairs to subjects: clustering that refuses chains of weak links.

Only *strong* evidence joins profiles into one subject: an equal valid national ID or
registration code, an operator's ``match`` decision, or a Splink match weight at or above the
upper threshold. Pairs between the thresholds never join anything: they go to clerical review,
and a new profile that nothing strong links to anything is *held* until an operator decides. A
profile without an ID that matches two differently identified profiles strongly (a junior and a
senior, twins) is *torn*: its strong pairs count as review pairs. Strong edges are taken best
first, and an edge is refused when it would put into one cluster two different valid IDs, two
subjects that already exist (merging files is an operator's act), or a pair an operator marked
``distinct``.

Examples
--------
>>> p = [Profile("a", None, "ID1"), Profile("b", None, None), Profile("c", None, None)]
>>> out = cluster(p, [Edge("a", "b", 12.0, {}), Edge("b", "c", 3.0, {})], upper=10, lower=0)
>>> out.cluster_of["a"] == out.cluster_of["b"] != out.cluster_of["c"], sorted(out.held)
(True, ['c'])

``b`` matching two differently identified profiles strongly is torn, and waits for review:

>>> p[2] = Profile("c", None, "ID2")
>>> out = cluster(p, [Edge("a", "b", 12.0, {}), Edge("b", "c", 11.0, {})], upper=10, lower=0)
>>> len(set(out.cluster_of.values())), sorted(out.held)
(3, ['b'])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Clustering", "Edge", "Profile", "cluster", "evidence", "subjects_of"]


@dataclass(frozen=True)
class Profile:
    """A profile to cluster: its id, its subject if already linked, its valid ID if any."""

    profile_id: str
    subject_id: str | None
    valid_id: str | None


@dataclass(frozen=True)
class Edge:
    """A scored pair (or a decided one, ``decided_by`` naming who)."""

    left: str
    right: str
    match_weight: float
    levels: dict[str, float]
    decided_by: str = "splink"


@dataclass
class Clustering:
    """Clusters (by a representative profile), the edge that joined each profile, and holds."""

    cluster_of: dict[str, str]
    joined_by: dict[str, Edge] = field(default_factory=dict)
    review: list[Edge] = field(default_factory=list)
    held: set[str] = field(default_factory=set)
    refused: list[Edge] = field(default_factory=list)


class _Sets:
    def __init__(self, profiles: Sequence[Profile]) -> None:
        self.parent = {p.profile_id: p.profile_id for p in profiles}
        self.ids: dict[str, set[str]] = {
            p.profile_id: {p.valid_id} if p.valid_id else set() for p in profiles
        }
        self.subjects: dict[str, set[str]] = {
            p.profile_id: {p.subject_id} if p.subject_id else set() for p in profiles
        }
        self.members: dict[str, set[str]] = {p.profile_id: {p.profile_id} for p in profiles}

    def find(self, x: str) -> str:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def may_join(self, a: str, b: str, distinct: set[frozenset[str]]) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if len(self.ids[ra] | self.ids[rb]) > 1 or len(self.subjects[ra] | self.subjects[rb]) > 1:
            return False
        return not distinct or not any(
            frozenset((x, y)) in distinct for x in self.members[ra] for y in self.members[rb]
        )

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.ids[ra] |= self.ids.pop(rb)
        self.subjects[ra] |= self.subjects.pop(rb)
        self.members[ra] |= self.members.pop(rb)


def cluster(
    profiles: Sequence[Profile],
    edges: Iterable[Edge],
    *,
    upper: float,
    lower: float,
    distinct: Iterable[tuple[str, str]] = (),
) -> Clustering:
    """Cluster profiles by strong edges only; queue the pairs between the thresholds.

    Parameters
    ----------
    profiles
        Every profile to place (known ones carry their subject).
    edges
        Scored pairs, operator ``match`` decisions and deterministic ID pairs. An edge whose
        ``decided_by`` is not ``splink`` counts as strong whatever its weight.
    upper, lower
        Match weights: at or above ``upper`` a Splink pair may join two clusters; between
        ``lower`` and ``upper`` it goes to review.
    distinct
        Pairs an operator decided are different subjects.
    """
    sets = _Sets(profiles)
    cannot = {frozenset(pair) for pair in distinct}
    out = Clustering(cluster_of={})
    edges = list(edges)
    torn = _torn(profiles, edges, upper)
    ordered = sorted(
        edges,
        key=lambda e: (e.decided_by == "splink", -e.match_weight, e.left, e.right),
    )
    weak: list[Edge] = []
    for edge in ordered:
        strong = edge.decided_by != "splink" or (
            edge.match_weight >= upper and edge.left not in torn and edge.right not in torn
        )
        if not strong:
            if edge.match_weight >= lower:
                weak.append(edge)
            continue
        if frozenset((edge.left, edge.right)) in cannot or not sets.may_join(
            edge.left, edge.right, cannot
        ):
            out.refused.append(edge)
            continue
        if sets.find(edge.left) != sets.find(edge.right):
            for p in (edge.left, edge.right):
                out.joined_by.setdefault(p, edge)
            sets.join(edge.left, edge.right)
    for edge in weak:
        ra, rb = sets.find(edge.left), sets.find(edge.right)
        if ra == rb or frozenset((edge.left, edge.right)) in cannot:
            continue
        new_sides = [r for r in (ra, rb) if not sets.subjects[r]]
        if not new_sides:
            continue  # two existing subjects: merging files is an operator's act
        out.review.append(edge)
        # A profile nothing strong vouches for (no valid ID, no strong pair) waits for the
        # operator; a new cluster that strong evidence holds together becomes a subject, and
        # the pair is still reviewed.
        for root in new_sides:
            if len(sets.members[root]) == 1 and not sets.ids[root]:
                out.held |= sets.members[root]
    out.cluster_of = {p.profile_id: sets.find(p.profile_id) for p in profiles}
    return out


def _torn(profiles: Sequence[Profile], edges: Sequence[Edge], upper: float) -> set[str]:
    """Profiles without an ID of their own that match two differently identified profiles
    strongly (a junior or senior, a twin): linking either would be a guess, so they go to review.
    """
    by_id = {p.profile_id: p.valid_id or (f"subject:{p.subject_id}" if p.subject_id else None)
             for p in profiles}  # fmt: skip
    seen: dict[str, set[str]] = {}
    for e in edges:
        if e.decided_by != "splink" or e.match_weight < upper:
            continue
        for here, there in ((e.left, e.right), (e.right, e.left)):
            other = by_id.get(there)
            if by_id.get(here) is None and other is not None:
                seen.setdefault(here, set()).add(other)
    return {p for p, ids in seen.items() if len(ids) > 1}


def subjects_of(result: Clustering, profiles: Sequence[Profile]) -> dict[str, str | None]:
    """Each cluster's existing subject, or None for a new cluster."""
    out: dict[str, str | None] = {}
    for p in profiles:
        root = result.cluster_of[p.profile_id]
        if p.subject_id is not None or root not in out:
            out[root] = p.subject_id or out.get(root)
    return out


def evidence(edge: Edge | None) -> dict[str, Any]:
    """The evidence of a link: the pair and each compared field's match weight."""
    if edge is None:
        return {"fields": {}}
    return {"fields": dict(edge.levels), "paired_with": [edge.left, edge.right]}
