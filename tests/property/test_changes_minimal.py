"""The way to a higher score is minimal: the search agrees with brute force on small random cards.

For a random artifact (pairs of characteristics included), a random scorable row and a number
of points to add, :func:`trustscore.scoring._changes.find_changes` must give a set of changes
of the smallest size that reaches the points, and among the sets of that size the one that adds
the most, or None exactly when no set does. The brute force tries every value of every
actionable characteristic that can land anywhere (each edge of its bins, its interactions' axes
and its criteria, and the number just below it; far values; every level) in every subset, and
scores each changed row with the reference scorer.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st
from tests.scoring_strategies import artifacts, data_for

from trustscore.scoring._artifact import Characteristic, ScorecardArtifact
from trustscore.scoring._changes import apply_changes, find_changes
from trustscore.scoring._reference import reference_points


def _candidates(art: ScorecardArtifact, c: Characteristic) -> list[Any]:
    if c.type == "categorical":
        return [cat for b in c.bins for cat in b.categories]
    edges = set(c.edges)
    for p in art.interactions:
        if c.name in p.inputs:
            edges.update(p.axes[p.inputs.index(c.name)].edges)
    for crit in art.criteria:
        if crit.column == c.name and crit.value is not None:
            edges.add(crit.value)
    # far values, and each edge with its neighbours (a special code may take some of them)
    values = {-1e300, -1e299, -1e298, 0.0, 1e298, 1e299, 1e300}
    for e in edges:
        up = math.nextafter(e, math.inf)
        values.update({e, math.nextafter(e, -math.inf), up, math.nextafter(up, math.inf)})
    specials = {v for sp in c.special for v in sp.values}
    return sorted(v for v in values if math.isfinite(v) and v not in specials)


def _scores(art: ScorecardArtifact, rows: list[dict[str, Any]]) -> tuple[Any, Any]:
    cols = {name: [r.get(name) for r in rows] for name in art.input_columns}
    result = reference_points(art, cols)
    return result.points.sum(axis=1), result.ok


def _brute_force(
    art: ScorecardArtifact, row: dict[str, Any], needed: int, movable: list[str]
) -> tuple[int, int] | None:
    """(fewest changes, most points at that size) that reach ``needed``, or None."""
    base = int(_scores(art, [row])[0][0])
    for k in range(1, len(movable) + 1):
        best = None
        for names in itertools.combinations(movable, k):
            pools = [
                [v for v in _candidates(art, art.characteristic(n)) if v != row.get(n)]
                for n in names
            ]
            rows = [
                {**row, **dict(zip(names, values, strict=True))}
                for values in itertools.product(*pools)
            ]
            if not rows:
                continue
            totals, ok = _scores(art, rows)
            reach = totals[ok & (totals - base >= needed)]
            if reach.size:
                gain = int(reach.max()) - base
                best = gain if best is None else max(best, gain)
        if best is not None:
            return k, best
    return None


@st.composite
def _cases(draw: st.DrawFn) -> tuple[ScorecardArtifact, dict[str, Any], int, dict[str, str]]:
    art = draw(artifacts(3, interactions=draw(st.booleans())))
    rows = draw(data_for(art, max_rows=6)).to_pylist()
    ok = _scores(art, rows)[1] if rows else []
    scorable = [r for r, good in zip(rows, ok, strict=True) if good]
    assume(scorable)  # a row to score; an unscorable one has no tier to climb
    row = scorable[0]
    needed = draw(st.integers(1, 200))
    changeable = {
        c.name: draw(st.sampled_from(["action", "action", "time", "fixed"]))
        for c in art.characteristics
    }
    return art, row, needed, changeable


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(_cases())
def test_the_changes_found_are_the_fewest_and_add_the_most(
    case: tuple[ScorecardArtifact, dict[str, Any], int, dict[str, str]],
) -> None:
    art, row, needed, changeable = case
    note(f"{art.to_json()}\nrow {row}\nneeded {needed}, changeable {changeable}")
    base, ok = _scores(art, [row])
    assume(bool(ok[0]))
    movable = [n for n, how in changeable.items() if how == "action"]
    found = find_changes(art, row, needed, changeable=changeable)
    expected = _brute_force(art, row, needed, movable)
    if expected is None:
        assert found is None
        return
    assert found is not None
    k, gain = expected
    assert (len(found.changes), found.points) == (k, gain)
    assert {c.name for c in found.changes} <= set(movable)
    # the changes, applied and scored, add exactly what the search says, and each change's
    # value is in the range it gives
    changed = apply_changes(art, row, found.values)
    total, ok_after = _scores(art, [changed])
    assert bool(ok_after[0])
    assert int(total[0]) - int(base[0]) == found.points
    assert found.points == sum(c.points for c in found.changes) + sum(p for _, p in found.together)
    for c in found.changes:
        if isinstance(c.value, str):
            assert c.value in c.categories
        else:
            assert c.low is None or c.low <= c.value
            assert c.high is None or c.value < c.high


def _example() -> ScorecardArtifact:
    from trustscore.scoring._artifact import example_artifact_dict

    return ScorecardArtifact.from_dict(example_artifact_dict())


ROW = {"on_time_rate": 0.2, "card_kind": "none", "months_history": 9}  # 10 + 10 points


def test_no_change_is_needed_for_no_points() -> None:
    found = find_changes(_example(), ROW, 0)
    assert found is not None
    assert (found.changes, found.points) == ((), 0)


def test_time_and_fixed_characteristics_are_not_actions() -> None:
    art = _example()
    assert find_changes(art, ROW, 51, changeable={"card_kind": "time"}) is None
    found = find_changes(art, ROW, 50, changeable={"card_kind": "fixed"})
    assert found is not None
    assert [(c.name, c.points) for c in found.changes] == [("on_time_rate", 50)]


def test_a_missing_value_is_never_the_change_and_the_most_points_win() -> None:
    # missing would earn 30 points against the subject's 10, but is no action; of the two
    # changes that reach 20 points (+25 and +50), the one that adds the most is given
    found = find_changes(_example(), ROW, 20, changeable={"card_kind": "fixed"})
    assert found is not None
    [change] = found.changes
    # the roundest value of the range [0.9, inf) is suggested
    assert (change.value, change.low, change.high, change.points) == (1.0, 0.9, None, 50)
    assert change.current == 0.2


@pytest.mark.parametrize("at_once", [1 << 20, 4])
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_the_joint_maximum_over_coupled_characteristics_is_exact(
    at_once: int, data: st.DataObject
) -> None:
    # by elimination, and (with tables of at most 4 cells) by fixing one characteristic at a time
    import numpy as np

    from trustscore.scoring import _changes

    n = data.draw(st.integers(1, 5))
    sizes = [data.draw(st.integers(1, 4)) for _ in range(n)]

    def ints(k: int) -> Any:
        return np.array(data.draw(st.lists(st.integers(-9, 9), min_size=k, max_size=k)))

    unaries = [ints(s) for s in sizes]
    pair = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1])
    pairs = data.draw(st.lists(pair, max_size=6, unique=True))
    binaries = [(a, b, ints(sizes[a] * sizes[b]).reshape(sizes[a], sizes[b])) for a, b in pairs]

    def total(picks: tuple[int, ...]) -> int:
        return sum(int(u[i]) for u, i in zip(unaries, picks, strict=True)) + sum(
            int(w[picks[a], picks[b]]) for a, b, w in binaries
        )

    saved = _changes._CELLS_AT_ONCE
    _changes._CELLS_AT_ONCE = at_once  # type: ignore[misc]
    try:
        gain, picks = _changes._best(unaries, binaries)
    finally:
        _changes._CELLS_AT_ONCE = saved  # type: ignore[misc]
    assert gain == max(total(p) for p in itertools.product(*(range(s) for s in sizes)))
    assert total(tuple(picks)) == gain
