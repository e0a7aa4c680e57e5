"""Monitoring runs kept over time: ``DIR/runs/<run_id>.json``, ``DIR/monitor.json`` (the
latest run) and ``DIR/monitor.html`` (the trend over every run), and the files they come from.

``trustscore monitor --model M [--baseline FEATURES] --current FEATURES --out DIR`` runs
:func:`monitor_files`. Each run is kept under its id, so runs accumulate; running an id again
replaces that run. Ids sort as the runs' order in the trend: name them by date (``2026-01``),
as the default (the UTC time, ``20260131T120000Z``) does.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import pyarrow as pa

from trustscore.decisions import policy_for
from trustscore.exceptions import NotFoundError, SchemaError
from trustscore.pipeline._flat import read_table
from trustscore.pipeline._monitor import flag_level, monitor_run
from trustscore.pipeline._workspace import Workspace
from trustscore.reports import monitoring_report, write_report
from trustscore.scoring import ScorecardArtifact, load_artifact

__all__ = [
    "RUN_ID_PATTERN",
    "list_runs",
    "monitor_files",
    "read_run",
    "read_runs",
    "record_run",
    "run_summary",
]

#: A run id: letters, digits, ".", "_" and "-", at most 64, starting with a letter or digit.
RUN_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_run_id(run_id: str) -> str:
    """``run_id`` if it is a valid id (it names a file), else a clear error.

    Examples
    --------
    >>> check_run_id("2026-01")
    '2026-01'
    >>> check_run_id("../x")
    Traceback (most recent call last):
    ...
    trustscore.exceptions.SchemaError: A run id is letters, digits, '.', '_' and '-' ...
    """
    if not RUN_ID_PATTERN.fullmatch(run_id) or ".." in run_id:
        msg = (
            "A run id is letters, digits, '.', '_' and '-' (at most 64, first a letter or "
            f"digit), like 2026-01; got {run_id!r}."
        )
        raise SchemaError(msg, field="run_id", value=run_id)
    return run_id


def _write_json(data: Mapping[str, Any], path: Path) -> None:
    """Write beside ``path`` and rename over it: a reader sees the old file or the new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_run(folder: str | Path, run_id: str) -> dict[str, Any]:
    """The run ``run_id`` kept in ``folder``; NotFoundError if there is none."""
    path = Path(folder) / "runs" / f"{run_id}.json"
    if not RUN_ID_PATTERN.fullmatch(run_id) or ".." in run_id or not path.is_file():
        # the folder stays out of the message: the service answers with it (a 404 names no path)
        msg = f"No monitoring run {run_id!r} is kept in this workspace."
        raise NotFoundError(msg, run_id=run_id)
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def read_runs(folder: str | Path) -> list[dict[str, Any]]:
    """Every run kept in ``folder``, in the order of their ids (none: an empty list)."""
    runs = Path(folder) / "runs"
    if not runs.is_dir():
        return []
    ids = sorted(p.stem for p in runs.glob("*.json") if RUN_ID_PATTERN.fullmatch(p.stem))
    return [read_run(folder, i) for i in ids]


def run_summary(run: Mapping[str, Any], *, top: int = 5) -> dict[str, Any]:
    """The few numbers of a run the trend shows (and the API lists).

    Examples
    --------
    >>> s = run_summary({"run_id": "m1", "created_at": "t", "model_version": "v",
    ...     "current": {"n": 10}, "psi": {"psi": 0.3, "flag": "act"},
    ...     "csi": {"a": {"psi": 0.01}, "b": {"psi": 0.2}},
    ...     "quality": {"current": {"flagged_rate": 0.1}},
    ...     "score": {"current": {"mean": 600.0, "ns_rate": 0.05}},
    ...     "flags": [{"level": "act"}]})
    >>> s["psi"], s["top_csi"], s["level"], s["n_flags"]
    (0.3, [['b', 0.2], ['a', 0.01]], 'act', 1)
    """
    csi = sorted(run["csi"].items(), key=lambda kv: (-kv[1]["psi"], kv[0]))
    return {
        "run_id": run["run_id"],
        "created_at": run["created_at"],
        "model_version": run["model_version"],
        "n": run["current"]["n"],
        "psi": run["psi"]["psi"],
        "psi_flag": run["psi"]["flag"],
        "top_csi": [[name, t["psi"]] for name, t in csi[:top]],
        "quality_flagged_rate": run["quality"]["current"]["flagged_rate"],
        "ns_rate": run["score"]["current"]["ns_rate"],
        "score_mean": run["score"]["current"]["mean"],
        "n_flags": len(run["flags"]),
        "level": flag_level(run["flags"]),
    }


def list_runs(folder: str | Path) -> list[dict[str, Any]]:
    """The summary of every run kept in ``folder``, in the order of their ids."""
    return [run_summary(r) for r in read_runs(folder)]


def record_run(folder: str | Path, run: Mapping[str, Any], *, title: str = "") -> Path:
    """Keep ``run`` in ``folder`` and render the trend over every run kept; the HTML's path."""
    out = Path(folder)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    _write_json(run, out / "runs" / f"{check_run_id(str(run['run_id']))}.json")
    _write_json(run, out / "monitor.json")
    runs = read_runs(out)
    html = monitoring_report(runs, title=title or f"trustscore monitoring: {run['model_version']}")
    tmp = write_report(html, out / f".monitor.html.{os.getpid()}.tmp")
    os.replace(tmp, out / "monitor.html")
    return out / "monitor.html"


def _column(table: pa.Table, name: str, source: str, option: str) -> list[Any]:
    if name not in table.column_names:
        msg = (
            f"{source}: there is no column {name!r} ({option}); columns are "
            f"{', '.join(table.column_names)}."
        )
        raise SchemaError(msg, file=source, field=name)
    values: list[Any] = table.column(name).to_pylist()
    return values


def _by_subject(
    current: pa.Table, current_src: str, path: Path, column: str, option: str
) -> list[Any]:
    """``column`` of the file at ``path`` for each current row, joined on ``subject_id``."""
    table = read_table(path)
    ids = _column(table, "subject_id", str(path), option)
    values = _column(table, column, str(path), option)
    lookup = dict(zip(ids, values, strict=True))
    return [lookup.get(s) for s in _column(current, "subject_id", current_src, option)]


def _outcomes(values: Sequence[Any], source: str, column: str) -> list[float | None]:
    out: list[float | None] = []
    for i, v in enumerate(values):
        if v is None or v in (0, 1):
            out.append(None if v is None else float(v))
            continue
        msg = (
            f"{source}: the outcome {column!r} must be 0, 1 (1 = bad) or empty (not known yet); "
            f"row {i + 1} holds {v!r}."
        )
        raise SchemaError(msg, file=source, field=column, line=i + 1, value=v)
    return out


def monitor_files(
    model: str | Path,
    current: str | Path,
    out: str | Path,
    *,
    baseline: str | Path | None = None,
    workspace: str | Path | None = None,
    purpose: str = "credit_pricing",
    run_id: str | None = None,
    groups: str | Path | None = None,
    group_column: str = "group",
    outcomes: str | Path | None = None,
    target: str = "target",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Monitor the features file ``current`` against ``baseline``; keep the run in ``out``.

    ``baseline`` defaults to the development sample: the features file of ``workspace``
    (``features.parquet``) when it has one. Groups and outcomes come from the current file's
    own ``group_column`` / ``target`` columns, or from files of ``subject_id`` and that column,
    joined on ``subject_id`` (a subject absent from the file has no group, no outcome yet).
    Returns the run (also written to ``out/monitor.json`` and ``out/runs/<run_id>.json``).
    """
    art: ScorecardArtifact = load_artifact(model)
    stamp = now or dt.datetime.now(dt.UTC)
    rid = check_run_id(run_id or stamp.strftime("%Y%m%dT%H%M%SZ"))
    if baseline is None:
        dev = Workspace(workspace).features_path if workspace is not None else None
        if dev is None or not dev.is_file():
            msg = (
                "No baseline: give --baseline FEATURES, or run in a workspace that holds the "
                f"development sample ({dev or 'features.parquet'})."
            )
            raise SchemaError(msg, field="baseline")
        baseline = dev
    cur_src, base_src = str(current), str(baseline)
    cur = read_table(current)
    group: list[Any] | None = None
    if groups is not None:
        group = _by_subject(cur, cur_src, Path(groups), group_column, "--group-column")
    y: list[float | None] | None = None
    if outcomes is not None:
        raw = _by_subject(cur, cur_src, Path(outcomes), target, "--target")
        y = _outcomes(raw, str(outcomes), target)
    elif target in cur.column_names:
        y = _outcomes(cur.column(target).to_pylist(), cur_src, target)
    if group is None and groups is None and group_column in cur.column_names:
        group = cur.column(group_column).to_pylist()
    policy = policy_for(purpose, art.model_version, scaling=art.scaling)
    run = monitor_run(
        art, read_table(baseline), cur, policy=policy, run_id=rid, group=group, outcomes=y,
        sources=(base_src, cur_src), created_at=stamp,
    )  # fmt: skip
    record_run(out, run)
    return run
