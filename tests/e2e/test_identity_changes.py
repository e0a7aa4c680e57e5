"""Identity changes over a real workspace: "this is not mine", merges and splits, and replay.

A ``not_mine`` dispute resolved for the subject moves the record to a new subject from that
moment: it leaves the subject's file, features and score, and the score given before still
replays exactly. An operator's merge and split move records the same way; a score given before
either replays to the same value after it, and the current score follows the change.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from trustscore import ledger as lg
from trustscore.features import compute_features
from trustscore.pipeline import (
    Workspace,
    WorkspaceProvider,
    pending_identity_changes,
    replay,
)
from trustscore.records import current_rows, version_order
from trustscore.service import create_app, record_score

pytestmark = pytest.mark.slow


@pytest.fixture
def setup(
    small_demo: Path, tmp_path: Path
) -> Iterator[tuple[TestClient, lg.Ledger, WorkspaceProvider, Path]]:
    root = Path(shutil.copytree(small_demo, tmp_path / "ws"))
    provider = WorkspaceProvider(root)
    provider.warm()
    # a ledger file, as the service runs on (it writes from background threads)
    ledger = lg.Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    ledger.upgrade()
    with TestClient(create_app(ledger=ledger, provider=provider)) as client:
        yield client, ledger, provider, root


def _bearer(ledger: lg.Ledger, role: lg.Role, subject: str | None = None) -> dict[str, str]:
    _, token = lg.create_client(ledger, role, (), subject, name=f"{role}-{subject}")
    return {"Authorization": f"Bearer {token}"}


def _scored(provider: WorkspaceProvider, n: int) -> list[str]:
    """``n`` scored persons with bills that count (an unpaid old bill moves the score)."""
    found = []
    for sid in sorted(pq.read_table(provider.workspace.scores_path)["subject_id"].to_pylist()):
        result = provider.current_score(sid)
        if result["status"] != "OK":
            continue
        if provider.store.record("subject", sid)["kind"] != "person":
            continue
        if current_rows(provider.store, "obligation", sid).num_rows >= 3:
            found.append(sid)
        if len(found) == n:
            return found
    raise AssertionError("the demo workspace has too few scored persons with bills")


def _latest(provider: WorkspaceProvider, kind: str, subject: str) -> list[dict[str, Any]]:
    rows = sorted(current_rows(provider.store, kind, subject).to_pylist(), key=version_order)
    return list({r["record_id"]: r for r in rows}.values())


def _snapshot(ledger: lg.Ledger, provider: WorkspaceProvider, subject: str) -> lg.Snapshot:
    result = provider.rescore(subject)
    return record_score(ledger, result, actor="test")  # type: ignore[arg-type]


def _features(provider: WorkspaceProvider, subject: str) -> dict[str, Any]:
    _, _, row = provider.features_of(subject)
    return {k: v for k, v in row.items() if k != "subject_id"}


def _plain_features(
    provider: WorkspaceProvider, subject: str, known_at: dt.datetime
) -> dict[str, Any]:
    """A subject's features as known at ``known_at``, every bill counted (no consent rule)."""
    (row,) = compute_features(
        provider.store, provider.workspace.as_of(), subjects=[subject], known_at=known_at,
        consent_categories=(),
    ).to_pylist()  # fmt: skip
    return {k: v for k, v in row.items() if k != "subject_id"}


def test_not_mine_unlinks_the_record_and_rescores(
    setup: tuple[TestClient, lg.Ledger, WorkspaceProvider, Path],
) -> None:
    api, ledger, provider, root = setup
    (subject,) = _scored(provider, 1)
    bill = _latest(provider, "obligation", subject)[0]
    record_id = str(bill["record_id"])
    before = _snapshot(ledger, provider, subject)
    features_before = _features(provider, subject)
    them, ops = _bearer(ledger, "subject", subject), _bearer(ledger, "operator")

    opened = api.post(
        "/v1/disputes",
        json={"record_kind": "obligation", "record_id": record_id,
              "grounds": "I never lived there", "kind": "not_mine"},
        headers=them,
    )  # fmt: skip
    assert opened.status_code == 201, opened.text
    assert opened.json()["kind"] == "not_mine"
    dispute_id = opened.json()["dispute_id"]
    # a not_mine record has nothing to correct
    path = f"/v1/disputes/{dispute_id}/resolution"
    fix = api.post(
        path, json={"outcome": "corrected", "correction": {"amount_paid": 1}}, headers=ops
    )
    assert fix.status_code == 422, fix.text
    assert lg.get_dispute(ledger, dispute_id).status == "open"

    done = api.post(path, json={"outcome": "unverifiable"}, headers=ops)
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["rescored"], body["suppression"]) == (True, None)
    assert body["identity_change"] == lg.unlink_change_id(dispute_id)

    # the record's latest version names a new subject of its own; the old version is kept
    new_subject = lg.unlinked_subject_id(dispute_id)
    versions = provider.store.versions("obligation", record_id)
    assert [v["subject_id"] for v in versions] == [subject, new_subject]
    assert provider.store.record("subject", new_subject)["kind"] == "person"
    assert record_id not in provider.store.suppressions().column("record_id").to_pylist()
    # ... so it is gone from the subject's file, features and score
    mine = api.get(f"/v1/subjects/{subject}/file", headers=them).json()
    assert record_id not in {r["record_id"] for r in mine["file"]["records"]["obligation"]}
    assert _features(provider, subject) != features_before
    after = provider.current_score(subject)
    fresh = WorkspaceProvider(root).current_score(subject)
    for key in ("score", "status", "subscores", "reasons", "feature_hash"):
        assert after[key] == fresh[key], key
    # and no longer theirs to dispute
    again = api.post(
        "/v1/disputes",
        json={"record_kind": "obligation", "record_id": record_id, "grounds": "x"},
        headers=them,
    )
    assert again.status_code == 404, again.text

    # the score given before still replays exactly; so does the rescore
    assert replay(Workspace(root), asdict(before)).matches
    rescored = lg.snapshots(ledger, subject)[-1]
    assert rescored.feature_hash == after["feature_hash"] != before.feature_hash
    assert replay(Workspace(root), asdict(rescored)).matches
    # the change is in the ledger with its move, and the audit chain holds
    change = lg.identity_change(ledger, lg.unlink_change_id(dispute_id))
    assert [(m.record_id, m.from_subject, m.to_subject) for m in change.moves] == [
        (record_id, subject, new_subject)
    ]
    assert pending_identity_changes(ledger, provider.store) == []
    assert lg.audit_verify(ledger).ok


def test_not_mine_at_the_deadline_unlinks_too(
    setup: tuple[TestClient, lg.Ledger, WorkspaceProvider, Path],
) -> None:
    from trustscore.service import deadline_callback

    _, ledger, provider, _ = setup
    (subject,) = _scored(provider, 1)
    record_id = str(_latest(provider, "obligation", subject)[0]["record_id"])
    t0 = dt.datetime.now(dt.UTC)
    dispute = lg.open_dispute(
        ledger, subject, "obligation", record_id, "not mine", t0, kind="not_mine"
    )
    late = t0 + dt.timedelta(days=lg.DISPUTE_DAYS, seconds=1)
    done = lg.run_deadline_job(ledger, late, deadline_callback(provider, ledger))
    assert [(d.dispute_id, d.status, d.kind) for d in done] == [
        (dispute.dispute_id, "unverifiable", "not_mine")
    ]
    assert lg.suppressions(ledger) == []
    # the move counts from the deadline job's time: before it the record is still theirs
    versions = provider.store.versions("obligation", record_id)
    assert [(v["subject_id"], v["ingested_at"]) for v in versions][-1] == (
        lg.unlinked_subject_id(dispute.dispute_id),
        late,
    )
    assert pending_identity_changes(ledger, provider.store) == []


def test_replay_after_a_merge_and_a_split_gives_the_earlier_score(
    setup: tuple[TestClient, lg.Ledger, WorkspaceProvider, Path],
) -> None:
    api, ledger, provider, root = setup
    keep, merged = _scored(provider, 2)
    ops = _bearer(ledger, "operator")
    features = {s: _features(provider, s) for s in (keep, merged)}
    before = {s: _snapshot(ledger, provider, s) for s in (keep, merged)}
    moved = {
        (kind, str(r["record_id"]))
        for kind in ("obligation", "tradeline", "public_record", "inquiry")
        for r in _latest(provider, kind, merged)
    }

    # only operators and admins merge
    them = _bearer(ledger, "subject", keep)
    refused = api.post("/v1/identity/merge", json={"keep": keep, "merge": merged}, headers=them)
    assert refused.status_code == 403
    done = api.post(
        "/v1/identity/merge", json={"keep": keep, "merge": merged, "note": "same person"},
        headers=ops,
    )  # fmt: skip
    assert done.status_code == 200, done.text
    change = done.json()
    assert (change["action"], change["subject_id"], change["other_subject_id"]) == (
        "merge", keep, merged,
    )  # fmt: skip
    assert {(m["record_kind"], m["record_id"]) for m in change["moves"]} == moved
    assert keep in change["rescored"]
    # the merged file is empty; the kept one holds both, and its score follows
    assert all(current_rows(provider.store, k, merged).num_rows == 0 for k, _ in moved)
    merged_score = provider.current_score(keep)
    assert merged_score["feature_hash"] != before[keep].feature_hash
    assert (
        merged_score["feature_hash"] == WorkspaceProvider(root).current_score(keep)["feature_hash"]
    )
    # scores given before the merge replay to exactly the same values after it
    for s in (keep, merged):
        assert replay(Workspace(root), asdict(before[s])).matches, s
    after_merge = lg.snapshots(ledger, keep)[-1]
    assert after_merge.feature_hash == merged_score["feature_hash"]

    # a split moves the merged-in records to a new subject
    split = api.post(
        "/v1/identity/split",
        json={"subject_id": keep,
              "records": [{"record_kind": k, "record_id": r} for k, r in sorted(moved)]},
        headers=ops,
    )  # fmt: skip
    assert split.status_code == 200, split.text
    new = split.json()["other_subject_id"]
    # the kept subject's features are its own again; the new subject has the merged one's
    # records (consents are a subject's own and do not move: compared without them)
    assert _features(provider, keep) == features[keep]
    assert _plain_features(provider, new, dt.datetime.now(dt.UTC)) == _plain_features(
        provider, merged, before[merged].created_at
    )
    assert provider.current_score(keep)["score"] == before[keep].score
    # the merged score, given between the two, still replays; so do the first ones
    assert replay(Workspace(root), asdict(after_merge)).matches
    for s in (keep, merged):
        assert replay(Workspace(root), asdict(before[s])).matches, s
    assert [c.action for c in lg.identity_changes(ledger, subject_id=keep)] == ["merge", "split"]
    assert pending_identity_changes(ledger, provider.store) == []
    assert lg.audit_verify(ledger).ok


def test_merge_and_split_refuse_what_they_cannot_do(
    setup: tuple[TestClient, lg.Ledger, WorkspaceProvider, Path],
) -> None:
    api, ledger, provider, _ = setup
    a, b = _scored(provider, 2)
    ops = _bearer(ledger, "operator")
    cases = [
        ("/v1/identity/merge", {"keep": a, "merge": a}, 422, "two different subjects"),
        ("/v1/identity/merge", {"keep": a, "merge": "nobody"}, 404, "No subject 'nobody'"),
        ("/v1/identity/split", {"subject_id": a}, 422, "at least one record"),
    ]
    bill = str(_latest(provider, "obligation", b)[0]["record_id"])
    cases.append(
        ("/v1/identity/split",
         {"subject_id": a, "records": [{"record_kind": "obligation", "record_id": bill}]},
         422, f"record {bill!r} is not in subject {a!r}'s file"),
    )  # fmt: skip
    for url, body, status, text in cases:
        answer = api.post(url, json=body, headers=ops)
        assert answer.status_code == status, (body, answer.text)
        assert text in answer.json()["error"]["message"], answer.text
    assert lg.identity_changes(ledger) == []


def test_a_subject_reports_a_split_file_for_operators(
    setup: tuple[TestClient, lg.Ledger, WorkspaceProvider, Path],
) -> None:
    api, ledger, provider, _ = setup
    (subject,) = _scored(provider, 1)
    them, ops = _bearer(ledger, "subject", subject), _bearer(ledger, "operator")
    url = "/v1/identity/split-file-reports"
    nosy = api.post(url, json={"subject_id": "someone", "details": "x"}, headers=them)
    assert nosy.status_code == 403
    sent = api.post(url, json={"details": "I was Mia Li until 2019, at 4 Elm St"}, headers=them)
    assert sent.status_code == 201, sent.text
    review_id = sent.json()["review_id"]
    queue = api.get("/v1/identity/reviews", headers=ops).json()
    (case,) = [r for r in queue if r["review_id"] == review_id]
    assert case["evidence"]["kind"] == "split_file"
    assert case["evidence"]["subject_id"] == subject
    assert "Mia Li" in case["evidence"]["details"]
    # the audit log names the report, not the subject
    entries = [e for e in lg.audit_entries(ledger) if e.action == "identity.review_open"]
    assert subject not in str(entries[-1].payload)
