"""The report's Furnishers section: a row per furnisher and the total, from a real store."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pyarrow as pa

from store_helpers import add_subjects
from trustscore.pipeline import furnisher_report
from trustscore.records import RecordStore, ingest
from trustscore.reports import model_report
from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict

HEADER = "record_id,subject_id,furnisher,category,account,due_date,amount_due,paid_date,amount_paid"


def _cells(html: str, furnisher: str) -> list[str]:
    row = re.search(rf"<tr><td>(?:<b>)?{re.escape(furnisher)}(?:</b>)?</td>(.*?)</tr>", html)
    assert row is not None, furnisher
    return re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))


def test_the_section_shows_each_furnisher_and_the_total(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "store")
    add_subjects(store, "s1")
    rows = [
        "o1,s1,power,utility,A,2024-01-10,80,,", "o2,s1,power,utility,A,2024-01-10,-1,,",
        "o3,s1,power,utility,A,2024-01-10,-2,,", "w1,s1,water,utility,W,2024-01-10,12,,",
        "w2,S1,water,utility,W,2024-01-10,12,,",
    ]  # fmt: skip
    (tmp_path / "obligation.csv").write_text("\n".join([HEADER, *rows]) + "\n")
    ingest(tmp_path / "obligation.csv", store, ingested_at=dt.datetime(2024, 3, 1, tzinfo=dt.UTC))
    art = ScorecardArtifact.from_dict(example_artifact_dict())
    scores = pa.table({"subject_id": ["s1"], "score": pa.array([100], pa.int32()),
                       "status": ["OK"]})  # fmt: skip
    html = model_report(artifact=art, scores=scores, furnishers=furnisher_report(store, None))
    assert "<h2>Furnishers</h2>" in html
    # received, new, versions, deletions, unchanged, quarantined, rate, held, reason, disputes
    assert _cells(html, "power") == [
        "3", "1", "0", "0", "0", "2", "66.7%", "0", "amount_due is below the minimum 0 (2)", "0",
    ]  # fmt: skip
    assert _cells(html, "water")[:7] == ["2", "1", "0", "0", "0", "1", "50.0%"]
    assert _cells(html, "water")[8] == "subject_id is not a known subject (1)"
    assert _cells(html, "(all furnishers)")[:7] == ["5", "2", "0", "0", "0", "3", "60.0%"]
    without = model_report(artifact=art, scores=scores)
    assert "<h2>Furnishers</h2>" not in without
    empty = model_report(
        artifact=art, scores=scores, furnishers=furnisher_report(RecordStore(tmp_path / "x"), None)
    )
    assert "<h2>Furnishers</h2>" not in empty
