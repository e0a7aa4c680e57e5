"""The search for a less discriminatory alternative on the real data sets (issue 14, step 4).

For each data set with a protected attribute held apart (Taiwan: ``SEX``; German: the sex in
attribute 9, "personal status and sex"), :func:`trustscore.model.search_less_discriminatory`
fits the family of alternatives to the default card on one seeded 70/30 split and records
the adverse impact ratio at the median score of the default card and of the least
discriminatory alternative within 0.005 AUC, with their held-out AUCs and the frontier.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import pandas as pd

from benchmarks.accuracy._datasets import Problem

__all__ = ["SEARCH_ATTRIBUTES", "fairness_markdown", "search"]

SEED = 42
#: The protected attribute each data set's search is for, and how it is read.
SEARCH_ATTRIBUTES = {
    "taiwan": "SEX (1 male, 2 female), held out of the characteristics",
    "german": "sex from attribute 9, personal status and sex (A92 and A95 female, the others "
    "male), held out with the attribute itself",
}


def _group(prob: Problem) -> pd.Series | None:
    if prob.protected is None:
        return None
    if prob.name == "taiwan":
        return prob.protected["SEX"].rename("SEX")
    if prob.name == "german":
        female = prob.protected["personal_status_sex"].isin(["A92", "A95"])
        return female.map({True: "female", False: "male"}).rename("sex")
    return None


def search(prob: Problem) -> dict[str, Any] | None:
    """The search on ``prob`` (None where it has no protected attribute to search for)."""
    from trustscore.model import search_less_discriminatory

    group = _group(prob)
    if group is None:
        return None
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = search_less_discriminatory(
            prob.X,
            prob.y,
            group,
            base_params={"categorical_features": prob.categorical},
            seed=SEED,
        )
    doc = r.to_dict()
    default = r.alternative("default")
    chosen = r.alternative(r.chosen) if r.chosen else None
    keep = ("name", "family", "description", "auc", "ks", "air_median", "air_cutoffs", "smd",
            "auc_loss", "on_frontier")  # fmt: skip
    return {
        "attribute": SEARCH_ATTRIBUTES[prob.name],
        "target_group": r.target_group,
        "protocol": "one stratified 70/30 split, seed 42; every card fitted on the 70 and "
        "measured on the 30",
        "default": {k: default[k] for k in keep if k in default},
        "chosen": None if chosen is None else {k: chosen[k] for k in keep if k in chosen},
        "why": r.why,
        "frontier": [
            {k: r.alternative(n)[k] for k in ("name", "auc", "air_median")} for n in r.frontier
        ],
        "n_alternatives": len(doc["alternatives"]),
        "proxies": doc["proxies"],
        "search_s": time.perf_counter() - t0,
    }


def fairness_markdown(datasets: dict[str, Any]) -> list[str]:
    """The results.md section: one table row per data set, then each frontier."""
    found = {k: v["fairness_search"] for k, v in datasets.items() if v.get("fairness_search")}
    if not found:
        return []
    lines = [
        "## Less discriminatory alternative (issue 14)",
        "",
        "`trustscore.model.search_less_discriminatory` with the default card's parameters: the "
        "default card and its family of alternatives (without each of the three strongest "
        "proxies of the protected attribute, one and two at a time; coarser bins; monotone "
        "trends; the strongest proxies' points shrunk; caps on a characteristic's share of the "
        "score range), all measured on the same held-out 30 % (seed 42). AIR: the adverse "
        "impact ratio of the group searched for when each card approves the rows at or above "
        "its own median score.",
        "",
        "| data set | group searched for | default AUC | default AIR at median | least "
        "discriminatory within 0.005 AUC | its AUC | its AIR at median | cards | search (s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, f in found.items():
        d, c = f["default"], f["chosen"]
        chosen = f"`{c['name']}`: {c['description']}" if c else "none found in the family searched"
        lines.append(
            f"| {name} | {f['target_group']} of {f['attribute'].split(' (')[0].split(' from')[0]}"
            f" | {d['auc']:.4f} | {d['air_median']:.4f} | {chosen} | "
            f"{(c or d)['auc']:.4f} | {(c or d)['air_median']:.4f} | {f['n_alternatives']} | "
            f"{f['search_s']:.0f} |"
        )
    for name, f in found.items():
        lines += [
            "",
            f"{name}: {f['attribute']}. {f['why']} Frontier (AUC, AIR at median): "
            + "; ".join(
                f"`{p['name']}` {p['auc']:.4f}, {p['air_median']:.4f}" for p in f["frontier"]
            )
            + ". Strongest proxies: "
            + ", ".join(f"{p['name']} (AUC {p['auc']:.3f})" for p in f["proxies"])
            + ".",
        ]
    lines.append("")
    return lines
