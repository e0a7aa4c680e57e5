"""Kill a job with SIGKILL at a random point, run it again, and compare with a clean run.

Each job runs on a copy of a prepared workspace. A trial forks a child (multiprocessing's
``fork`` context: the parent's imports are reused, no CLI start-up) that runs the job's own
entry point on a fresh copy, SIGKILLs it after a seeded random delay drawn from the clean
run's measured duration, checks what the killed run left (no half-written output presented as
complete; the audit log intact after jobs that write the ledger), then runs the job again to
the end in this process and compares the workspace with the clean run's: the record store's
rows, the batch manifests (and that each one's counts reconcile), the ledger's rows and the
folder listing, as multisets of normalised items, so ``lost`` counts what the clean run has
and the trial lacks and ``duplicated`` what the trial has more of. Timestamps of *when*
something was done (the run's clock) and the workspace's own path are left out of the
comparison; everything else is compared exactly.

The CI test (``tests/e2e/test_crash_safety.py``) runs 20 trials per job, the benchmark
(``python -m benchmarks.crash``) a hundred.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing as mp
import os
import random
import shutil
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

#: When the harness's ingests and disputes say they happened (fixed: runs compare exactly).
INGESTED_AT = "2026-01-15T00:00:00+00:00"
#: Files SQLite keeps beside the database while it is open; not part of the state.
_SQLITE_SIDE = ("-wal", "-shm", "-journal")
#: Columns that hold when a run did something (its clock), not what it did.
_CLOCK_COLUMNS = frozenset(
    {"ingested_at", "suppressed_at", "created_at", "resolved_at", "at", "batch_id", "decided_at"}
)

Job = Callable[[Path], None]


@contextmanager
def _environment(root: Path) -> Iterator[None]:
    """TRUSTSCORE_* settings of a CLI run in workspace ``root`` (settings are cached: clear)."""
    from trustscore.settings import get_settings

    saved = {k: os.environ.get(k) for k in ("TRUSTSCORE_WORKSPACE", "TRUSTSCORE_DATABASE_URL")}
    os.environ["TRUSTSCORE_WORKSPACE"] = str(root)
    os.environ.pop("TRUSTSCORE_DATABASE_URL", None)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


def cli(root: Path, *args: str) -> None:
    """Run ``trustscore ARGS`` in this process, in workspace ``root``; raise if it fails."""
    import typer.main

    from trustscore.cli import app

    with _environment(root):
        command = typer.main.get_command(app)
        # standalone_mode=False: the command's exit code comes back instead of SystemExit
        code = command.main(args=list(args), prog_name="trustscore", standalone_mode=False)
    if isinstance(code, int) and code != 0:
        msg = f"trustscore {' '.join(args)} exited {code}"
        raise RuntimeError(msg)


# -- the jobs ---------------------------------------------------------------------------------


def ingest_job(root: Path) -> None:
    """``trustscore ingest`` of three files (one batch each) into the workspace's store."""
    files = sorted(str(p) for p in (root / "incoming").iterdir())
    cli(root, "ingest", *files, "--store", str(root / "store"), "--ingested-at", INGESTED_AT)


def score_job(root: Path) -> None:
    """``trustscore score`` of the workspace's features into ``scores.parquet``."""
    cli(
        root, "score", "--model", str(root / "model.json"), "--data",
        str(root / "features.parquet"), "--out", str(root / "scores.parquet"),
    )  # fmt: skip


def deadlines_job(root: Path) -> None:
    """``trustscore disputes run-deadlines``: overdue disputes suppressed, subjects rescored."""
    cli(root, "disputes", "run-deadlines")


def resolution_job(root: Path) -> None:
    """An operator's resolution (``corrected``) as the service runs it; once recorded, what is
    left to do after a crash is the deadline job's repair, so a re-run goes there."""
    from trustscore import ledger as lg
    from trustscore.exceptions import LedgerError
    from trustscore.pipeline import WorkspaceProvider
    from trustscore.service._resolutions import resolve_and_apply

    spec = json.loads((root / "resolution.json").read_text(encoding="utf-8"))
    ledger = lg.Ledger(f"sqlite:///{root}/ledger.sqlite")
    try:
        provider = WorkspaceProvider(root)
        try:
            resolve_and_apply(
                ledger, provider, spec["dispute_id"], "corrected", "ops",  # type: ignore[arg-type]
                correction=spec["correction"],
            )  # fmt: skip
        except LedgerError:  # already resolved by the killed run: complete its work
            deadlines_job(root)
    finally:
        ledger.engine.dispose()


#: The jobs that write the ledger: the audit log is verified after their kills and re-runs.
LEDGER_JOBS = frozenset({"run-deadlines", "resolution"})

JOBS: dict[str, Job] = {
    "ingest": ingest_job,
    "score": score_job,
    "run-deadlines": deadlines_job,
    "resolution": resolution_job,
}


# -- preparing the workspaces -----------------------------------------------------------------


def _incoming(root: Path) -> None:
    """Three furnisher files: an eighth of each synthetic delivery, every third row changed."""
    folder = root / "incoming"
    folder.mkdir()
    changes = {"tradeline": "balance", "obligation": "amount_due", "inquiry": None}
    for kind, column in changes.items():
        table = pq.read_table(root / "synth" / f"{kind}.parquet")
        table = table.slice(0, table.num_rows // 8)
        if column is not None:
            values = table.column(column)
            bump = pa.array([i % 3 == 0 for i in range(table.num_rows)])
            table = table.set_column(
                table.schema.get_field_index(column), column,
                pc.if_else(bump, pc.add(values, pa.scalar(1.0, values.type)), values),
            )  # fmt: skip
        pq.write_table(table, folder / f"{kind}.parquet")


def _unpaid_bills(root: Path, n: int) -> list[dict[str, Any]]:
    """``n`` unpaid bills of scored subjects, one per subject, in a fixed order."""
    from trustscore.pipeline import WorkspaceProvider
    from trustscore.records import version_order

    provider = WorkspaceProvider(root)
    rows = sorted(provider.store.read("obligation").to_pylist(), key=version_order)
    latest = {r["record_id"]: r for r in rows}.values()
    found: dict[str, dict[str, Any]] = {}
    for bill in sorted(latest, key=lambda b: str(b["record_id"])):
        subject = str(bill["subject_id"])
        unpaid = bill["paid_date"] is None and bill["action"] != "delete"
        if unpaid and subject not in found and provider.current_score(subject)["status"] == "OK":
            found[subject] = bill
        if len(found) == n:
            break
    return list(found.values())


def warm_imports() -> None:
    """Import what the jobs import, so that a forked child spends its time on the job."""
    import trustscore.cli._ops
    import trustscore.features
    import trustscore.pipeline
    import trustscore.scoring
    import trustscore.service  # noqa: F401


def prepare(demo: Path, folder: Path) -> dict[str, Path]:
    """One template workspace per job, copied from the demo workspace ``demo``."""
    from trustscore import ledger as lg
    from trustscore.pipeline import Workspace, workspace_champion

    warm_imports()
    templates: dict[str, Path] = {}
    for name in JOBS:
        root = Path(shutil.copytree(demo, folder / name))
        templates[name] = root
    _incoming(templates["ingest"])
    # the previous output, which a killed run must leave as it was (or replace whole)
    pq.write_table(pa.table({"subject_id": ["previous"]}), templates["score"] / "scores.parquet")
    # the batch run scores with the demo's champion, as the registry stores it
    ws = Workspace(templates["score"])
    champion = workspace_champion(ws)
    shutil.copyfile(ws.model_path_for(champion.model_version), templates["score"] / "model.json")

    root = templates["run-deadlines"]
    ledger = lg.Ledger(f"sqlite:///{root}/ledger.sqlite")
    ledger.upgrade()
    opened = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    for bill in _unpaid_bills(root, 3):
        lg.open_dispute(
            ledger, str(bill["subject_id"]), "obligation", str(bill["record_id"]), "paid", opened
        )
    ledger.engine.dispose()

    root = templates["resolution"]
    ledger = lg.Ledger(f"sqlite:///{root}/ledger.sqlite")
    ledger.upgrade()
    bill = _unpaid_bills(root, 1)[0]
    dispute = lg.open_dispute(
        ledger, str(bill["subject_id"]), "obligation", str(bill["record_id"]), "paid"
    )
    ledger.engine.dispose()
    spec = {
        "dispute_id": dispute.dispute_id,
        "correction": {"paid_date": str(bill["due_date"]), "amount_paid": bill["amount_due"]},
    }
    (root / "resolution.json").write_text(json.dumps(spec), encoding="utf-8")
    return templates


# -- the state compared -----------------------------------------------------------------------


def _rows(
    table: pa.Table, prefix: str, known: frozenset[str] = frozenset()
) -> Counter[tuple[str, str]]:
    """Every row's normalised content; rows of the batches in ``known`` (the template's, which
    no job may change: the store is append-only) only counted, which is what keeps a trial
    cheap on a store of some thousand rows."""
    found: Counter[tuple[str, str]] = Counter({(f"{prefix}:rows", ""): table.num_rows})
    if known and "batch_id" in table.column_names:
        table = table.filter(pc.invert(pc.is_in(table["batch_id"], pa.array(sorted(known)))))
    keep = [c for c in table.column_names if c not in _CLOCK_COLUMNS]
    found.update(
        (prefix, json.dumps(row, sort_keys=True, default=str))
        for row in table.select(keep).to_pylist()
    )
    return found


def _ledger_rows(path: Path) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    if not path.is_file():
        return found
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in sorted(tables):
            if table in {"alembic_version", "audit_head", "audit_log", "job_leases"}:
                continue
            if table in {"latest_scores", "latest_score_bases"}:
                # derived data: a row holds when and from which state of the store it was
                # computed, and the service answers it only while that state is current
                continue
            cursor = db.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cursor.description]
            keep = [i for i, n in enumerate(names) if n not in _CLOCK_COLUMNS and n != "salt"]
            for row in cursor:
                values = {names[i]: row[i] for i in keep}
                if table in {"score_snapshots", "suppressions"}:
                    values.pop("snapshot_id", None)
                    values.pop("suppression_id", None)
                found[(f"ledger:{table}", json.dumps(values, sort_keys=True, default=str))] += 1
        # the audit log: what was done, in any order (not when, nor the chain's hashes)
        for (action,) in db.execute("SELECT action FROM audit_log"):
            found[("ledger:audit_log", action)] += 1
    finally:
        db.close()
    return found


def _files(root: Path) -> Counter[tuple[str, str]]:
    """Files per folder (names carry batch ids and times, so counted, not named), and every
    temporary or hidden file by name: none may be left."""
    found: Counter[tuple[str, str]] = Counter()
    for path in root.rglob("*"):
        if path.is_dir() or path.name.endswith(_SQLITE_SIDE):
            continue
        rel = path.relative_to(root)
        found[("files", str(rel.parent))] += 1
        if any(part.startswith(".") or part.endswith(".tmp") for part in rel.parts):
            found[("temporary", str(rel))] += 1
    return found


def state(
    root: Path, *, rows: bool = True, known: frozenset[str] = frozenset()
) -> Counter[tuple[str, str]]:
    """The workspace's state as a multiset of normalised items (see the module docstring);
    without ``rows``, only the ledger and the files (enough to see whether anything changed).
    Stored rows of the batches in ``known`` are counted, not compared one by one."""
    from trustscore.records import RECORD_KINDS, RecordStore

    found = _ledger_rows(root / "ledger.sqlite") + _files(root)
    if not rows:
        return found
    store = RecordStore(root / "store")
    for kind in RECORD_KINDS:
        found += _rows(store.read(kind), f"store:{kind}", known)
    found += _rows(store.suppressions().drop_columns(["reason"]), "store:suppressions")
    for manifest in store.batches():
        # what the batch says it did, and that its counts reconcile (not when it was done)
        counts = {k: v for k, v in manifest.__dict__.items() if k != "ingested_at"}
        counts["file"] = str(manifest.file).replace(str(root), "<workspace>")
        found[("manifest", json.dumps(counts, sort_keys=True, default=str))] += 1
        parts = manifest.rows_stored + manifest.rows_unchanged + manifest.rows_quarantined
        if manifest.rows_in != parts + manifest.rows_held:
            found[("unreconciled", manifest.batch_id)] += 1
    for name in ("scores.parquet",):
        if (root / name).is_file():
            found[("output", pq.read_table(root / name).to_string(show_metadata=False))] += 1
    return found


def audit_ok(root: Path) -> bool:
    """Whether the workspace's audit log verifies (True without a ledger)."""
    from trustscore import ledger as lg

    if not (root / "ledger.sqlite").is_file():
        return True
    ledger = lg.Ledger(f"sqlite:///{root}/ledger.sqlite")
    try:
        return lg.audit_verify(ledger).ok
    finally:
        ledger.engine.dispose()


# -- trials -----------------------------------------------------------------------------------


def _child(job_name: str, root: str) -> None:
    JOBS[job_name](Path(root))


def _run_child(
    job_name: str, root: Path, kill_after: float | None, limit: float
) -> tuple[bool, float]:
    """Run the job in a forked child; SIGKILL it after ``kill_after`` seconds (None: let it
    finish). Returns (killed before it finished, seconds)."""
    process = mp.get_context("fork").Process(target=_child, args=(job_name, str(root)))
    t0 = time.perf_counter()
    process.start()
    process.join(kill_after if kill_after is not None else limit)
    killed = process.exitcode is None
    if killed:
        process.kill()
        process.join()
    seconds = time.perf_counter() - t0
    if kill_after is None and (killed or process.exitcode != 0):
        msg = f"the clean run of {job_name} failed (exit {process.exitcode}, killed {killed})"
        raise RuntimeError(msg)
    return killed, seconds


def _partial_kinds(found: Counter[tuple[str, str]], *ends: Counter[tuple[str, str]]) -> list[str]:
    """Record kinds whose stored rows are neither those of ``ends[0]`` nor of ``ends[1]``: a
    batch is visible whole or not at all."""

    def rows(items: Counter[tuple[str, str]], prefix: str) -> Counter[tuple[str, str]]:
        return Counter({k: n for k, n in items.items() if k[0] == prefix})

    prefixes = {k[0] for k in (*found, *ends[0], *ends[1]) if k[0].startswith("store:")}
    return sorted(p for p in prefixes if all(rows(found, p) != rows(end, p) for end in ends))


@dataclass
class JobReport:
    """What the trials of one job found."""

    job: str
    clean_seconds: float
    trials: int = 0
    killed_mid_work: int = 0
    changed_before_kill: int = 0
    lost: int = 0
    duplicated: int = 0
    half_written: int = 0
    audit_broken: int = 0
    failures: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON of the report."""
        return dict(self.__dict__)


def run_trials(
    job: str, template: Path, work: Path, *, trials: int, seed: int, limit: float = 120.0
) -> JobReport:
    """Run ``trials`` killed-and-rerun trials of ``job`` over copies of ``template``."""
    from trustscore.records import RecordStore

    rng = random.Random(f"{job}:{seed}")
    before = state(template, rows=False)
    writes_ledger = job in LEDGER_JOBS
    known = frozenset(m.batch_id for m in RecordStore(template / "store").batches())
    before_rows = state(template, known=known) if job == "ingest" else None
    clean = Path(shutil.copytree(template, work / f"{job}-clean"))
    _, seconds = _run_child(job, clean, None, limit)
    expected = state(clean, known=known)
    outputs = {"scores.parquet"}
    report = JobReport(job, round(seconds, 4))
    for trial in range(trials):
        root = Path(shutil.copytree(template, work / f"{job}-{trial}"))
        delay = rng.uniform(0.0, seconds * 1.1)
        killed, _ = _run_child(job, root, delay, limit)
        report.trials += 1
        report.killed_mid_work += killed
        left = state(root, rows=False)
        report.changed_before_kill += killed and left != before
        for name in outputs:
            out, previous, done = root / name, template / name, clean / name
            if previous.is_file() and out.read_bytes() not in {
                previous.read_bytes(),
                done.read_bytes(),
            }:
                report.half_written += 1
                report.failures.append(f"trial {trial}: {name} half-written after the kill")
        if writes_ledger and not audit_ok(root):
            report.audit_broken += 1
            report.failures.append(f"trial {trial}: the audit log fails after the kill")
        if before_rows is not None and (
            kinds := _partial_kinds(state(root, known=known), before_rows, expected)
        ):
            report.half_written += 1
            report.failures.append(f"trial {trial}: a part of a batch is visible in {kinds}")
        JOBS[job](root)
        after = state(root, known=known)
        lost, extra = expected - after, after - expected
        report.lost += sum(lost.values())
        report.duplicated += sum(extra.values())
        if lost or extra:
            report.failures.append(
                f"trial {trial} (killed after {delay:.3f} s): lost {sorted(lost)[:3]}, "
                f"extra {sorted(extra)[:3]}"
            )
        if writes_ledger and not audit_ok(root):
            report.audit_broken += 1
            report.failures.append(f"trial {trial}: the audit log fails after the re-run")
        shutil.rmtree(root)
    return report
