"""From scored pairs to subjects: clustering that refuses chains of weak links.

Only *strong* evidence joins profiles into one subject: an equal valid national ID or
registration code, an operator's ``match`` decision, or a Splink match weight at or above the
upper threshold on a pair that contradicts itself nowhere (a pair whose given names or birth
dates disagree outright, ``Edge.conflicts``, is at most reviewed, whatever its weight: twins
share everything else). Pairs between the thresholds never join anything: they go to clerical
review, and a new profile that nothing strong links to anything is *held* until an operator
decides. A profile without an ID that matches strongly two profiles that cannot be one person
(two valid IDs or subjects, or two birth dates in conflict: a junior and a senior sent without a
birth date) is *torn*: its strong pairs count as review pairs. Strong edges are taken best
first, and an edge is refused when it would put into one cluster two different valid IDs, two
birth dates in conflict, two subjects that already exist (merging files is an operator's act),
or a pair an operator marked ``distinct``.

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

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Clustering",
    "Edge",
    "Profile",
    "cluster",
    "dates_conflict",
    "evidence",
    "subjects_of",
]


@dataclass(frozen=True)
class Profile:
    """A profile to cluster: its id, its subject if already linked, its valid ID if any."""

    profile_id: str
    subject_id: str | None
    valid_id: str | None
    birth_date: str | None = None


@dataclass(frozen=True, slots=True)
class Edge:
    """A scored pair (or a decided one, ``decided_by`` naming who); slotted, since a large run
    holds millions of them."""

    left: str
    right: str
    match_weight: float
    levels: Mapping[str, float]
    decided_by: str = "splink"
    conflicts: tuple[str, ...] = ()


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
        self.born: dict[str, set[str]] = {
            p.profile_id: {p.birth_date} if p.birth_date else set() for p in profiles
        }

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
        if any(dates_conflict(x, y) for x in self.born[ra] for y in self.born[rb]):
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
        self.born[ra] |= self.born.pop(rb)


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
            _strong(edge, upper) and edge.left not in torn and edge.right not in torn
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


def dates_conflict(a: str, b: str) -> bool:
    """Whether two birth dates (``YYYY-MM-DD``) cannot be one person's: more than a year apart,
    and neither one edit apart (a typo) nor day and month transposed.

    Examples
    --------
    >>> dates_conflict("1974-01-14", "2006-06-07"), dates_conflict("1989-01-02", "1989-02-01")
    (True, False)
    >>> dates_conflict("1974-01-14", "1947-01-14"), dates_conflict("1974-01-14", "1975-01-10")
    (False, False)
    """
    if a == b or len(a) != 10 or len(b) != 10:
        return False
    if a[:5] == b[:5] and a[5:7] == b[8:10] and a[8:10] == b[5:7]:
        return False
    differ = [i for i in range(10) if a[i] != b[i]]
    if len(differ) == 1 or (
        len(differ) == 2
        and differ[1] == differ[0] + 1
        and a[differ[0]] == b[differ[1]]
        and a[differ[1]] == b[differ[0]]
    ):
        return False
    try:
        days = abs((dt.date.fromisoformat(a) - dt.date.fromisoformat(b)).days)
    except ValueError:
        return False
    return days > 366


def _strong(edge: Edge, upper: float) -> bool:
    return edge.decided_by != "splink" or (edge.match_weight >= upper and not edge.conflicts)


def _torn(profiles: Sequence[Profile], edges: Sequence[Edge], upper: float) -> set[str]:
    """Profiles without an ID of their own that match strongly two profiles that cannot be one
    person (two IDs or subjects, or two birth dates in conflict: a junior and a senior, twins):
    linking either would be a guess, so they go to review.
    """
    by_id = {p.profile_id: p.valid_id or (f"subject:{p.subject_id}" if p.subject_id else None)
             for p in profiles}  # fmt: skip
    born = {p.profile_id: p.birth_date for p in profiles}
    seen: dict[str, set[str]] = {}
    dates: dict[str, set[str]] = {}
    for e in edges:
        if e.decided_by != "splink" or not _strong(e, upper):
            continue
        for here, there in ((e.left, e.right), (e.right, e.left)):
            if by_id.get(here) is not None:
                continue
            other = by_id.get(there)
            if other is not None:
                seen.setdefault(here, set()).add(other)
            if born.get(here) is None and born.get(there) is not None:
                dates.setdefault(here, set()).add(str(born[there]))
    torn = {p for p, ids in seen.items() if len(ids) > 1}
    return torn | {
        p for p, ds in dates.items() if any(dates_conflict(x, y) for x in ds for y in ds)
    }


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
    out: dict[str, Any] = {"fields": dict(edge.levels), "paired_with": [edge.left, edge.right]}
    if edge.conflicts:
        out["conflicts"] = list(edge.conflicts)
    return out
