"""A later delivery: the synthetic furnishers update records they sent before.

Real furnishers re-send the same accounts: a payment reaches the bill after the bill was first
reported, a judgment is satisfied, an account's balance is revised or the account closes, and a
record sent in error is withdrawn. :func:`split_deliveries` turns the files of :func:`generate`
(which hold the truth at ``as_of``) into two deliveries:

- the files themselves become the *first* delivery, in which a share of the rows carry what the
  furnisher knew first: bills without their payment (``paid_date``, ``amount_paid`` empty),
  satisfied public records without ``satisfied_date``, recent account reports with another
  balance and, for accounts that closed, still open; plus a few bills billed twice by mistake
  (a copy under the record id with ``-DUP`` appended);
- ``updates/<kind>.parquet`` is the *later* delivery: those rows again with their true values
  (new versions of the records), and a deletion (``action = delete``) of each bill billed twice.

Once both deliveries are ingested, the latest versions are exactly the truth of
:func:`generate`, so the features (and the outcome model) are the same; a replay with a
knowledge cutoff between the deliveries sees the first delivery.

Examples
--------
>>> import datetime as dt, tempfile
>>> from pathlib import Path
>>> from trustscore.synth import generate
>>> with tempfile.TemporaryDirectory() as tmp:
...     summary = generate(tmp, n_subjects=300, seed=1)
...     before = pq.read_table(summary.paths["public_record"])
...     updates = split_deliveries(tmp, as_of=summary.as_of, share=0.1, seed=1)
...     after = pq.read_table(summary.paths["public_record"])
...     later = pq.read_table(updates.paths["public_record"])
>>> after.num_rows == before.num_rows
True
>>> later.column("satisfied_date").null_count, after.column("satisfied_date").null_count > 0
(0, True)
>>> updates.rows["obligation"] > 0, updates.n_deletions > 0
(True, True)
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from trustscore.records._schemas import DELETE

__all__ = ["UPDATE_KINDS", "UpdateSummary", "split_deliveries"]

#: The kinds whose furnishers send updates, in the order they are written.
UPDATE_KINDS: Final = ("obligation", "tradeline", "public_record")
#: Share of the updated bills that were first billed twice (and are deleted in the update).
_DUPLICATE_SHARE: Final = 0.01
_RECENT_DAYS: Final = 365


@dataclass(frozen=True)
class UpdateSummary:
    """What :func:`split_deliveries` wrote.

    ``rows`` are the rows of each update file (deletions included); ``n_deletions`` the bills
    billed twice in the first delivery and deleted in the update; ``paths`` the update files.
    """

    out_dir: Path
    rows: Mapping[str, int]
    n_deletions: int
    paths: Mapping[str, Path]

    @property
    def n_rows(self) -> int:
        return sum(self.rows.values())


def _candidates(kind: str, table: pa.Table, recent: dt.date) -> np.ndarray:
    """Rows whose first report can plausibly lack what the update brings."""
    if kind == "obligation":
        mask = pc.and_(pc.is_valid(table["paid_date"]), pc.greater(table["due_date"], recent))
    elif kind == "tradeline":
        mask = pc.greater(table["reported_date"], recent)
    else:
        mask = pc.is_valid(table["satisfied_date"])
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=np.bool_)


def _stale(kind: str, rows: pa.Table, rng: np.random.Generator) -> pa.Table:
    """What the furnisher first sent for rows whose truth is ``rows``."""
    n = rows.num_rows
    if kind == "obligation":
        rows = rows.set_column(
            rows.schema.get_field_index("paid_date"), "paid_date", pa.nulls(n, pa.date32())
        )
        return rows.set_column(
            rows.schema.get_field_index("amount_paid"), "amount_paid", pa.nulls(n, pa.float64())
        )
    if kind == "tradeline":
        balance = rows["balance"].to_numpy(zero_copy_only=False).astype(np.float64)
        # never equal to the truth, never negative: the update is always a real change
        first = np.round(np.nan_to_num(balance) * rng.uniform(0.85, 1.15, n) + 5.0, 2)
        rows = rows.set_column(
            rows.schema.get_field_index("balance"),
            "balance",
            pa.array(first, pa.float64(), mask=np.isnan(balance)),
        )
        closed = pc.fill_null(pc.equal(rows["status"], "closed"), False)
        rows = rows.set_column(
            rows.schema.get_field_index("status"),
            "status",
            pc.if_else(closed, pa.scalar("current"), rows["status"]),
        )
        return rows.set_column(
            rows.schema.get_field_index("closed_date"),
            "closed_date",
            pc.if_else(closed, pa.scalar(None, pa.date32()), rows["closed_date"]),
        )
    return rows.set_column(
        rows.schema.get_field_index("satisfied_date"), "satisfied_date", pa.nulls(n, pa.date32())
    )


def _with_action(rows: pa.Table, action: str | None) -> pa.Table:
    i = rows.schema.get_field_index("action")
    column = pa.array([action] * rows.num_rows, pa.string())
    return rows.set_column(i, rows.schema.field(i), column)


def split_deliveries(
    synth_dir: str | os.PathLike[str],
    *,
    as_of: dt.date,
    share: float = 0.1,
    seed: int = 0,
) -> UpdateSummary:
    """Make the record files of ``synth_dir`` a first delivery and write the later one.

    Parameters
    ----------
    synth_dir : path
        A folder written by :func:`~trustscore.synth.generate`; its ``obligation``,
        ``tradeline`` and ``public_record`` files are rewritten in place.
    as_of : datetime.date
        The population's as-of date: bills and account reports of the year before it can be
        updated.
    share : float, default 0.1
        Rows of each kind to update, as a share of that kind's rows (fewer where fewer rows can
        be updated, as for public records: only satisfied ones are).
    seed : int, default 0
        The same seed and files give the same deliveries.

    Returns
    -------
    UpdateSummary
        The update files (``<synth_dir>/updates/<kind>.parquet``) and their row counts.
    """
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        msg = f"The 'share' parameter of split_deliveries must be in (0, 1]. Got {share!r}."
        raise ValueError(msg)
    folder = Path(synth_dir)
    out = folder / "updates"
    out.mkdir(parents=True, exist_ok=True)
    recent = as_of - dt.timedelta(days=_RECENT_DAYS)
    rows: dict[str, int] = {}
    paths: dict[str, Path] = {}
    n_deletions = 0
    for k, kind in enumerate(UPDATE_KINDS):
        path = folder / f"{kind}.parquet"
        source = pq.ParquetFile(path)
        columns = {
            "obligation": ["paid_date", "due_date"],
            "tradeline": ["reported_date"],
            "public_record": ["satisfied_date"],
        }[kind]
        # row group by row group: a whole file's columns would grow with the population
        n_candidates = sum(
            int(_candidates(kind, source.read_row_group(g, columns=columns), recent).sum())
            for g in range(source.num_row_groups)
        )
        p = min(1.0, share * source.metadata.num_rows / n_candidates) if n_candidates else 0.0
        schema = source.schema_arrow
        first_tmp = path.with_name(path.name + ".partial")
        update_path = out / f"{kind}.parquet"
        update_tmp = update_path.with_name(update_path.name + ".partial")
        first = pq.ParquetWriter(first_tmp, schema)
        later = pq.ParquetWriter(update_tmp, schema)
        rows[kind] = 0
        try:
            for g in range(source.num_row_groups):
                rng = np.random.default_rng([seed, 11, k, g])
                table = source.read_row_group(g)
                picked = _candidates(kind, table, recent) & (rng.random(table.num_rows) < p)
                index = np.flatnonzero(picked)
                truth = table.take(pa.array(index))
                stale = _stale(kind, truth, rng).cast(table.schema)
                mask = np.zeros(table.num_rows, np.bool_)
                mask[index] = True
                # the first delivery: the stale rows where the true ones were, in file order
                order = np.argsort(np.concatenate([np.flatnonzero(~mask), index]), kind="stable")
                delivered = pa.concat_tables([table.filter(pa.array(~mask)), stale]).take(
                    pa.array(order)
                )
                parts = [_with_action(truth, None)]
                if kind == "obligation" and index.size:
                    twice = index[rng.random(index.size) < _DUPLICATE_SHARE]
                    copies = table.take(pa.array(twice))
                    ids = pc.binary_join_element_wise(copies["record_id"], "DUP", "-")
                    i = copies.schema.get_field_index("record_id")
                    copies = copies.set_column(i, "record_id", ids).cast(table.schema)
                    delivered = pa.concat_tables([delivered, copies])
                    parts.append(_with_action(copies, DELETE))
                    n_deletions += copies.num_rows
                first.write_table(delivered.cast(schema), row_group_size=delivered.num_rows)
                update = pa.concat_tables(parts).cast(schema)
                if update.num_rows:
                    later.write_table(update)
                rows[kind] += update.num_rows
        except BaseException:
            first.close()
            later.close()
            first_tmp.unlink(missing_ok=True)
            update_tmp.unlink(missing_ok=True)
            raise
        first.close()
        later.close()
        os.replace(first_tmp, path)
        os.replace(update_tmp, update_path)
        paths[kind] = update_path
    return UpdateSummary(out_dir=out, rows=rows, n_deletions=n_deletions, paths=paths)
