"""The explanation of a subject's score over a real workspace: what the subject's page shows.

Over a small demo workspace, :func:`trustscore.pipeline.explain_subject` must explain exactly
the score the service gives (points adding up to it, the same reasons, the same features), keep
an explanation while the file is unchanged, and explain the new score once a record is
suppressed.
"""

from __future__ import annotations

import shutil
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from trustscore.pipeline import WorkspaceProvider, explain_subject
from trustscore.pipeline import _explain as explain_module

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def workspace(small_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # a copy: a test here suppresses a record
    return Path(shutil.copytree(small_demo, tmp_path_factory.mktemp("explain") / "ws"))


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The subjects ``explain_subject`` explains anew (not kept), starting with nothing kept.

    It reads the features stored with the current score, never the store: no feature query.
    """
    monkeypatch.setattr(explain_module, "_kept", OrderedDict())
    seen: list[str] = []
    explain = explain_module.explain_row

    def counted(art: Any, row: dict[str, Any], **kwargs: Any) -> Any:
        seen.append(row["subject_id"])
        return explain(art, row, **kwargs)

    def refused(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the explanation queried the store")

    monkeypatch.setattr(explain_module, "explain_row", counted)
    monkeypatch.setattr("trustscore.features.compute_features", refused)
    return seen


def _subjects(root: Path) -> tuple[list[str], str]:
    rows = pq.read_table(root / "scores.parquet", columns=["subject_id", "status"]).to_pylist()
    scored = [r["subject_id"] for r in rows if r["status"] == "OK"]
    unscored = next(r["subject_id"] for r in rows if r["status"] == "NS")
    return scored[:4], unscored


def test_the_explanation_is_of_the_score_the_service_gives(workspace: Path) -> None:
    provider = WorkspaceProvider(workspace)
    scored, unscored = _subjects(workspace)
    for subject in [*scored, unscored]:
        current = provider.current_score(subject)
        got = explain_subject(provider, subject)
        assert (got["status"], got["score"]) == (current["status"], current["score"])
        assert (got["feature_hash"], got["as_of"], got["model_version"]) == (
            current["feature_hash"], current["as_of"], current["model_version"])  # fmt: skip
        assert [r["reason_code"] for r in got["reasons"]] == [r["code"] for r in current["reasons"]]
        assert [r["reason"] for r in got["reasons"]] == [r["text"] for r in current["reasons"]]
        assert [r["improve"] for r in got["reasons"]] == [r["improve"] for r in current["reasons"]]
        if current["status"] == "OK":
            assert {d["name"]: d["points"] for d in got["dimensions"]} == current["subscores"]
            assert sum(c["points"] for c in got["characteristics"]) == current["score"]
        else:
            assert got["characteristics"] == []
            assert not all(c["met"] for c in got["criteria"])


def test_an_unchanged_file_is_explained_once_and_a_suppression_explained_anew(
    workspace: Path, queries: list[str]
) -> None:
    provider = WorkspaceProvider(workspace)
    subject = _subjects(workspace)[0][-1]
    first = explain_subject(provider, subject)
    again = explain_subject(provider, subject)
    assert again == first
    assert queries == [subject]  # the second answer was the kept one
    again["reasons"].clear()  # a caller's change does not reach the kept explanation
    assert explain_subject(provider, subject) == first

    # suppress the record behind the subject's largest loss: the explanation follows the score
    bills = provider.store.read("obligation", subjects=[subject]).to_pylist()
    late = [b for b in bills if b["paid_date"] is None or b["paid_date"] > b["due_date"]]
    assert late
    provider.suppress("obligation", late[0]["record_id"], "test")
    current = provider.current_score(subject)
    assert current["feature_hash"] != first["feature_hash"]
    after = explain_subject(provider, subject)
    assert queries == [subject, subject]
    assert (after["score"], after["feature_hash"]) == (current["score"], current["feature_hash"])
