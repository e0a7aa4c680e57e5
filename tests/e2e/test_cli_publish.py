"""`trustscore publish` fills the service's keyed store for an existing workspace."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from trustscore import ledger as lg
from trustscore.cli import app as cli_app
from trustscore.pipeline import Workspace, WorkspaceProvider, score_subject
from trustscore.records import RecordStore


def test_publish_refills_every_subject_and_the_service_answers_from_it(
    small_demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trustscore.settings import get_settings

    root = Path(shutil.copytree(small_demo, tmp_path / "ws"))
    ws = Workspace(root)
    subjects = pq.read_table(ws.scores_path, columns=["subject_id"]).column(0).to_pylist()
    ledger = lg.Ledger(ws.ledger_url)
    with ledger.engine.begin() as conn:  # a workspace from before the keyed store
        conn.exec_driver_sql("DELETE FROM latest_scores")
    monkeypatch.setenv("TRUSTSCORE_WORKSPACE", str(root))
    monkeypatch.delenv("TRUSTSCORE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        out = CliRunner().invoke(cli_app, ["publish"])
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 0, out.output
    assert f"published {len(subjects):,} latest scores" in out.output
    assert lg.count_latest_scores(ledger) == len(subjects)
    provider = WorkspaceProvider(ws)
    provider.warm()
    store = RecordStore(ws.store_dir)
    for sid in subjects[:: len(subjects) // 3]:
        stored = lg.latest_score(ledger, sid)
        assert stored is not None
        answer = provider.score_nowait(sid, "credit_pricing")  # the row, read by key
        assert answer == stored.result
        assert answer == score_subject(
            store, provider.artifact, sid, ws.as_of(), known_at=provider.now()
        )
    ledger.dispose()
