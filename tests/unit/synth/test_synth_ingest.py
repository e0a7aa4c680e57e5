"""The synthetic files go through the real ingest: clean files store whole, and the validator
quarantines exactly the rows the generator made dirty."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from trustscore.records import RecordStore, ingest
from trustscore.synth import generate

KINDS = ("subject", "obligation", "tradeline", "public_record", "inquiry", "supplier_payment")
AT = dt.datetime(2025, 12, 31, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize("dirty_rate", [0.0, 0.04])
def test_ingest_quarantines_exactly_the_dirty_rows(tmp_path: Path, dirty_rate: float) -> None:
    summary = generate(tmp_path / "synth", n_subjects=400, seed=5, dirty_rate=dirty_rate)
    store = RecordStore(tmp_path / "store")
    for kind in KINDS:
        result = ingest(summary.paths[kind], store, ingested_at=AT)
        assert result.rows_in == summary.rows[kind]
        assert result.rows_quarantined == summary.n_dirty.get(kind, 0), dict(result.reasons)
        assert result.rows_stored == summary.rows[kind] - summary.n_dirty.get(kind, 0)
    if dirty_rate:
        assert summary.n_dirty["obligation"] > 100
