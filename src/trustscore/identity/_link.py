"""Linking furnisher files that name their subjects by identity fields.

:func:`link_files` reads furnisher files whose rows carry identity fields (beside or instead of
``subject_id``), checks each row's record fields and identity fields (check characters, the
public-record identity floor), groups the rows into *profiles* (one per distinct spelling of the
identity fields), and links each new profile to a subject:

1. deterministically, on a valid national ID or registration code shared with another profile;
2. otherwise by a Splink model trained on all the store's profiles (:mod:`._model`): a pair at or
   above ``upper`` links; between ``lower`` and ``upper`` the new side is *held* and the pair goes
   to the clerical review queue; a profile linked to nothing becomes a new subject;
3. with the operators' decisions on earlier reviews applied (``match`` joins, ``distinct``
   forbids).

Then the new subjects and the linked records (with their ``subject_id``) are ingested into the
record store by :func:`trustscore.records.ingest`, the identity fields go to the identity store,
every link goes to the ledger with its evidence and audit entry, and held rows wait for the next
run. Every row is counted once:
``rows_in + rows_carried == rows_linked + rows_held + rows_quarantined``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from trustscore.exceptions import IngestError, SchemaError
from trustscore.identity._cluster import Edge, Profile, cluster, evidence, subjects_of
from trustscore.identity._model import COMPARED_FIELDS, score_pairs
from trustscore.identity._read import read_strings
from trustscore.identity._rows import Rows
from trustscore.identity._store import IdentityStore
from trustscore.ledger import (
    IdentityLink,
    IdentityReviewItem,
    Ledger,
    identity_reviews,
    open_identity_reviews,
    record_links,
)
from trustscore.records import RECORD_KINDS, RecordStore, ingest
from trustscore.records._identity import IDENTITY_FIELDS, subject_kind_of
from trustscore.records._identity_codes import resident_id_problem
from trustscore.records._readers import check_columns
from trustscore.records._store import check_kind

__all__ = ["DEFAULT_LOWER", "DEFAULT_UPPER", "LinkResult", "link_files", "score_all"]

logger = logging.getLogger(__name__)

#: Match weights (log2 of the posterior odds of a match, Splink's ``match_weight``, the prior
#: included). Chosen on the synthetic population (benchmarks/identity, results.md): at 5 000
#: subjects every reviewed pair without a conflict between 3 and 5 was one person (187 of 187),
#: and between 2 and 3 one in six was not.
DEFAULT_UPPER: Final = 3.0
DEFAULT_LOWER: Final = -2.0


@dataclass(frozen=True)
class LinkResult:
    """What one linkage run did.

    ``rows_in + rows_carried == rows_linked + rows_held + rows_quarantined``: ``rows_in`` were
    read from the files, ``rows_carried`` were held by an earlier run and considered again (a
    held record sent again in the files is taken from the files only).
    """

    run_id: str
    rows_in: int
    rows_carried: int
    rows_linked: int
    rows_held: int
    rows_quarantined: int
    subjects_new: int
    reviews_open: int
    reasons: Mapping[str, int] = field(default_factory=dict)
    decided_by: Mapping[str, int] = field(default_factory=dict)


def _valid_id(row: Mapping[str, str | None]) -> str | None:
    if row.get("national_id"):
        return f"national_id:{row['national_id']}"
    if row.get("registration_code"):
        return f"registration_code:{row['registration_code']}"
    return None


def birth_date_of(fields: Mapping[str, str | None]) -> str | None:
    """The birth date sent, or else the one a valid resident identity number embeds (GB 11643
    digits 7-14): a junior's ID sent without a birth date still says he is not his father.

    Examples
    --------
    >>> birth_date_of({"national_id": "11010519491231002X"})
    '1949-12-31'
    >>> birth_date_of({"national_id": "1804974", "birth_date": None}) is None
    True
    """
    born = fields.get("birth_date")
    nid = fields.get("national_id")
    if born or not nid or resident_id_problem(nid) is not None:
        return born
    return f"{nid[6:10]}-{nid[10:12]}-{nid[12:14]}"


def _strings(rows: list[dict[str, str | None]], names: Sequence[str]) -> pa.Table:
    return pa.table({n: pa.array([r.get(n) for r in rows], pa.string()) for n in names})


def _take(values: list[Any], indices: pa.Array, type_: pa.DataType | None = None) -> pa.Array:
    return pa.array(values, type_ or pa.string()).take(indices)


def _write_csv(table: pa.Table, path: Path) -> None:
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))


def link_files(
    files: Sequence[str | Path],
    store: RecordStore,
    ledger: Ledger,
    *,
    upper: float = DEFAULT_UPPER,
    lower: float = DEFAULT_LOWER,
    linked_at: dt.datetime | None = None,
) -> LinkResult:
    """Link furnisher files with identity fields to subjects and ingest their records.

    Parameters
    ----------
    files
        ``<kind>.csv`` / ``.parquet`` / ``.jsonl`` files (the stem names the record kind).
    store, ledger
        The record store and the ledger of links and reviews.
    upper, lower
        Match-weight thresholds: automatic link at or above ``upper``; clerical review between.
    linked_at
        When the run counts as done (time-zone-aware); now, by default.
    """
    if not lower < upper:
        msg = f"The lower threshold must be below the upper one; got lower={lower}, upper={upper}."
        raise SchemaError(msg, field="lower", value=str(lower))
    at = linked_at or dt.datetime.now(dt.UTC)
    ids = IdentityStore(store)
    rows = Rows()
    for file in map(Path, files):
        kind = check_kind(file.stem, file=file)
        if kind == "subject":
            msg = f"{file}: subjects are created by linkage; send records with identity fields."
            raise IngestError(msg, file=str(file))
        table = read_strings(file)
        # the record columns are checked as ingest checks them (unexpected, repeated, missing);
        # subject_id may be left out, linkage supplies it
        columns = [c for c in table.column_names if c not in IDENTITY_FIELDS]
        check_columns(kind, [*columns, *(["subject_id"] * ("subject_id" not in columns))], file)
        rows.add(kind, table, at=at)
    held_before = ids.held()
    if held_before is not None:
        rows.add_held(held_before, at=at)
    run_id = "link-" + hashlib.sha256(f"{at.isoformat()}:{rows.rows_in}".encode()).hexdigest()[:16]

    known = ids.profiles().to_pylist()
    known_subject = {str(r["profile_id"]): str(r["subject_id"]) for r in known}
    known_fields = {str(r["profile_id"]): r for r in known}
    new = sorted(pid for pid in rows.identity if pid not in known_subject)
    profiles = [
        Profile(
            pid,
            known_subject.get(pid) or rows.given_subject.get(pid),
            _valid_id(fields),
            birth_date_of(fields),
        )
        for pid, fields in [*known_fields.items(), *((p, rows.identity[p]) for p in new)]
    ]
    edges = _deterministic_edges(profiles)
    # a subject's split-file report waits in the same queue, but names no profiles to link
    done = [r for r in identity_reviews(ledger) if r.evidence.get("kind") != "split_file"]
    edges += [
        Edge(r.profile_id, r.candidate_profile_id, r.match_weight, {}, f"operator:{r.decider}")
        for r in done
        if r.status == "match"
    ]
    distinct = [(r.profile_id, r.candidate_profile_id) for r in done if r.status == "distinct"]
    fields = {p.profile_id: known_fields.get(p.profile_id) or rows.identity[p.profile_id]
              for p in profiles}  # fmt: skip
    kinds = {pid: subject_kind_of(dict(f)) for pid, f in fields.items()}
    scored_edges, models = score_all(profiles, fields, set(new), lower=lower, kinds=kinds)
    edges += scored_edges
    if models:
        ids.write_model(run_id, json.dumps(models, sort_keys=True, default=str))
    result = cluster(profiles, edges, upper=upper, lower=lower, distinct=distinct)
    decided_reviews = {frozenset((r.profile_id, r.candidate_profile_id)) for r in done}
    subject_of_cluster = subjects_of(result, profiles)
    links: list[IdentityLink] = []
    new_profiles: list[dict[str, str | None]] = []
    new_subjects: dict[str, str] = {}
    for pid in new:
        if pid in result.held:
            continue
        root = result.cluster_of[pid]
        subject = subject_of_cluster.get(root)
        if subject is None:
            subject = "subj-" + hashlib.sha256(root.encode()).hexdigest()[:16]
            subject_of_cluster[root] = subject
            new_subjects[subject] = kinds[root]
        edge = result.joined_by.get(pid)
        decided = (
            "furnisher" if pid in rows.given_subject
            else edge.decided_by if edge is not None
            else "new_subject"
        )  # fmt: skip
        weight = edge.match_weight if edge is not None and edge.decided_by == "splink" else None
        links.append(IdentityLink(pid, subject, weight, decided, evidence(edge)))
        new_profiles.append(
            {"profile_id": pid, "subject_id": subject,
             "subject_kind": kinds[pid], **rows.identity[pid]}
        )  # fmt: skip
    link_of = {x.profile_id: x for x in links}
    for pid, subject in known_subject.items():
        link_of.setdefault(pid, IdentityLink(pid, subject, None, "known_profile", {}))
    review_items = [
        IdentityReviewItem(
            e.left,
            e.right,
            subject_of_cluster.get(result.cluster_of[e.right]),
            e.match_weight,
            evidence(e),
        )
        for e in result.review
        if frozenset((e.left, e.right)) not in decided_reviews
    ]
    return _commit(
        store, ledger, ids, rows, run_id, at, link_of, links, new_profiles, new_subjects,
        review_items, result.held,
    )  # fmt: skip


def score_all(
    profiles: Sequence[Profile],
    fields: Mapping[str, Mapping[str, str | None]],
    new: set[str],
    *,
    lower: float,
    kinds: Mapping[str, str] | None = None,
) -> tuple[list[Edge], dict[str, object]]:
    """Splink's scored pairs touching a new profile, persons and organisations apart
    (``kinds``: each profile's subject kind, when the caller knows them already)."""
    edges: list[Edge] = []
    models: dict[str, object] = {}
    if kinds is None:
        kinds = {p.profile_id: subject_kind_of(dict(fields[p.profile_id])) for p in profiles}
    for subject_kind in ("person", "organisation"):
        group = [p for p in profiles if kinds[p.profile_id] == subject_kind]
        if not any(p.profile_id in new for p in group) or len(group) < 2:
            continue
        table = _strings(
            [
                {
                    "profile_id": p.profile_id,
                    **fields[p.profile_id],
                    "birth_date": birth_date_of(fields[p.profile_id]),
                }
                for p in group
            ],
            ["profile_id", *COMPARED_FIELDS],
        )
        scored = score_pairs(table, lower_weight=lower, subject_kind=subject_kind)
        models[subject_kind] = scored.model
        # the pairs name the group's own id strings, not a new copy of both ids per pair
        same = {p.profile_id: p.profile_id for p in group}
        edges += [
            Edge(same[a], same[b], w, lv, conflicts=c)
            for a, b, w, lv, c in zip(
                scored.left,
                scored.right,
                scored.match_weight,
                scored.levels,
                scored.conflicts,
                strict=True,
            )
            if a in new or b in new
        ]
    return edges, models


def _deterministic_edges(profiles: Sequence[Profile]) -> list[Edge]:
    first: dict[str, str] = {}
    edges: list[Edge] = []
    for p in profiles:
        if p.valid_id is None:
            continue
        if p.valid_id in first:
            field_name = p.valid_id.split(":", 1)[0]
            edges.append(
                Edge(first[p.valid_id], p.profile_id, 0.0, {}, f"deterministic:{field_name}")
            )
        else:
            first[p.valid_id] = p.profile_id
    return edges


def _commit(
    store: RecordStore,
    ledger: Ledger,
    ids: IdentityStore,
    rows: Rows,
    run_id: str,
    at: dt.datetime,
    link_of: Mapping[str, IdentityLink],
    links: list[IdentityLink],
    new_profiles: list[dict[str, str | None]],
    new_subjects: Mapping[str, str],
    review_items: list[IdentityReviewItem],
    held: set[str],
) -> LinkResult:
    held_parts: list[pa.Table] = []
    link_parts: list[pa.Table] = []
    decided: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="trustscore-link-") as tmp:
        folder = Path(tmp)
        if new_subjects:
            subjects = sorted(new_subjects.items())
            _write_csv(
                pa.table({"subject_id": [s for s, _ in subjects], "kind": [k for _, k in subjects],
                          "created_date": [at.date().isoformat()] * len(subjects)}),
                folder / "subject.csv",
            )  # fmt: skip
            ingest(folder / "subject.csv", store, ingested_at=at)
        for kind in sorted(rows.records):
            # each kind's rows are let go once ingested: the largest run holds one kind twice
            # (its text and the store's typed copy), not every kind
            table = pa.concat_tables(rows.records.pop(kind))
            parts = rows.profiles.pop(kind)
            pids = np.concatenate(parts) if parts else np.array([])
            # a run's rows carry a few distinct profiles each: decide per profile, then take
            encoded = pa.array(pids, pa.string()).dictionary_encode()
            codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
            distinct = encoded.dictionary.to_pylist()
            is_held = np.array([p in held for p in distinct], dtype=np.bool_)[codes]
            if is_held.any():
                waiting = table.filter(pa.array(is_held)).drop_columns(["subject_id"])
                # the held rows of every kind share one file: a field one kind requires is
                # empty on another kind's rows
                waiting = waiting.cast(pa.schema([f.with_nullable(True) for f in waiting.schema]))
                fields = [rows.identity[p] for p in pids[is_held].tolist()]
                for name in IDENTITY_FIELDS:
                    waiting = waiting.append_column(
                        name, pa.array([f.get(name) for f in fields], pa.string())
                    )
                held_parts.append(
                    waiting.add_column(0, "record_kind", pa.array([kind] * waiting.num_rows))
                )
            keep = table.filter(pa.array(~is_held)) if is_held.any() else table
            del table, pids, encoded  # one copy of the kind at a time (memory at 100k)
            kept = pa.array(codes[~is_held])
            if not len(kept):
                continue
            by_profile = [link_of.get(p) for p in distinct]
            subject_ids = _take([x.subject_id if x else None for x in by_profile], kept)
            decided_by = _take([x.decided_by if x else None for x in by_profile], kept)
            keep = keep.set_column(keep.column_names.index("subject_id"), "subject_id", subject_ids)
            for pair in pc.value_counts(decided_by).to_pylist():
                decided[str(pair["values"]).split(":")[0]] += int(pair["counts"])
            link_parts.append(
                pa.table(
                    {
                        "record_kind": pa.repeat(pa.scalar(kind, pa.string()), keep.num_rows),
                        "record_id": keep.column("record_id"),
                        "profile_id": _take(distinct, kept),
                        "subject_id": subject_ids,
                        "match_weight": _take(
                            [x.match_weight if x else None for x in by_profile], kept, pa.float64()
                        ),
                        "decided_by": decided_by,
                    }
                )
            )
            path = folder / f"{kind}.parquet"
            pq.write_table(keep.select(RECORD_KINDS[kind].field_names), path)
            del keep  # the links keep the record ids; the rest is in the file ingest reads
            ingest(path, store, ingested_at=at)
    quarantine = (
        _strings(rows.quarantine, ["record_kind", "line", "field", "value", "reason"])
        if rows.quarantine
        else None
    )
    profile_table = pa.Table.from_pylist(new_profiles) if new_profiles else pa.table({})
    link_table = pa.concat_tables(link_parts) if link_parts else pa.table({})
    ids.write_run(run_id, profile_table, link_table, quarantine)
    held_table = pa.concat_tables(held_parts, promote_options="default") if held_parts else None
    ids.replace_held(held_table)
    record_links(ledger, links, at=at)
    open_identity_reviews(ledger, review_items, at=at)
    return LinkResult(
        run_id=run_id,
        rows_in=rows.rows_in,
        rows_carried=rows.rows_carried,
        rows_linked=link_table.num_rows,
        rows_held=0 if held_table is None else held_table.num_rows,
        rows_quarantined=len(rows.quarantine),
        subjects_new=len(new_subjects),
        reviews_open=len(review_items),
        reasons=dict(rows.reasons.most_common()),
        decided_by=dict(decided.most_common()),
    )
