"""The demo's card declares every feature's direction, and its points keep them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trustscore.features import FEATURES
from trustscore.pipeline import Workspace, workspace_champion


def test_every_demo_feature_is_declared_and_its_points_follow_it(small_demo: Path) -> None:
    art = workspace_champion(Workspace(small_demo))
    by_name = {f.name: f for f in FEATURES}
    for f in FEATURES:  # a direction, or the reason there is none
        assert f.direction in (1, -1) or (f.direction == 0 and f.direction_note), f.name
    on_card = {c.name for c in art.characteristics}
    assert on_card <= set(by_name)
    for c in art.characteristics:
        f = by_name[c.name]
        assert c.direction == (f.direction or None), c.name
        assert c.missing_reason_code == f.reason_code + "N"
        assert c.missing_reason == f.missing_reason
        assert c.missing_improve == f.missing_improve
        if f.direction:
            pts = np.array([b.points for b in c.bins])
            # a declared characteristic tells its values apart, by its bins or a pair's cells
            assert pts.size >= 2 or any(c.name in p.inputs for p in art.interactions), c.name
            assert (f.direction * np.diff(pts) >= 0).all(), (c.name, pts.tolist())
    for p in art.interactions:  # along each declared input, bin points + cell points
        for k, name in enumerate(p.inputs):
            sign = by_name[name].direction
            if not sign:
                continue
            char = art.characteristic(name)
            cuts = sorted({*char.edges, *p.axes[k].edges})
            lows = [-np.inf, *cuts]
            base = [
                char.bins[int(np.searchsorted(char.edges, x, side="right"))].points for x in lows
            ]
            rows = [int(np.searchsorted(p.axes[k].edges, x, side="right")) for x in lows]
            cells = np.array([c.points for c in p.cells]).reshape(p.shape)
            along = (cells[rows, :] if k == 0 else cells[:, rows].T) + np.array(base)[:, None]
            assert (sign * np.diff(along, axis=0) >= 0).all(), (p.name, along.tolist())
    # a declared feature that is not on the card says why on the model card
    notes = {r["name"]: r["note"] for r in art.model_card["iv_table"]}
    for name in set(by_name) - on_card:
        assert notes.get(name, "").startswith("dropped"), (name, notes.get(name))
    assert art.model_card["estimator"]["params"]["directions"] == {
        f.name: f.direction for f in FEATURES if f.direction
    }


def test_a_demo_of_other_settings_is_refused_before_anything_changes(
    small_demo: Path, tmp_path: Path
) -> None:
    """Re-running the demo into a workspace of another population would mix the two stores."""
    import shutil

    import pytest

    from trustscore.exceptions import SchemaError
    from trustscore.pipeline import run_demo

    root = Path(shutil.copytree(small_demo, tmp_path / "ws"))
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    settings = (root / "demo.json").read_text(encoding="utf-8")
    with pytest.raises(SchemaError, match=r"holds a demo of 300 subjects .* asks for 400 subjects"):
        run_demo(str(root), n_subjects=400)
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    assert (root / "demo.json").read_text(encoding="utf-8") == settings
    other = tmp_path / "other"
    shutil.copytree(root / "store", other / "store")  # a store no demo run wrote
    with pytest.raises(SchemaError, match="already holds a record store that no demo run wrote"):
        run_demo(str(other), n_subjects=300)
