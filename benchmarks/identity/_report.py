"""``results.md`` from the benchmark's json files and ``results.template.md``.

Every ``results-<subjects>.json`` (one synthetic run per size), every
``results-<subjects>-<label>.json`` (runs labelled for a side-by-side comparison) and
``febrl.json`` fill the template's ``{{...}}`` fields; the template keeps the explanatory text. A
run rewrites its own json file and then this whole report, so the file always shows every
result kept beside it, and nothing written by hand.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

__all__ = ["load_results", "render", "write_results"]

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "results.template.md"
REPORT = HERE / "results.md"
#: The sizes issue 12 asks for.
TARGET_SIZES = (100_000, 1_000_000)
PHASES = ("splink", "ingest", "ledger", "cluster", "reviews")
_NAME = re.compile(r"^results-(\d+)(?:-([A-Za-z0-9_.]+))?\.json$")
_FIELD = re.compile(r"\{\{(\w+)\}\}")
_DASH = "–"


Run = dict[str, Any]


def load_results(folder: Path = HERE) -> tuple[dict[int, Run], dict[int, list[Run]]]:
    """``(plain runs by size, labelled runs by size)`` from the json files in ``folder``."""
    plain: dict[int, dict[str, Any]] = {}
    labelled: dict[int, list[dict[str, Any]]] = {}
    for path in sorted(folder.glob("results-*.json")):
        match = _NAME.match(path.name)
        if match is None:
            continue
        out = json.loads(path.read_text())
        size, label = int(match.group(1)), match.group(2)
        if label is None:
            plain[size] = out
        else:
            labelled.setdefault(size, []).append({**out, "label": label})
    for runs in labelled.values():
        runs.sort(key=lambda r: (str(r.get("started", "")), r["label"]))
    return plain, labelled


def _int(value: Any) -> str:
    return _DASH if value is None else f"{int(value):,}".replace(",", " ")


def _num(value: Any, digits: int) -> str:
    return _DASH if value is None else f"{float(value):.{digits}f}"


def _load(out: dict[str, Any]) -> str:
    load = out.get("load_average")
    if not load:
        return str(out.get("load_note", "not recorded"))
    return " → ".join(f"{x:.1f}" for x in (load["before"][0], load["after"][0]))


def _memory(out: dict[str, Any], key: str) -> str:
    mib = out.get("memory_mib", {}).get(key)
    return _DASH if mib is None else f"{mib / 1024:.2f} GiB"


def _other(out: dict[str, Any]) -> float | None:
    phases = out.get("phase_seconds")
    if not phases or out.get("seconds") is None:
        return None
    return float(out["seconds"]) - sum(float(phases.get(p, 0.0)) for p in PHASES)


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _mark(value: Any, target: float) -> str:
    return "" if value is None else (" ✓" if float(value) >= target else " ✗")


def _synthetic_table(plain: dict[int, dict[str, Any]]) -> str:
    if not plain:
        return "No synthetic run kept yet."
    sizes = sorted(plain)
    runs = [plain[n] for n in sizes]

    def row(name: str, cells: list[str], target: str = "") -> list[str]:
        return [name, *cells, target]

    return _table(
        ["measure", *[f"{_int(n)} subjects" for n in sizes], "target"],
        [
            row("records", [_int(r["records"]) for r in runs]),
            row("pairwise precision",
                [f"{_num(r['precision'], 5)}{_mark(r['precision'], 0.999)}" for r in runs],
                "≥ 0.999"),
            row("pairwise recall",
                [f"{_num(r['recall'], 5)}{_mark(r['recall'], 0.99)}" for r in runs], "≥ 0.99"),
            row("mixed-file share (predicted subjects)", [_num(r["mixed_share"], 5) for r in runs]),
            row("split-file share (true subjects)", [_num(r["split_share"], 5) for r in runs]),
            row("mixed files with a national ID on both sides",
                [_int(r["mixed_with_national_id_both_sides"]) for r in runs], "0"),
            row("records held for review", [_int(r["rows_held"]) for r in runs]),
            row("review pairs opened", [_int(r["reviews_open"]) for r in runs]),
            row("`link_files` wall time", [f"{_num(r['seconds'], 1)} s" for r in runs]),
            row("throughput (records/s)",
                [f"{_int(r['records_per_second'])}{_mark(r['records_per_second'], 200_000)}"
                 for r in runs], "≥ 200 000"),
            row("throughput without the record store's ingest",
                [_int(r.get("records_per_second_without_ingest")) for r in runs]),
            row("load average (1 min, before → after)", [_load(r) for r in runs]),
            row("peak memory after linkage", [_memory(r, "after_link") for r in runs]),
            row("peak memory, whole run", [_memory(r, "end") for r in runs]),
            row("code", [f"`{r.get('commit', 'not recorded')}`" for r in runs]),
            row("date", [str(r.get("date", _DASH)) for r in runs]),
        ],
    )  # fmt: skip


def _phase_rows(runs: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for phase in PHASES:
        rows.append([phase, *[_num(r.get("phase_seconds", {}).get(phase), 1) for r in runs]])
    rows.append(["other", *[_num(_other(r), 1) for r in runs]])
    rows.append(["total (`link_files`)", *[_num(r.get("seconds"), 1) for r in runs]])
    return rows


def _phase_table(plain: dict[int, dict[str, Any]]) -> str:
    if not plain:
        return ""
    sizes = sorted(plain)
    return _table(["step (s)", *[f"{_int(n)} subjects" for n in sizes]],
                  _phase_rows([plain[n] for n in sizes]))  # fmt: skip


def _comparison_section(labelled: dict[int, list[dict[str, Any]]]) -> str:
    parts = []
    for size in sorted(labelled):
        runs = labelled[size]
        parts.append(f"### Side by side, {_int(size)} subjects\n")
        parts.append(
            "Runs labelled with `--label`, one right after the other on the same machine, in "
            "the order shown; `code` is the commit the linkage code came from.\n"
        )
        parts.append(
            _table(
                [
                    "run",
                    "code",
                    "records",
                    "seconds",
                    "records/s",
                    "precision",
                    "recall",
                    "split share",
                    "mixed share",
                    "held",
                    "load (1 min)",
                    "peak memory",
                ],
                [
                    [
                        r["label"],
                        f"`{r.get('commit', _DASH)}`",
                        _int(r["records"]),
                        _num(r["seconds"], 1),
                        _int(r["records_per_second"]),
                        _num(r["precision"], 5),
                        _num(r["recall"], 5),
                        _num(r["split_share"], 4),
                        _num(r["mixed_share"], 5),
                        _int(r["rows_held"]),
                        _load(r),
                        _memory(r, "after_link"),
                    ]
                    for r in runs
                ],
            )
        )
        parts.append("\nTime by step (s):\n")
        parts.append(_table(["step", *[r["label"] for r in runs]], _phase_rows(runs)))
        parts.append("")
    return "\n".join(parts).rstrip()


def _febrl_table(folder: Path) -> str:
    path = folder / "febrl.json"
    if not path.is_file():
        return "Not run yet (`python -m benchmarks.identity --febrl`)."
    names = {"febrl3": "FEBRL 3", "febrl4": "FEBRL 4 (4a + 4b)"}
    return _table(
        ["data set", "records", "ID column", "conflict rule", "held", "precision", "recall",
         "split share", "mixed share", "seconds"],
        [
            [names.get(r["dataset"], r["dataset"]), _int(r["records"]),
             "with" if r["with_id"] else "without", "on" if r["conflict_rule"] else "off",
             _int(r["held"]), _num(r["precision"], 5), _num(r["recall"], 5),
             _num(r["split_share"], 4), _num(r["mixed_share"], 5), _num(r.get("seconds"), 1)]
            for r in json.loads(path.read_text())
        ],
    )  # fmt: skip


def _missing_sizes(plain: dict[int, dict[str, Any]]) -> str:
    missing = [n for n in TARGET_SIZES if n not in plain]
    if not missing:
        return "Every size issue 12 asks for has been measured."
    largest = max(plain) if plain else None
    return (
        " and ".join(_int(n) for n in missing)
        + " subjects: not measured yet"
        + (f" (the largest size measured is {_int(largest)})." if largest else ".")
    )


def render(folder: Path = HERE, template: Path = TEMPLATE) -> str:
    """The report's text from the json files in ``folder``."""
    plain, labelled = load_results(folder)
    fields = {
        "generated_note": "Generated by benchmarks/identity/_report.py from the json files "
        "beside it and results.template.md; edit those, not this file.",
        "synthetic_table": _synthetic_table(plain),
        "phase_table": _phase_table(plain),
        "comparison_section": _comparison_section(labelled),
        "febrl_table": _febrl_table(folder),
        "missing_sizes": _missing_sizes(plain),
    }
    text = template.read_text()
    unknown = sorted(set(_FIELD.findall(text)) - set(fields))
    if unknown:
        msg = f"{template}: unknown fields {unknown}; known: {sorted(fields)}."
        raise ValueError(msg)
    return _FIELD.sub(lambda m: fields[m.group(1)], text)


def write_results(folder: Path = HERE) -> Path:
    """Rewrite ``results.md`` in ``folder`` from its json files."""
    path = folder / REPORT.name
    path.write_text(render(folder))
    return path
