"""Record linkage on the synthetic population: accuracy against the truth, and throughput.

What is measured, for ``--subjects`` synthetic subjects (:func:`trustscore.synth.generate`) whose
furnisher files carry identity fields with realistic noise and no ``subject_id``
(:func:`trustscore.synth._identities.add_identities`):

- **pairwise precision and recall** of the record-to-subject assignment: over all pairs of
  stored records, a pair is *predicted* when linkage put both records on one subject and *true*
  when the generator made them for one subject. Records held for clerical review count as
  assigned to nobody (so they lower recall, never precision);
- the share of predicted subjects with a **mixed file** (records of two or more true subjects)
  and the share of true subjects with a **split file** (records on two or more predicted
  subjects, or some of them held);
- **mixed files where a valid national ID is on both sides**: a predicted subject holding records
  of two true subjects that both carry a national ID there (the target is none);
- **throughput**: records linked per second of :func:`trustscore.identity.link_files` (reading,
  checks, Splink training and prediction on DuckDB, clustering, ingest, ledger writes), one run.

Targets (issue 12): precision ≥ 0.999, recall ≥ 0.99. The run prints its table and writes
``results-<subjects>.json`` (``--febrl``: ``febrl.json``); ``results.md`` collects them with
how they were measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pyarrow.parquet as pq

__all__ = ["main", "pair_metrics"]

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pair_metrics(
    truth: dict[tuple[str, str], str],
    predicted: dict[tuple[str, str], str],
    national_id: set[tuple[str, str]],
) -> dict[str, Any]:
    """Pairwise precision and recall, mixed and split shares, from two record → subject maps.

    Records missing from ``predicted`` (held, quarantined) are singletons of their own.
    """
    cells: Counter[tuple[str, str]] = Counter()
    pred_sizes: Counter[str] = Counter()
    true_sizes: Counter[str] = Counter()
    true_in_pred: dict[str, set[str]] = defaultdict(set)
    pred_of_true: dict[str, set[str]] = defaultdict(set)
    with_id: dict[str, set[str]] = defaultdict(set)
    for key, true in truth.items():
        pred = predicted.get(key, f"unassigned:{key[0]}:{key[1]}")
        cells[(pred, true)] += 1
        pred_sizes[pred] += 1
        true_sizes[true] += 1
        true_in_pred[pred].add(true)
        pred_of_true[true].add(pred)
        if key in national_id:
            with_id[pred].add(true)
    tp = sum(_pairs(n) for n in cells.values())
    pred_pairs = sum(_pairs(n) for n in pred_sizes.values())
    true_pairs = sum(_pairs(n) for n in true_sizes.values())
    assigned = [p for p in pred_sizes if not p.startswith("unassigned:")]
    return {
        "records": len(truth),
        "records_assigned": sum(1 for k in truth if k in predicted),
        "true_subjects": len(true_sizes),
        "predicted_subjects": len(assigned),
        "precision": tp / pred_pairs if pred_pairs else 1.0,
        "recall": tp / true_pairs if true_pairs else 1.0,
        "mixed_share": sum(1 for p in assigned if len(true_in_pred[p]) > 1) / max(len(assigned), 1),
        "split_share": sum(1 for t in pred_of_true if len(pred_of_true[t]) > 1)
        / max(len(pred_of_true), 1),
        "mixed_with_national_id_both_sides": sum(1 for p in with_id if len(with_id[p]) > 1),
    }


class _Phases:
    """Wall time spent in linkage's named steps, by wrapping them for one run."""

    STEPS: ClassVar = {
        "ingest": "ingest",  # the record store's ingest of the linked records
        "splink": "score_all",  # Splink training and prediction
        "ledger": "record_links",  # links and their audit entries
        "reviews": "open_identity_reviews",
        "cluster": "cluster",
    }

    def __init__(self) -> None:
        from trustscore.identity import _link

        self.module = _link
        self.seconds: dict[str, float] = dict.fromkeys(self.STEPS, 0.0)
        self.saved = {name: getattr(_link, name) for name in self.STEPS.values()}
        for phase, name in self.STEPS.items():
            setattr(_link, name, self._timed(phase, self.saved[name]))

    def _timed(self, phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[phase] += time.perf_counter() - start

        return wrapper

    def undo(self) -> None:
        for name, fn in self.saved.items():
            setattr(self.module, name, fn)


def _time_phases() -> _Phases:
    return _Phases()


def run(n_subjects: int, seed: int) -> dict[str, Any]:
    from trustscore.identity import export_links, link_files
    from trustscore.ledger import Ledger
    from trustscore.records import RecordStore
    from trustscore.synth import IDENTIFIED_KINDS, add_identities, generate

    root = DATA / f"n{n_subjects}-s{seed}"
    shutil.rmtree(root, ignore_errors=True)
    generate(root / "synth", n_subjects=n_subjects, seed=seed)
    paths = add_identities(root / "synth", seed=seed)
    store = RecordStore(root / "store")
    ledger = Ledger(f"sqlite:///{root / 'ledger.sqlite'}", sqlite_synchronous="NORMAL")
    ledger.upgrade()
    phases = _time_phases()
    start = time.perf_counter()
    result = link_files(
        [paths[k] for k in IDENTIFIED_KINDS],
        store,
        ledger,
        linked_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
    )
    seconds = time.perf_counter() - start
    phases.undo()
    export_links(store, root / "links.parquet")
    links = pq.read_table(root / "links.parquet").to_pylist()
    truth_rows = pq.read_table(paths["truth"]).to_pylist()
    truth = {(r["record_kind"], r["record_id"]): r["subject_id"] for r in truth_rows}
    predicted = {(r["record_kind"], r["record_id"]): r["subject_id"] for r in links}
    national_id: set[tuple[str, str]] = set()
    for kind in IDENTIFIED_KINDS:
        t = pq.read_table(paths[kind], columns=["record_id", "national_id"])
        for rid, nid in zip(t["record_id"].to_pylist(), t["national_id"].to_pylist(), strict=True):
            if nid:
                national_id.add((kind, rid))
    metrics = pair_metrics(truth, predicted, national_id)
    ledger.dispose()
    return {
        "subjects": n_subjects,
        "seed": seed,
        "seconds": round(seconds, 2),
        "records_per_second": round(result.rows_in / seconds),
        "phase_seconds": {k: round(v, 2) for k, v in phases.seconds.items()},
        "records_per_second_without_ingest": round(
            result.rows_in / max(seconds - phases.seconds["ingest"], 1e-9)
        ),
        "rows_in": result.rows_in,
        "rows_linked": result.rows_linked,
        "rows_held": result.rows_held,
        "rows_quarantined": result.rows_quarantined,
        "subjects_new": result.subjects_new,
        "reviews_open": result.reviews_open,
        "decided_by": dict(result.decided_by),
        **metrics,
    }


def _markdown(out: dict[str, Any]) -> str:
    ok_p = out["precision"] >= 0.999
    ok_r = out["recall"] >= 0.99
    return "\n".join(
        [
            "# Identity linkage benchmark",
            "",
            f"Written by `python -m benchmarks.identity --subjects {out['subjects']}` on "
            f"{out['machine']} ({out['cpus']} CPUs), {out['date']}.",
            "",
            "| measure | value | target |",
            "|---|---|---|",
            f"| subjects | {out['subjects']:,} | 100 000 (1 000 000 later) |",
            f"| records | {out['records']:,} | |",
            f"| pairwise precision | {out['precision']:.5f} | ≥ 0.999 {'✓' if ok_p else '✗'} |",
            f"| pairwise recall | {out['recall']:.5f} | ≥ 0.99 {'✓' if ok_r else '✗'} |",
            f"| mixed-file share | {out['mixed_share']:.5f} | |",
            f"| split-file share | {out['split_share']:.5f} | |",
            "| mixed files with a national ID on both sides | "
            f"{out['mixed_with_national_id_both_sides']} | 0 |",
            f"| records held for review | {out['rows_held']:,} | |",
            f"| review pairs opened | {out['reviews_open']:,} | |",
            f"| linkage throughput (DuckDB) | {out['records_per_second']:,} records/s "
            f"({out['seconds']} s) | |",
            "",
            f"Links decided by: {json.dumps(out['decided_by'])}.",
            "",
            f"Time by step (s): {json.dumps(out['phase_seconds'])}; without the record store's "
            f"ingest, {out['records_per_second_without_ingest']:,} records/s.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.identity")
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--febrl", action="store_true", help="run FEBRL 3 and 4 instead (writes febrl.json)"
    )
    args = parser.parse_args(argv)
    if args.febrl:
        from benchmarks.identity._febrl import febrl

        rows = febrl()
        (HERE / "febrl.json").write_text(json.dumps(rows, indent=2, sort_keys=True) + "\n")
        print(json.dumps(rows, indent=2))
        return 0
    out = run(args.subjects, args.seed)
    out.update(
        machine=platform.machine(),
        cpus=os.cpu_count(),
        date=dt.date.today().isoformat(),
    )
    (HERE / f"results-{args.subjects}.json").write_text(
        json.dumps(out, indent=2, sort_keys=True) + "\n"
    )
    print(_markdown(out))
    return 0
