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

Targets (issue 12): precision ≥ 0.999, recall ≥ 0.99. The run prints its figures, writes
``results-<subjects>.json`` (``--label NAME``: ``results-<subjects>-NAME.json``, for a side by
side comparison; ``--febrl``: ``febrl.json``) with the load average before and after, the
process's peak memory and the commit of the code measured, then rewrites ``results.md`` from
every json file beside it (:mod:`benchmarks.identity._report`).

The measures are taken in DuckDB from the exported links and the truth file (Python dicts of
every record's key held several GiB at 100 000 subjects).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from benchmarks.identity._report import write_results

__all__ = ["main", "pair_metrics", "pair_metrics_sql"]

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


_METRICS_SQL = """
WITH a AS (
    SELECT t.subject_id AS true_s,
           coalesce(l.subject_id, 'unassigned:' || t.record_kind || ':' || t.record_id) AS pred,
           l.subject_id IS NOT NULL AS assigned,
           n.record_id IS NOT NULL AS has_id
    FROM truth t
    LEFT JOIN links l USING (record_kind, record_id)
    LEFT JOIN nid n USING (record_kind, record_id)
),
cells AS (SELECT count(*) AS n FROM a GROUP BY pred, true_s),
preds AS (
    SELECT count(*) AS n, bool_or(assigned) AS assigned, count(DISTINCT true_s) AS trues,
           count(DISTINCT true_s) FILTER (WHERE has_id) AS trues_with_id
    FROM a GROUP BY pred
),
trues AS (SELECT count(*) AS n, count(DISTINCT pred) AS preds FROM a GROUP BY true_s)
SELECT
    (SELECT count(*) FROM a) AS records,
    (SELECT count(*) FILTER (WHERE assigned) FROM a) AS records_assigned,
    (SELECT count(*) FROM trues) AS true_subjects,
    (SELECT count(*) FILTER (WHERE assigned) FROM preds) AS predicted_subjects,
    (SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM cells) AS tp,
    (SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM preds) AS pred_pairs,
    (SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM trues) AS true_pairs,
    (SELECT count(*) FILTER (WHERE assigned AND trues > 1) FROM preds) AS mixed,
    (SELECT count(*) FILTER (WHERE preds > 1) FROM trues) AS split,
    (SELECT count(*) FILTER (WHERE trues_with_id > 1) FROM preds) AS mixed_with_id
"""


def pair_metrics_sql(truth: Path, links: Path, national_id: pa.Table) -> dict[str, Any]:
    """:func:`pair_metrics` in DuckDB: ``truth`` and ``links`` are Parquet files with
    ``record_kind, record_id, subject_id`` (one row per record), ``national_id`` the keys
    (``record_kind, record_id``) of the records sent with a national ID."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = false")
        con.execute(
            "CREATE TEMP TABLE truth AS SELECT record_kind, record_id, subject_id "
            f"FROM read_parquet('{truth}')"
        )
        con.execute(
            "CREATE TEMP TABLE links AS SELECT record_kind, record_id, subject_id "
            f"FROM read_parquet('{links}')"
        )
        con.register("nid_arrow", national_id)
        con.execute(
            "CREATE TEMP TABLE nid AS SELECT DISTINCT record_kind, record_id FROM nid_arrow"
        )
        row = con.execute(_METRICS_SQL).fetchone()
        assert row is not None
        names = [d[0] for d in con.description or []]
    finally:
        con.close()
    m = dict(zip(names, (int(v) for v in row), strict=True))
    return {
        "records": m["records"],
        "records_assigned": m["records_assigned"],
        "true_subjects": m["true_subjects"],
        "predicted_subjects": m["predicted_subjects"],
        "precision": m["tp"] / m["pred_pairs"] if m["pred_pairs"] else 1.0,
        "recall": m["tp"] / m["true_pairs"] if m["true_pairs"] else 1.0,
        "mixed_share": m["mixed"] / max(m["predicted_subjects"], 1),
        "split_share": m["split"] / max(m["true_subjects"], 1),
        "mixed_with_national_id_both_sides": m["mixed_with_id"],
    }


def _status_mib(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _peak_mib() -> float | None:
    """This process's high-water resident memory (``VmHWM``), MiB (Linux only)."""
    return _status_mib("VmHWM")


def _rss_mib() -> float | None:
    return _status_mib("VmRSS")


def _commit() -> str:
    """The commit of the ``trustscore`` package measured (``+dirty`` with local changes)."""
    import trustscore

    src = Path(trustscore.__file__).resolve().parent
    try:
        head = subprocess.run(
            ["git", "-C", str(src), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(src), "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


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
        self.peak_mib: dict[str, float] = {}
        self.saved = {name: getattr(_link, name) for name in self.STEPS.values()}
        for phase, name in self.STEPS.items():
            setattr(_link, name, self._timed(phase, self.saved[name]))

    def _timed(self, phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            print(f"[{phase}] start, resident {_rss_mib()} MiB", file=sys.stderr, flush=True)
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[phase] += time.perf_counter() - start
                self.peak_mib[phase] = max(self.peak_mib.get(phase, 0.0), _peak_mib() or 0.0)
                print(
                    f"[{phase}] end, resident {_rss_mib()} MiB, peak {_peak_mib()} MiB",
                    file=sys.stderr,
                    flush=True,
                )

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
    from trustscore.synth import IDENTIFIED_KINDS

    root = DATA / f"n{n_subjects}-s{seed}"
    shutil.rmtree(root, ignore_errors=True)
    # the population is made in a child process, so that the peak memory measured here is
    # linkage's (and the measurement's), not the generator's
    subprocess.run(
        [sys.executable, "-c",
         "import sys; from trustscore.synth import generate, add_identities; "
         "generate(sys.argv[1], n_subjects=int(sys.argv[2]), seed=int(sys.argv[3])); "
         "add_identities(sys.argv[1], seed=int(sys.argv[3]))",
         str(root / "synth"), str(n_subjects), str(seed)],
        check=True,
    )  # fmt: skip
    paths = {k: root / "synth" / "identified" / f"{k}.parquet" for k in IDENTIFIED_KINDS}
    paths["truth"] = root / "synth" / "truth.parquet"
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
    peak_after_link = _peak_mib()
    phases.undo()
    ledger.dispose()
    export_links(store, root / "links.parquet")
    parts = []
    for kind in IDENTIFIED_KINDS:
        t = pq.read_table(paths[kind], columns=["record_id", "national_id"])
        t = t.filter(pc.invert(pc.equal(t["national_id"].fill_null(""), "")))
        kinds = pa.array([kind] * t.num_rows, pa.string())
        ids = t["record_id"].cast(pa.string())
        parts.append(pa.table({"record_kind": kinds, "record_id": ids}))
    metrics = pair_metrics_sql(paths["truth"], root / "links.parquet", pa.concat_tables(parts))
    return {
        "subjects": n_subjects,
        "seed": seed,
        "seconds": round(seconds, 2),
        "memory_mib": {"after_link": peak_after_link, "end": _peak_mib()},
        "phase_peak_mib": phases.peak_mib,
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


def _summary(out: dict[str, Any]) -> str:
    ok_p = out["precision"] >= 0.999
    ok_r = out["recall"] >= 0.99
    return "\n".join(
        [
            f"`python -m benchmarks.identity --subjects {out['subjects']}` on "
            f"{out['machine']} ({out['cpus']} CPUs), {out['date']}, code {out['commit']}, "
            f"load average {out['load_average']['before']} → {out['load_average']['after']}, "
            f"peak memory {out['memory_mib']} MiB.",
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
    parser.add_argument(
        "--label",
        help="a name for a side-by-side run (letters, digits, '_' and '.'): writes "
        "results-<subjects>-<label>.json",
    )
    parser.add_argument(
        "--report", action="store_true", help="only rewrite results.md from the json files"
    )
    args = parser.parse_args(argv)
    if args.label is not None and not all(c.isalnum() or c in "_." for c in args.label):
        parser.error(f"--label must be letters, digits, '_' or '.'; got {args.label!r}.")
    if args.report:
        print(write_results())
        return 0
    if args.febrl:
        from benchmarks.identity._febrl import febrl

        rows = febrl()
        (HERE / "febrl.json").write_text(json.dumps(rows, indent=2, sort_keys=True) + "\n")
        print(json.dumps(rows, indent=2))
        print(write_results())
        return 0
    started = dt.datetime.now(dt.UTC)
    load_before = [round(x, 2) for x in os.getloadavg()]
    commit = _commit()  # the code imported now, not the checkout's at the end of a long run
    out = run(args.subjects, args.seed)
    out.update(
        machine=platform.machine(),
        cpus=os.cpu_count(),
        date=started.date().isoformat(),
        started=started.isoformat(timespec="seconds"),
        load_average={"before": load_before, "after": [round(x, 2) for x in os.getloadavg()]},
        commit=commit,
    )
    name = f"results-{args.subjects}" + (f"-{args.label}" if args.label else "") + ".json"
    (HERE / name).write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
    print(_summary(out))
    print(write_results())
    return 0
