"""Running the feature expression over a record store, and writing the result.

The store layout is the one of docs/architecture.md::

    <store>/_layout.json                                     version and bucket count
    <store>/<kind>/bucket=<b>/<batch_id>-<part:05d>.parquet  rows of a kind + batch_id +
                                                             ingested_at (version 1:
                                                             <store>/<kind>/<batch_id>-<part>.parquet)
    <store>/_batches/<batch_id>.json                         manifest: the batch is committed
    <store>/_suppressions/*.parquet                          record_id, kind, suppressed_at, reason
    <store>/_consents/*.parquet                              consent events (features._consent)

Only parts of committed batches are read; a kind with no such part is an empty table. A read of
some subjects opens only the parts of their buckets (and of the buckets of subjects that records
were moved to or from, see :mod:`trustscore.records._relinks`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import warnings
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol

import ibis
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from trustscore import engines
from trustscore.exceptions import NotFoundError
from trustscore.features._consent import CONSENTS, consents_schema
from trustscore.features._expressions import (
    SUPPRESSIONS,
    empty_table,
    suppressions_schema,
    unconsented_bills,
)
from trustscore.features._kinds import check_subject_kind, kind_feature_table
from trustscore.records._buckets import Layout
from trustscore.records._relinks import relink_partners, relinked_ids
from trustscore.records._schemas import RECORD_KINDS, arrow_schema
from trustscore.records._store import RecordStore

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend

__all__ = [
    "bills_without_consent",
    "compute_features",
    "count_bills_without_consent",
    "load_tables",
    "subject_kinds",
    "write_features",
    "write_features_duckdb",
    "write_features_spark",
]

_PART: Final = re.compile(r"^(?P<batch>.+)-(?P<part>\d+)\.parquet$")


class _HasRoot(Protocol):
    @property
    def root(self) -> str | os.PathLike[str]: ...


StoreLike = str | os.PathLike[str] | _HasRoot


def _store_root(store: StoreLike) -> Path:
    # Not hasattr(store, "root") alone: a pathlib.Path has a ``root`` too ("/").
    root = Path(store) if isinstance(store, str | os.PathLike) else Path(store.root)
    if not root.is_dir():
        msg = (
            f"The record store {str(root)!r} does not exist or is not a folder; give the folder "
            "that holds <kind>/*.parquet and _batches/ (e.g. <workspace>/store)."
        )
        raise NotFoundError(msg, file=str(root))
    return root


def _committed_batches(root: Path) -> set[str]:
    folder = root / "_batches"
    if not folder.is_dir():
        return set()
    return {p.stem for p in folder.glob("*.json") if not p.name.startswith(".")}


def _committed_parts(
    root: Path, kind: str, committed: set[str], layout: Layout, buckets: set[int] | None
) -> tuple[list[Path], bool]:
    """Committed part files of a kind in the store's layout (of ``buckets`` only, unless
    None), and whether they are all the parquet files of the layout there."""
    folder = root / kind
    if not folder.is_dir():
        return [], True
    if buckets is None:
        every = sorted(folder.glob(layout.part_glob()))
    else:
        every = sorted(
            p for b in sorted(buckets) for p in (folder / f"bucket={b}").glob("*.parquet")
        )
    parts = []
    for p in every:
        m = _PART.match(p.name)
        if m is not None and m["batch"] in committed and not p.name.startswith((".", "_")):
            parts.append(p)
    return parts, buckets is None and len(parts) == len(every)


def _batch_of(part: Path) -> str:
    m = _PART.match(part.name)
    return m["batch"] if m is not None else part.stem


def _read(
    con: BaseBackend,
    engine: str,
    folder: Path,
    parts: list[Path],
    whole: bool,
    pattern: str = "*.parquet",
) -> ir.Table:
    if len(parts) == 1:
        return engines.read_parquet(con, parts[0])
    if whole:
        # every bucket's files in one read: Spark splits them into parallel tasks
        return engines.read_parquet(con, str(folder / pattern))
    if engine == "duckdb":
        return engines.read_parquet(con, parts)
    # Spark's reader (through Ibis) takes one path, and a union of one read per part costs a
    # Spark job per part: read the folder and keep the rows of the committed batches. This
    # assumes a part being written is not yet named *.parquet (the store writes under a
    # temporary name, then renames).
    table = engines.read_parquet(con, str(folder / pattern))
    return table.filter(table.batch_id.isin(sorted({_batch_of(p) for p in parts})))


def _typed(table: ir.Table, schema: ibis.Schema) -> ir.Table:
    return table.select(*(table[name].cast(dtype).name(name) for name, dtype in schema.items()))


def load_tables(
    con: BaseBackend,
    store: StoreLike,
    *,
    engine: str = "duckdb",
    subjects: Iterable[str] | None = None,
) -> dict[str, ir.Table]:
    """Ibis tables over the committed records of a store, by kind, plus the suppressions.

    Parameters
    ----------
    con : ibis backend
        From :func:`trustscore.engines.connect`.
    store : path or object with a ``root`` attribute
        The record store folder.
    engine : {"duckdb", "spark"}
        The engine ``con`` belongs to.
    subjects : iterable of str, optional
        Keep only these subjects' records (a single string is one subject id).

    Returns
    -------
    dict[str, ibis.Table]
        One table per record kind with the columns of ``arrow_schema(kind, stored=True)``, the
        suppressions under :data:`~trustscore.features.SUPPRESSIONS` and the consent events
        under :data:`~trustscore.features.CONSENTS`.

    Examples
    --------
    >>> import tempfile
    >>> from trustscore import engines
    >>> with tempfile.TemporaryDirectory() as store:
    ...     tables = load_tables(engines.connect(), store)
    ...     names = sorted(tables)
    >>> names[:4]
    ['_consents', '_suppressions', 'inquiry', 'obligation']
    >>> names[4:]
    ['public_record', 'subject', 'supplier_payment', 'tradeline']
    """
    root = _store_root(store)
    layout = RecordStore(root).layout()
    committed = _committed_batches(root)
    ids = (
        None if subjects is None else ([subjects] if isinstance(subjects, str) else list(subjects))
    )
    tables: dict[str, ir.Table] = {}
    for kind in RECORD_KINDS:
        # a record an identity change moved away has a newer version under another subject:
        # read every version of such records (their buckets too), so the latest one decides
        moved = relinked_ids(root, kind, ids) if ids is not None else []
        buckets = None
        if ids is not None:
            buckets = layout.buckets_of([*ids, *relink_partners(root, kind, ids)] if moved else ids)
        parts, whole = _committed_parts(root, kind, committed, layout, buckets)
        if not parts:
            tables[kind] = empty_table(kind)
            continue
        schema = ibis.Schema.from_pyarrow(arrow_schema(kind, stored=True))
        table = _typed(_read(con, engine, root / kind, parts, whole, layout.part_glob()), schema)
        if ids is not None:
            key = table[RECORD_KINDS[kind].key[0]]
            keep = table.subject_id.isin(ids)
            table = table.filter(keep | key.isin(moved) if moved else keep)
        tables[kind] = table
    for name, schema in ((SUPPRESSIONS, suppressions_schema()), (CONSENTS, consents_schema())):
        folder = root / name
        files = sorted(p for p in folder.glob("*.parquet") if not p.name.startswith((".", "_")))
        if files:
            table = _typed(_read(con, engine, folder, files, True), schema)
            if ids is not None and name == CONSENTS:
                table = table.filter(table.subject_id.isin(ids))
            tables[name] = table
        else:
            tables[name] = empty_table(name)
    return tables


def _without_nan(table: pa.Table) -> pa.Table:
    columns = []
    for column in table.columns:
        if pa.types.is_floating(column.type):
            column = pc.if_else(pc.is_nan(column), pa.scalar(None, column.type), column)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=table.schema)


def compute_features(
    store: StoreLike,
    as_of: dt.date,
    *,
    subjects: Iterable[str] | None = None,
    engine: str = "duckdb",
    horizon_years: int = 7,
    known_at: dt.datetime | None = None,
    consent_categories: Collection[str] = (),
    subject_kind: str = "person",
) -> pa.Table:
    """The as-of feature table of a record store, for one kind of subject.

    Parameters
    ----------
    store : path or object with a ``root`` attribute
        The record store folder (``<workspace>/store``).
    as_of : datetime.date
        The date the features describe (see :func:`~trustscore.features.feature_table`).
    subjects : iterable of str, optional
        Compute only these subjects (the online service computes one); others are left out.
    engine : {"duckdb", "spark"}, default "duckdb"
        Where to run the expression.
    horizon_years : int, default 7
        Negative items older than this no longer count.
    known_at : datetime.datetime, optional
        The knowledge cutoff (see :func:`~trustscore.features.feature_table`); defaults to the
        end of the ``as_of`` day.
    consent_categories : collection of str, default ()
        Bill categories that count only with a consent in force (see
        :func:`~trustscore.features.feature_table`); the store's consent events are read from
        ``<store>/_consents/``. :func:`bills_without_consent` lists the bills left out.
    subject_kind : {"person", "organisation"}, default "person"
        Whose table: persons with :data:`~trustscore.features.FEATURES`, or organisations with
        :data:`~trustscore.features.ORG_FEATURES`. The other kind's subjects are left out.

    Returns
    -------
    pyarrow.Table
        ``subject_id``, the features of the kind's set (for persons
        :data:`~trustscore.features.FEATURES`) and
        ``months_history``, ``n_records_12m`` (float64; missing values are NULL, never NaN),
        one row per subject created on or before ``as_of``, sorted by ``subject_id``.

    Raises
    ------
    NotFoundError
        If the store folder does not exist.
    EngineError
        If the engine is unknown or unavailable.

    Examples
    --------
    >>> import datetime as dt, tempfile
    >>> with tempfile.TemporaryDirectory() as store:
    ...     table = compute_features(store, dt.date(2024, 6, 30))
    >>> table.num_rows, table.column_names[:2], table.column_names[-2:]
    (0, ['subject_id', 'on_time_share_12m'], ['months_history', 'n_records_12m'])
    """
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        msg = f"as_of must be a datetime.date (a day, not a moment). Got {as_of!r} instead."
        raise ValueError(msg)
    check_subject_kind(subject_kind)
    con = engines.connect(engine)
    tables = load_tables(con, store, engine=engine, subjects=subjects)
    expr = kind_feature_table(
        tables, as_of, subject_kind, horizon_years=horizon_years, known_at=known_at,
        consent_categories=consent_categories,
    )  # fmt: skip
    return _without_nan(_run(con, expr)).sort_by("subject_id")


def write_features_duckdb(
    store: StoreLike,
    as_of: dt.date,
    dest: str | os.PathLike[str],
    *,
    horizon_years: int = 7,
    known_at: dt.datetime | None = None,
    consent_categories: Collection[str] = (),
    subject_kind: str = "person",
) -> int:
    """Compute the as-of feature table on DuckDB and stream it into the Parquet file ``dest``.

    The table of :func:`compute_features` (same arguments, same values, same order), written
    by DuckDB as it is computed: the population never passes through this process, and with a
    memory limit (:func:`trustscore.engines.configure_duckdb`) DuckDB spills what does not fit
    to disk, so memory stays bounded whatever the store's size.

    Returns
    -------
    int
        The number of subjects written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     Path(d, "store").mkdir()
    ...     n = write_features_duckdb(Path(d, "store"), dt.date(2024, 6, 30), Path(d, "f.parquet"))
    ...     n, pq.read_schema(Path(d, "f.parquet")).names[:2]
    (0, ['subject_id', 'on_time_share_12m'])
    """
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        msg = f"as_of must be a datetime.date (a day, not a moment). Got {as_of!r} instead."
        raise ValueError(msg)
    check_subject_kind(subject_kind)
    con = engines.connect("duckdb")
    tables = load_tables(con, store, engine="duckdb")
    expr = kind_feature_table(
        tables, as_of, subject_kind, horizon_years=horizon_years, known_at=known_at,
        consent_categories=consent_categories,
    )  # fmt: skip
    target = Path(dest)
    target.parent.mkdir(parents=True, exist_ok=True)
    return engines.duckdb_write_parquet(con, expr, target)


def subject_kinds(
    store: StoreLike, subjects: Iterable[str] | None = None, *, engine: str = "duckdb"
) -> dict[str, str]:
    """``{subject_id: kind}`` of the store's subjects (or of ``subjects``), from the latest
    version of each subject record: the kind decides the feature set and the model.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as store:
    ...     subject_kinds(store, ["S1"])
    {}
    """
    con = engines.connect(engine)
    table = load_tables(con, store, engine=engine, subjects=subjects)["subject"]
    latest = table.mutate(
        x_n=ibis.row_number().over(
            group_by=table.subject_id, order_by=[ibis.desc(table.ingested_at)]
        )
    )
    latest = latest.filter(latest.x_n == 0).select("subject_id", "kind")
    rows = _run(con, latest)
    return dict(zip(rows["subject_id"].to_pylist(), rows["kind"].to_pylist(), strict=True))


def write_features_spark(
    store: StoreLike,
    as_of: dt.date,
    dest: str | os.PathLike[str],
    *,
    horizon_years: int = 7,
    known_at: dt.datetime | None = None,
    consent_categories: Collection[str] = (),
    subject_kind: str = "person",
) -> int:
    """Compute the as-of feature table as a Spark job and write it with Spark's Parquet writer.

    The feature table of :func:`compute_features` (same arguments, same values: exactly equal
    to DuckDB's), computed by the executors from the store and written by them as Parquet part
    files under ``dest``: nothing of the population passes through this process, so it runs
    on a cluster (:func:`trustscore.engines.spark_session` picks the master) for any
    population. Each part file's rows are sorted by ``subject_id``; the files together hold
    one row per subject, in no promised order across files.

    Parameters
    ----------
    store : path or object with a ``root`` attribute
        The record store folder; on a cluster, a path every executor reads alike (a shared
        file system).
    as_of : datetime.date
        The date the features describe.
    dest : path
        The folder to write (it must not exist yet), on storage every executor writes alike.
    horizon_years, known_at, consent_categories, subject_kind
        As for :func:`compute_features`.

    Returns
    -------
    int
        The number of subjects written (read from the part files' footers).

    Raises
    ------
    NotFoundError
        If the store folder does not exist.
    EngineError
        If Spark is unavailable.
    """
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        msg = f"as_of must be a datetime.date (a day, not a moment). Got {as_of!r} instead."
        raise ValueError(msg)
    check_subject_kind(subject_kind)
    con = engines.connect("spark")
    tables = load_tables(con, store, engine="spark")
    expr = kind_feature_table(
        tables, as_of, subject_kind, horizon_years=horizon_years, known_at=known_at,
        consent_categories=consent_categories,
    )  # fmt: skip
    engines.spark_write_parquet(con, expr, dest, sort_within=["subject_id"])
    return int(pads.dataset(Path(dest), format="parquet").count_rows())


def _run(con: BaseBackend, expr: ir.Table) -> pa.Table:
    with warnings.catch_warnings():
        # pyspark 4.3's toPandas passes pandas 3 a deprecated ``copy`` keyword; harmless here.
        warnings.filterwarnings("ignore", message="The copy keyword is deprecated")
        warnings.filterwarnings("ignore", message="The 'future.infer_string' option")
        return con.to_pyarrow(expr)


def bills_without_consent(
    store: StoreLike,
    as_of: dt.date,
    *,
    consent_categories: Collection[str],
    subjects: Iterable[str] | None = None,
    engine: str = "duckdb",
    known_at: dt.datetime | None = None,
) -> pa.Table:
    """The bills that :func:`compute_features` leaves out for lack of consent.

    Same arguments as :func:`compute_features`; a store with no consent events at all leaves
    out every bill of ``consent_categories``.

    Returns
    -------
    pyarrow.Table
        ``record_id``, ``subject_id``, ``furnisher``, ``category``, ``due_date``,
        ``amount_due`` of each bill left out, sorted by subject and record.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as store:
    ...     left = bills_without_consent(store, dt.date(2024, 6, 30),
    ...                                  consent_categories=["utility"])
    >>> left.num_rows, left.column_names[:2]
    (0, ['record_id', 'subject_id'])
    """
    con = engines.connect(engine)
    tables = load_tables(con, store, engine=engine, subjects=subjects)
    left = unconsented_bills(
        tables, as_of, known_at=known_at, consent_categories=consent_categories
    ).select("record_id", "subject_id", "furnisher", "category", "due_date", "amount_due")
    return _run(con, left).sort_by([("subject_id", "ascending"), ("record_id", "ascending")])


def count_bills_without_consent(
    store: StoreLike,
    as_of: dt.date,
    *,
    consent_categories: Collection[str],
    engine: str = "duckdb",
    known_at: dt.datetime | None = None,
) -> int:
    """How many bills :func:`bills_without_consent` would list (one counting query).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as store:
    ...     count_bills_without_consent(store, dt.date(2024, 6, 30), consent_categories=["rent"])
    0
    """
    con = engines.connect(engine)
    tables = load_tables(con, store, engine=engine)
    left = unconsented_bills(
        tables, as_of, known_at=known_at, consent_categories=consent_categories
    )
    counted = _run(con, left.aggregate(n=left.count()))
    return int(counted["n"][0].as_py())


def write_features(table: pa.Table, path: str | os.PathLike[str]) -> Path:
    """Write a feature table to Parquet, missing values as NULL (never NaN).

    Parameters
    ----------
    table : pyarrow.Table
        A feature table (from :func:`compute_features`); NaN in float columns becomes NULL.
    path : path
        The Parquet file to write; missing parent folders are created.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import tempfile
    >>> t = pa.table({"subject_id": ["a"], "x": [float("nan")]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = write_features(t, Path(d) / "features.parquet")
    ...     pq.read_table(out)["x"].null_count
    1
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(_without_nan(table), target)
    return target
