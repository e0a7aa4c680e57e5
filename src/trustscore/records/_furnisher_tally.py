"""Counting one batch's rows per furnisher, as ingest decides their fate.

Every row a furnisher sends is counted once per furnisher::

    received == new + versions + unchanged + quarantined + held

(``deleted`` counts the deletions among the versions again). A row whose furnisher cannot be read
(a malformed line, an empty ``furnisher`` field) counts under :data:`NO_FURNISHER`. The counts go
into the batch manifest, so they are written with the batch, all or nothing, and read back
without scanning the store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["COUNT_FIELDS", "NO_FURNISHER", "FurnisherTally", "furnisher_values", "merge_counts"]

#: The furnisher that rows without a readable furnisher count under.
NO_FURNISHER: Final = "(none)"

#: The whole-number counts of one furnisher in a batch, in the order they are shown.
COUNT_FIELDS: Final = ("received", "new", "versions", "deleted", "unchanged", "held")


def furnisher_values(column: pa.Array | pa.ChunkedArray | None, n: int) -> pa.Array:
    """The furnisher of each row as text; empty or missing values are :data:`NO_FURNISHER`.

    Examples
    --------
    >>> furnisher_values(pa.array([" bank", "", None]), 3).to_pylist()
    ['bank', '(none)', '(none)']
    """
    if column is None:
        return pa.array([NO_FURNISHER] * n, pa.string())
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    text = pc.utf8_trim_whitespace(pc.cast(column, pa.string()))
    missing = pc.fill_null(pc.equal(text, ""), True)
    return pc.if_else(missing, pa.scalar(NO_FURNISHER, pa.string()), text)


def _value_counts(values: pa.Array) -> Counter[str]:
    counts = pc.value_counts(values)
    return Counter(
        dict(
            zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True)
        )
    )


@dataclass
class FurnisherTally:
    """Counts per furnisher for one batch (see the module docstring).

    Examples
    --------
    >>> t = FurnisherTally()
    >>> t.add("received", pa.array(["bank", "bank", "power"]))
    >>> t.add("new", ["bank"])
    >>> t.add_quarantined(["bank", "power"], ["amount is not a finite number"] * 2)
    >>> t.check()
    []
    >>> t.as_json()["power"]
    {'received': 1, 'new': 0, 'versions': 0, 'deleted': 0, 'unchanged': 0, 'held': 0, \
'quarantined': {'amount is not a finite number': 1}}
    """

    counts: dict[str, Counter[str]] = field(
        default_factory=lambda: {name: Counter() for name in COUNT_FIELDS}
    )
    quarantined: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, what: str, furnishers: pa.Array | Iterable[str]) -> None:
        """Count one row under ``what`` (a :data:`COUNT_FIELDS` name) for each furnisher given."""
        if isinstance(furnishers, pa.Array):
            self.counts[what].update(_value_counts(furnishers))
        else:
            self.counts[what].update(furnishers)

    def add_quarantined(
        self, furnishers: pa.Array | Iterable[str], reasons: pa.Array | Iterable[str]
    ) -> None:
        """Count quarantined rows by furnisher and reason (as the manifest tallies it)."""
        table = pa.table(
            {
                "f": furnishers if isinstance(furnishers, pa.Array) else pa.array(list(furnishers)),
                "r": reasons if isinstance(reasons, pa.Array) else pa.array(list(reasons)),
            }
        )
        grouped = table.group_by(["f", "r"]).aggregate([("f", "count")]).to_pylist()
        for g in grouped:
            self.quarantined.setdefault(g["f"], Counter())[g["r"]] += g["f_count"]

    def n_quarantined(self, furnisher: str) -> int:
        return sum(self.quarantined.get(furnisher, Counter()).values())

    def furnishers(self) -> list[str]:
        return sorted(set(self.counts["received"]) | set(self.quarantined))

    def hold(self, furnisher: str) -> int:
        """Move a furnisher's new records and versions to held; returns the rows held."""
        n = self.counts["new"][furnisher] + self.counts["versions"][furnisher]
        self.counts["held"][furnisher] += n
        for name in ("new", "versions", "deleted"):
            self.counts[name][furnisher] = 0
        return n

    def check(self) -> list[str]:
        """The furnishers whose counts do not reconcile (none, unless ingest has a bug)."""
        parts = ("new", "versions", "unchanged", "held")
        return [
            f
            for f in self.furnishers()
            if self.counts["received"][f]
            != sum(self.counts[p][f] for p in parts) + self.n_quarantined(f)
        ]

    def as_json(self) -> dict[str, dict[str, Any]]:
        """Plain JSON for the manifest: furnisher -> counts and quarantined-by-reason."""
        out: dict[str, dict[str, Any]] = {}
        for f in self.furnishers():
            entry: dict[str, Any] = {name: int(self.counts[name][f]) for name in COUNT_FIELDS}
            reasons = self.quarantined.get(f, Counter())
            entry["quarantined"] = dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
            out[f] = entry
        return out


def merge_counts(into: dict[str, dict[str, Any]], furnisher: str, entry: Mapping[str, Any]) -> None:
    """Add one manifest entry's counts to a running total per furnisher."""
    total = into.setdefault(furnisher, {**dict.fromkeys(COUNT_FIELDS, 0), "quarantined": Counter()})
    for name in COUNT_FIELDS:
        total[name] += int(entry.get(name, 0))
    total["quarantined"].update(entry.get("quarantined", {}))
