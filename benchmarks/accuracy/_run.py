"""Fit four models side by side on each problem; AUC, fit time, results.md and results.json."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from benchmarks.accuracy._datasets import Problem, german, synthetic, taiwan
from benchmarks.accuracy._fairness import fairness_markdown
from benchmarks.accuracy._fairness import search as fairness_search

__all__ = ["main"]

SEED = 42
HERE = Path(__file__).resolve().parent
MODELS = (
    "trustscore",
    "trustscore_additive",
    "trustscore_directions",
    "optbinning",
    "lightgbm",
    "logistic",
)
#: the most the directions row may lose against the defaults, in AUC, on each problem
DIRECTIONS_MAX_LOSS = 0.002
FloatArray = npt.NDArray[np.float64]
Fitter = Callable[
    [Problem, npt.NDArray[np.int64], npt.NDArray[np.int64]],
    tuple[FloatArray, float, dict[str, Any]],
]


def _fit_trustscore(
    prob: Problem,
    tr: npt.NDArray[np.int64],
    te: npt.NDArray[np.int64],
    interactions: int | str | None = None,
    *,
    directions: bool = False,
) -> tuple[FloatArray, float, dict[str, Any]]:
    from trustscore.model import Scorecard

    Xtr, ytr = prob.X.iloc[tr], prob.y[tr]
    prot = None if prob.protected is None else prob.protected.iloc[tr].reset_index(drop=True)
    t0 = time.perf_counter()
    extra: dict[str, Any] = {} if interactions is None else {"interactions": interactions}
    if directions:
        extra["directions"] = prob.directions
        extra["special_codes"] = prob.special_codes or None
    sc = Scorecard(categorical_features=prob.categorical, random_state=SEED, **extra)
    sc.fit(Xtr.reset_index(drop=True), ytr, protected=prot)
    fit_s = time.perf_counter() - t0
    p = sc.predict_proba(prob.X.iloc[te])[:, 1]
    art = sc.artifact_
    info: dict[str, Any] = {
        "n_characteristics": len(art.characteristics),
        "n_bins": int(sum(len(c.bins) for c in art.characteristics)),
        "score_range": list(art.score_range),
        "distinct_scores_on_test": int(np.unique(sc.score_points(prob.X.iloc[te])).size),
        "method": sc.method_,
    }
    if directions:
        info["dropped"] = {
            r["name"]: r["note"]
            for r in art.model_card["iv_table"]
            if r["name"] in prob.directions and not r["selected"]
        }
    if "interactions" in art.model_card:
        info["interactions"] = [
            {"inputs": list(q.inputs), "cells": [c.points for c in q.cells]}
            for q in art.interactions
        ]
        info["interactions_how"] = art.model_card["interactions"]["how"]
    fair = art.model_card.get("fairness")
    if fair is not None:
        info["fairness"] = {
            attr: {
                "groups": rep["groups"],
                "approval_rate_at_600": rep["cutoffs"][1]["approval_rate"]
                if len(rep["cutoffs"]) > 1
                else rep["cutoffs"][0]["approval_rate"],
                "flagged_at_cutoffs": {str(c["cutoff"]): c["flagged"] for c in rep["cutoffs"]},
            }
            for attr, rep in fair["attributes"].items()
        }
    return p, fit_s, info


def _fit_optbinning(
    prob: Problem, tr: npt.NDArray[np.int64], te: npt.NDArray[np.int64]
) -> tuple[FloatArray, float, dict[str, Any]]:
    from optbinning import BinningProcess
    from optbinning import Scorecard as OBScorecard

    Xtr = prob.X.iloc[tr].reset_index(drop=True)
    t0 = time.perf_counter()
    bp = BinningProcess(list(prob.X.columns), categorical_variables=prob.categorical or None)
    sc = OBScorecard(binning_process=bp, estimator=LogisticRegression())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sc.fit(Xtr, prob.y[tr])
    fit_s = time.perf_counter() - t0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = sc.predict_proba(prob.X.iloc[te].reset_index(drop=True))[:, 1]
    return np.asarray(p, dtype=np.float64), fit_s, {}


def _lgb_frame(prob: Problem, rows: npt.NDArray[np.int64]) -> pd.DataFrame:
    X = prob.X.iloc[rows].copy()
    for c in prob.categorical:
        X[c] = pd.Categorical(X[c], categories=sorted(prob.X[c].dropna().unique()))
    return X


def _fit_lightgbm(
    prob: Problem, tr: npt.NDArray[np.int64], te: npt.NDArray[np.int64]
) -> tuple[FloatArray, float, dict[str, Any]]:
    from lightgbm import LGBMClassifier

    Xtr, Xte = _lgb_frame(prob, tr), _lgb_frame(prob, te)
    t0 = time.perf_counter()
    m = LGBMClassifier(verbose=-1).fit(Xtr, prob.y[tr])
    fit_s = time.perf_counter() - t0
    return m.predict_proba(Xte)[:, 1], fit_s, {}


def _fit_logistic(
    prob: Problem, tr: npt.NDArray[np.int64], te: npt.NDArray[np.int64]
) -> tuple[FloatArray, float, dict[str, Any]]:
    num = [c for c in prob.X.columns if c not in prob.categorical]
    steps: list[tuple[str, Any, list[str]]] = []
    has_nan = bool(prob.X[num].isna().to_numpy().any())
    numeric: Any = (
        make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler())
        if has_nan
        else StandardScaler()
    )
    steps.append(("num", numeric, num))
    if prob.categorical:
        steps.append(("cat", OneHotEncoder(handle_unknown="ignore"), prob.categorical))
    model = Pipeline(
        [("prep", ColumnTransformer(steps)), ("lr", LogisticRegression(max_iter=1000))]
    )
    t0 = time.perf_counter()
    model.fit(prob.X.iloc[tr], prob.y[tr])
    fit_s = time.perf_counter() - t0
    return model.predict_proba(prob.X.iloc[te])[:, 1], fit_s, {}


def _fit_trustscore_additive(
    prob: Problem, tr: npt.NDArray[np.int64], te: npt.NDArray[np.int64]
) -> tuple[FloatArray, float, dict[str, Any]]:
    return _fit_trustscore(prob, tr, te, interactions=0)


def _fit_trustscore_directions(
    prob: Problem, tr: npt.NDArray[np.int64], te: npt.NDArray[np.int64]
) -> tuple[FloatArray, float, dict[str, Any]]:
    return _fit_trustscore(prob, tr, te, directions=True)


FITTERS: dict[str, Fitter] = {
    "trustscore": _fit_trustscore,
    "trustscore_additive": _fit_trustscore_additive,
    "trustscore_directions": _fit_trustscore_directions,
    "optbinning": _fit_optbinning,
    "lightgbm": _fit_lightgbm,
    "logistic": _fit_logistic,
}


def _splits(
    prob: Problem, holdout: bool
) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    idx = np.arange(len(prob.y))
    if holdout:
        tr, te = train_test_split(idx, test_size=0.2, stratify=prob.y, random_state=SEED)
        return [(np.sort(tr), np.sort(te))]
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    return [(tr, te) for tr, te in cv.split(idx, prob.y)]


def evaluate(prob: Problem, models: tuple[str, ...], holdout: bool) -> dict[str, Any]:
    """AUC per fold and fit seconds of each model on the same splits."""
    splits = _splits(prob, holdout)
    out: dict[str, Any] = {
        "dataset": prob.name,
        "source": prob.source,
        "notes": prob.notes,
        "n": len(prob.y),
        "n_features": prob.X.shape[1],
        "event_rate": float(prob.y.mean()),
        "protocol": "holdout 80/20 stratified, seed 42"
        if holdout
        else "5-fold stratified CV, shuffle, seed 42",
        "models": {},
    }
    if prob.oracle_p is not None:
        aucs = [roc_auc_score(prob.y[te], prob.oracle_p[te]) for _, te in splits]
        out["oracle_auc"] = float(np.mean(aucs))
    for name in models:
        aucs, fits, infos = [], [], []
        for tr, te in splits:
            p, fit_s, info = FITTERS[name](prob, tr, te)
            aucs.append(float(roc_auc_score(prob.y[te], p)))
            fits.append(fit_s)
            infos.append(info)
        out["models"][name] = {
            "auc": float(np.mean(aucs)),
            "auc_sd": float(np.std(aucs)),
            "auc_folds": aucs,
            "fit_s": float(np.mean(fits)),
            "fit_s_folds": fits,
            "info": infos[0],
        }
        if name in ("trustscore", "trustscore_directions"):
            out["models"][name]["n_pairs_folds"] = [len(i.get("interactions", [])) for i in infos]
        if name == "trustscore_directions":
            out["directions"] = dict(prob.directions)
            out["direction_notes"] = prob.direction_notes
        print(
            f"  {prob.name:10s} {name:11s} AUC {np.mean(aucs):.4f}  fit {np.mean(fits):7.2f} s",
            flush=True,
        )
    return out


def acceptance(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's acceptance ratios, each with the numbers it was judged on."""
    checks: list[dict[str, Any]] = []
    t = results.get("taiwan")
    for model, label in (
        ("trustscore", "trustscore (defaults, interactions='auto')"),
        ("trustscore_additive", "trustscore additive (interactions=0)"),
    ):
        if t and {model, "lightgbm"} <= set(t["models"]):
            a, b = t["models"][model]["auc"], t["models"]["lightgbm"]["auc"]
            checks.append(
                {
                    "check": f"Taiwan: {label} CV AUC >= LightGBM's",
                    "trustscore": a,
                    "reference": b,
                    "ratio": a / b,
                    "holds": a >= b,
                }
            )
    for name, r in results.items():
        if {"trustscore", "trustscore_directions"} <= set(r["models"]):
            a, b = r["models"]["trustscore_directions"]["auc"], r["models"]["trustscore"]["auc"]
            checks.append(
                {
                    "check": f"{name.capitalize()}: directions declared, AUC >= the defaults' "
                    f"- {DIRECTIONS_MAX_LOSS}",
                    "trustscore": a,
                    "reference": b,
                    "ratio": a / b,
                    "holds": a >= b - DIRECTIONS_MAX_LOSS,
                }
            )
    g = results.get("german")
    if g and {"trustscore", "logistic"} <= set(g["models"]):
        a, b = g["models"]["trustscore"]["auc"], g["models"]["logistic"]["auc"]
        checks.append(
            {
                "check": "German: trustscore CV AUC >= logistic regression's",
                "trustscore": a,
                "reference": b,
                "ratio": a / b,
                "holds": a >= b,
            }
        )
    s = results.get("synthetic")
    if s and "trustscore" in s["models"]:
        a, o = s["models"]["trustscore"]["auc"], s["oracle_auc"]
        checks.append(
            {
                "check": f"Synthetic ({s['n']:,} rows): AUC >= 0.998 x oracle",
                "trustscore": a,
                "reference": o,
                "ratio": a / o,
                "holds": a >= 0.998 * o,
            }
        )
        if "optbinning" in s["models"]:
            f, fo = s["models"]["trustscore"]["fit_s"], s["models"]["optbinning"]["fit_s"]
            checks.append(
                {
                    "check": f"Synthetic ({s['n']:,} rows): fit time <= 0.5 x optbinning",
                    "trustscore": f,
                    "reference": fo,
                    "ratio": f / fo,
                    "holds": f <= 0.5 * fo,
                }
            )
    return checks


def _machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for pkg in (
        "trustscore",
        "numpy",
        "pandas",
        "scikit-learn",
        "scipy",
        "optbinning",
        "lightgbm",
        "numba",
    ):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": sys.version.split()[0],
        "versions": versions,
    }


def _markdown(doc: dict[str, Any]) -> str:
    m = doc["machine"]
    lines = [
        "# Accuracy benchmark",
        "",
        "`python -m benchmarks.accuracy` (from the repository root, with `.venv/bin/python`) "
        "fits these models side by side in one run on the same columns and the same splits:",
        "",
        "- **trustscore**: `trustscore.model.Scorecard` with its defaults (integer points, "
        "protected attributes passed apart for the fairness section); its default "
        '`interactions="auto"` lets the cross-validation of `method="auto"` (up to 200 000 '
        "rows) also try up to 8 pairwise interactions, taken only if they win by more than "
        "the folds' standard error;",
        "- **trustscore_additive**: the same with `interactions=0`, a purely additive scorecard;",
        "- **trustscore_directions**: the defaults plus `directions` for every column whose "
        "meaning says which way is better (listed per data set; pairs included), and special "
        "codes for the values of a declared column that are codes, not amounts;",
        "- **optbinning**: `optbinning.Scorecard(BinningProcess(...), LogisticRegression())`, "
        "library defaults;",
        "- **lightgbm**: `LGBMClassifier(verbose=-1)`, defaults, categoricals as pandas "
        "categories;",
        "- **logistic**: `StandardScaler` + `LogisticRegression(max_iter=1000)` (categoricals "
        "one-hot; median imputation with missing indicators where a column has missing values).",
        "",
        "AUC is measured on held-out rows; fit time is the wall-clock time of `fit` "
        "(trustscore's includes its model card: bootstrap intervals and the fairness section).",
        "",
        f"Machine: {m['cpu']}, {m['cpus_usable']} usable of {m['cpu_count']} CPUs, "
        f"{m['platform']}, Python {m['python']}. Run at {m['when']}.",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + ".",
        "",
    ]
    for ds in doc["datasets"].values():
        if "skipped" in ds:
            lines += [f"## {ds['dataset']}", "", ds["skipped"], ""]
            continue
        lines += [
            f"## {ds['dataset']} ({ds['n']:,} rows, {ds['n_features']} characteristics, "
            f"event rate {ds['event_rate']:.3f})",
            "",
            f"Protocol: {ds['protocol']}. " + " ".join(ds["notes"]),
            "",
        ]
        if "oracle_auc" in ds:
            lines += [
                f"Oracle AUC (the true probability) on the same rows: **{ds['oracle_auc']:.4f}**.",
                "",
            ]
        lines += ["| model | AUC | ± sd over folds | fit time (s) |", "|---|---|---|---|"]
        for name, r in ds["models"].items():
            sd = f"{r['auc_sd']:.4f}" if len(r["auc_folds"]) > 1 else "—"
            lines.append(f"| {name} | {r['auc']:.4f} | {sd} | {r['fit_s']:.2f} |")
        if "directions" in ds:
            lines += [
                "",
                "trustscore_directions declares: " + ds["direction_notes"] + ". Pairs per fold "
                f"{ds['models']['trustscore_directions']['n_pairs_folds']}.",
            ]
            dropped = ds["models"]["trustscore_directions"]["info"].get("dropped", {})
            for name, note in dropped.items():
                lines.append(f"- {name} (first split): {note}")
        pairs = ds["models"].get("trustscore")
        if pairs and "n_pairs_folds" in pairs:
            lines += [
                "",
                "trustscore: interactions per fold "
                f"{pairs['n_pairs_folds']}; first split: "
                f"{pairs['info'].get('interactions_how', '')}.",
            ]
            for q in pairs["info"].get("interactions", []):
                lines.append(f"- {' x '.join(q['inputs'])}: cell points {q['cells']}")
        info = ds["models"].get("trustscore", {}).get("info", {})
        if info:
            lines += [
                "",
                f"trustscore (first split): {info['n_characteristics']} characteristics,"
                f" {info['n_bins']} bins, score range {info['score_range']}, "
                f"{info['distinct_scores_on_test']} distinct scores on the test rows.",
            ]
            if "fairness" in info:
                lines += ["", "Fairness section of the model card (first split, training rows):"]
                for attr, f in info["fairness"].items():
                    flagged = {c: v for c, v in f["flagged_at_cutoffs"].items() if v}
                    lines.append(
                        f"- `{attr}`: groups {f['groups']}; below four-fifths at "
                        f"{flagged if flagged else 'no cut-off'}"
                    )
        lines.append("")
    lines += fairness_markdown(doc["datasets"])
    lines += [
        "## Acceptance",
        "",
        "| check | trustscore | reference | ratio | holds |",
        "|---|---|---|---|---|",
    ]
    for c in doc["acceptance"]:
        lines.append(
            f"| {c['check']} | {c['trustscore']:.4f} | {c['reference']:.4f} | "
            f"{c['ratio']:.4f} | {'yes' if c['holds'] else '**no**'} |"
        )
    lines += ["", f"Total run time: {doc['total_s']:.0f} s.", ""]
    return "\n".join(lines)


def _say_search(name: str, f: dict[str, Any]) -> None:
    c, d = f["chosen"] or f["default"], f["default"]
    print(
        f"  {name:10s} search: default AUC {d['auc']:.4f} AIR {d['air_median']:.4f}; chosen "
        f"{c['name']} AUC {c['auc']:.4f} AIR {c['air_median']:.4f} ({f['search_s']:.0f} s)",
        flush=True,
    )


def _fairness_only(out: Path, names: list[str]) -> int:
    """Add the searches to an earlier run's results.json and rewrite results.md from it."""
    path = out / "results.json"
    doc = json.loads(path.read_text())
    loaders = {"taiwan": taiwan, "german": german}
    for name in names:
        prob = loaders[name]() if name in loaders else None
        if prob is None or isinstance(prob, str) or name not in doc["datasets"]:
            print(f"  {name}: no search ({prob if isinstance(prob, str) else 'not searched'})")
            continue
        found = fairness_search(prob)
        if found is not None:
            found["run_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            found["run"] = "--fairness-only, after the models' run"
            doc["datasets"][name]["fairness_search"] = found
            _say_search(name, found)
    path.write_text(json.dumps(doc, indent=2) + "\n")
    (out / "results.md").write_text(_markdown(doc))
    print(f"wrote {out / 'results.md'} and results.json")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; write results.md and results.json next to this file (or --out)."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.accuracy", description=__doc__)
    ap.add_argument(
        "--datasets",
        default="taiwan,german,synthetic",
        help="comma-separated subset of taiwan, german, synthetic",
    )
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated subset")
    ap.add_argument("--synthetic-rows", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, default=HERE, help="folder for results.md/.json")
    ap.add_argument(
        "--fairness-only",
        action="store_true",
        help="run only the search for a less discriminatory alternative on --datasets and "
        "add it to the results.json in --out (the models' rows stay as they were)",
    )
    args = ap.parse_args(argv)
    if args.fairness_only:
        return _fairness_only(args.out, [d for d in args.datasets.split(",") if d])
    models = tuple(m for m in args.models.split(",") if m)
    unknown = set(models) - set(MODELS)
    if unknown:
        ap.error(f"unknown models {sorted(unknown)}; choose from {MODELS}")
    t0 = time.perf_counter()
    doc: dict[str, Any] = {
        "machine": _machine(),
        "datasets": {},
        "synthetic_rows": args.synthetic_rows,
    }
    for name in [d for d in args.datasets.split(",") if d]:
        print(f"{name}:", flush=True)
        if name == "synthetic":
            prob: Problem | str = synthetic(args.synthetic_rows, SEED)
        elif name == "taiwan":
            prob = taiwan()
        elif name == "german":
            prob = german()
        else:
            ap.error(f"unknown dataset {name!r}")
        if isinstance(prob, str):
            print(f"  {prob}")
            doc["datasets"][name] = {"dataset": name, "skipped": prob}
            continue
        doc["datasets"][name] = evaluate(prob, models, holdout=name == "synthetic")
        found = fairness_search(prob)
        if found is not None:
            doc["datasets"][name]["fairness_search"] = found
            _say_search(name, found)
    doc["acceptance"] = acceptance({k: v for k, v in doc["datasets"].items() if "models" in v})
    doc["total_s"] = time.perf_counter() - t0
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(doc, indent=2) + "\n")
    (args.out / "results.md").write_text(_markdown(doc))
    for c in doc["acceptance"]:
        print(
            f"{'PASS' if c['holds'] else 'FAIL'}  {c['check']}: {c['trustscore']:.4f} vs "
            f"{c['reference']:.4f} (ratio {c['ratio']:.4f})"
        )
    print(f"wrote {args.out / 'results.md'} and results.json in {doc['total_s']:.0f} s")
    return 0
