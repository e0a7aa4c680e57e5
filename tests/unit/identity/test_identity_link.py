"""Linking furnisher files with identity fields and no subject_id, end to end."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import trustscore.ledger as lg
from trustscore.exceptions import SchemaError
from trustscore.identity import IdentityStore, LinkResult, export_links, link_files
from trustscore.records import RecordStore
from trustscore.synth import IDENTIFIED_KINDS, add_identities, generate

AT = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


@dataclass
class Linked:
    root: Path
    store: RecordStore
    ledger: lg.Ledger
    result: LinkResult
    paths: dict[str, Path]


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Linked:
    root = tmp_path_factory.mktemp("identity")
    generate(root / "synth", n_subjects=150, seed=4, months=12)
    paths = add_identities(root / "synth", seed=4)
    store = RecordStore(root / "store")
    ledger = lg.Ledger(f"sqlite:///{root / 'ledger.sqlite'}")
    ledger.upgrade()
    result = link_files([paths[k] for k in IDENTIFIED_KINDS], store, ledger, linked_at=AT)
    return Linked(root, store, ledger, result, paths)


def test_every_row_is_counted_once(linked: Linked) -> None:
    r = linked.result
    truth = pq.read_table(linked.paths["truth"])
    assert r.rows_in == truth.num_rows
    assert r.rows_carried == 0
    assert r.rows_in == r.rows_linked + r.rows_held + r.rows_quarantined
    assert r.rows_linked > 0.8 * r.rows_in


def test_export_matches_the_store_and_the_truth(linked: Linked) -> None:
    out = linked.root / "links.parquet"
    n = export_links(linked.store, out)
    links = pq.read_table(out)
    assert links.column_names == [
        "record_kind", "record_id", "subject_id", "match_weight", "decided_by",
    ]  # fmt: skip
    assert n == links.num_rows == linked.result.rows_linked
    stored = pq.read_table(linked.store.paths("obligation")).select(["record_id", "subject_id"])
    by_export = {
        r["record_id"]: r["subject_id"]
        for r in links.to_pylist()
        if r["record_kind"] == "obligation"
    }
    pairs = zip(stored["record_id"].to_pylist(), stored["subject_id"].to_pylist(), strict=True)
    assert dict(pairs) == by_export
    # pairwise precision against the generator's truth
    truth = {(r["record_kind"], r["record_id"]): r["subject_id"]
             for r in pq.read_table(linked.paths["truth"]).to_pylist()}  # fmt: skip
    people: dict[str, set[str]] = defaultdict(set)
    for row in links.to_pylist():
        people[row["subject_id"]].add(truth[(row["record_kind"], row["record_id"])])
    mixed = sum(1 for owners in people.values() if len(owners) > 1)
    assert mixed <= 0.02 * len(people)


def test_no_subject_holds_two_valid_national_ids(linked: Linked) -> None:
    ids: dict[str, set[str]] = defaultdict(set)
    for row in IdentityStore(linked.store).profiles().to_pylist():
        if row["national_id"]:
            ids[row["subject_id"]].add(row["national_id"])
    assert ids
    assert all(len(v) == 1 for v in ids.values())


def test_identity_fields_stay_out_of_the_record_store(linked: Linked) -> None:
    for kind in IDENTIFIED_KINDS:
        names = set(pq.read_schema(linked.store.paths(kind)[0]).names)
        assert not names & {"national_id", "family_name", "address", "birth_date"}


def test_every_link_is_in_the_ledger_and_the_audit_chain(linked: Linked) -> None:
    links = lg.identity_links(linked.ledger)
    profiles = IdentityStore(linked.store).profiles()
    assert {x.profile_id for x in links} == set(profiles["profile_id"].to_pylist())
    assert {x.decided_by.split(":")[0] for x in links} <= {
        "deterministic", "splink", "new_subject", "furnisher", "operator",
    }  # fmt: skip
    actions = [e.action for e in lg.audit_entries(linked.ledger)]
    assert actions.count("identity.link") == len(links)
    assert lg.audit_verify(linked.ledger).ok


def test_bad_ids_and_thin_public_records_are_quarantined(linked: Linked, tmp_path: Path) -> None:
    path = tmp_path / "public_record.csv"
    rows = pa.table(
        {
            "record_id": ["pr-x1", "pr-x2"],
            "furnisher": ["court"] * 2,
            "kind": ["court_judgment"] * 2,
            "filed_date": ["2025-03-01"] * 2,
            "amount": ["100"] * 2,
            "full_name": ["wei li"] * 2,
            "address": [None, "1 road"],
            "national_id": ["11010519491231002X", "110105194912310021"],
        }
    )
    pacsv.write_csv(rows, path)
    result = link_files([path], linked.store, linked.ledger, linked_at=AT + dt.timedelta(1))
    assert (result.rows_in, result.rows_quarantined) == (2, 2)
    # the rows held by the first run wait for an operator: considered again, still held
    assert result.rows_carried == result.rows_held == linked.result.rows_held
    assert result.rows_linked == 0
    assert set(result.reasons) == {
        "identity floor: a public record needs a name, an address and a national ID or birth date",
        "national_id is not a valid resident identity number: check character is 1, expected X",
    }


def test_a_file_missing_a_record_column_is_refused_whole(linked: Linked, tmp_path: Path) -> None:
    path = tmp_path / "inquiry.csv"
    pacsv.write_csv(pa.table({"record_id": ["i1"], "full_name": ["wei li"]}), path)
    with pytest.raises(SchemaError, match="required column 'furnisher'"):
        link_files([path], linked.store, linked.ledger, linked_at=AT)


def test_linking_the_same_files_again_changes_nothing(linked: Linked) -> None:
    before = {
        (r["record_kind"], r["record_id"]): r["subject_id"]
        for r in IdentityStore(linked.store).links().to_pylist()
    }
    again = link_files(
        [linked.paths[k] for k in IDENTIFIED_KINDS],
        linked.store,
        linked.ledger,
        linked_at=AT + dt.timedelta(days=2),
    )
    assert again.subjects_new == 0
    assert again.rows_linked == linked.result.rows_linked
    # the held rows came again in the files: held once, not twice
    assert again.rows_held == linked.result.rows_held
    assert again.rows_carried == 0
    after = {
        (r["record_kind"], r["record_id"]): r["subject_id"]
        for r in IdentityStore(linked.store).links().to_pylist()
    }
    assert after == before
