"""Write a synthetic population: furnisher files, outcomes and protected-group labels."""

from __future__ import annotations

import contextlib
import datetime
import math
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from trustscore.records._consents import CONSENT_SCHEMA
from trustscore.records._schemas import arrow_schema
from trustscore.synth._arrow import RecordRows, date_array, take_strings
from trustscore.synth._consents import generate_consents
from trustscore.synth._dirty import make_dirty
from trustscore.synth._events import generate_inquiries, generate_public_records
from trustscore.synth._obligations import generate_obligations
from trustscore.synth._population import Calendar, Population
from trustscore.synth._random import F64
from trustscore.synth._supplier import generate_supplier_payments
from trustscore.synth._tradelines import generate_tradelines

__all__ = ["OUTCOME_SCHEMA", "PROTECTED_SCHEMA", "RECORD_FILES", "SynthSummary", "generate"]

RECORD_FILES = (
    "subject", "obligation", "tradeline", "public_record", "inquiry", "supplier_payment",
)  # fmt: skip
DIRTY_KINDS = ("obligation", "tradeline", "public_record", "inquiry", "supplier_payment")
TRAIN_SHARE = 0.7
OUTCOME_SCHEMA = pa.schema(
    [
        pa.field("subject_id", pa.string(), nullable=False),
        pa.field("target", pa.int8(), nullable=False),
        pa.field("oracle_p", pa.float64(), nullable=False),
        pa.field("split", pa.string(), nullable=False),
    ]
)
PROTECTED_SCHEMA = pa.schema(
    [
        pa.field("subject_id", pa.string(), nullable=False),
        pa.field("group", pa.string(), nullable=False),
    ]
)
Progress = Callable[[int, int], object]
# Each returns the rows of its kind and, for kinds that can fall 90+ days past due, the
# per-subject log-probability that none does in the outcome year.
_KindGenerator = Callable[[Population, Calendar], tuple[RecordRows, "F64 | None"]]
_GENERATORS: dict[str, _KindGenerator] = {
    "obligation": generate_obligations,
    "tradeline": generate_tradelines,
    "public_record": generate_public_records,
    "inquiry": generate_inquiries,
    "supplier_payment": generate_supplier_payments,
}
_BLOCK = 8192  # subjects computed at a time inside a chunk: bounds the temporaries


@dataclass(frozen=True)
class SynthSummary:
    """What :func:`generate` wrote.

    Attributes
    ----------
    out_dir : Path
        The folder written.
    n_subjects, seed, as_of, months, dirty_rate
        The arguments the population was generated with.
    rows : Mapping[str, int]
        Rows written per file, keyed by the file's stem (``"obligation"``, ``"outcomes"``, ...).
    n_dirty : Mapping[str, int]
        Invalid rows per record kind (``obligation``, ``tradeline``, ``public_record``,
        ``inquiry``; ``subject`` rows are never made dirty).
    dirty_by_defect : Mapping[str, Mapping[str, int]]
        The same, per kind and defect (see :mod:`trustscore.synth._dirty`).
    n_events, event_rate : int, float
        Subjects with ``target == 1``, and their share.
    mean_oracle_p : float
        Mean of ``oracle_p``: the event rate the generator expects.
    paths : Mapping[str, Path]
        The path of each file, keyed like ``rows``.
    """

    out_dir: Path
    n_subjects: int
    seed: int
    as_of: datetime.date
    months: int
    dirty_rate: float
    rows: Mapping[str, int]
    n_dirty: Mapping[str, int]
    dirty_by_defect: Mapping[str, Mapping[str, int]]
    n_events: int
    event_rate: float
    mean_oracle_p: float
    paths: Mapping[str, Path]

    @property
    def n_record_rows(self) -> int:
        """Rows in the record files together."""
        return sum(self.rows[name] for name in RECORD_FILES)


def _check_int(name: str, value: object, low: int, high: int) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or not (low <= value <= high)
    ):
        msg = (
            f"The {name!r} parameter of generate must be an int in [{low}, {high}]. "
            f"Got {value!r} instead."
        )
        raise ValueError(msg)
    return int(value)


def _schema(kind: str, *, nullable: bool) -> pa.Schema:
    schema = arrow_schema(kind)
    if nullable:  # a NULL in a required field cannot be stored in a non-nullable Parquet column
        schema = pa.schema([f.with_nullable(True) for f in schema])
    return schema


class _Writers:
    """One ParquetWriter per file, writing under a temporary name until :meth:`commit`."""

    def __init__(self, out_dir: Path, schemas: dict[str, pa.Schema]) -> None:
        self.paths = {name: out_dir / f"{name}.parquet" for name in schemas}
        self.rows = dict.fromkeys(schemas, 0)
        self._tmp = {
            name: path.with_name(path.name + ".partial") for name, path in self.paths.items()
        }
        self._writers = {
            name: pq.ParquetWriter(self._tmp[name], schema) for name, schema in schemas.items()
        }
        self._schemas = schemas

    def write(self, name: str, parts: list[dict[str, pa.Array]]) -> None:
        """Write the parts (columns by name) as one row group."""
        schema = self._schemas[name]
        # A field no generator fills (``action``: every first report is a plain report) is NULL.
        parts = [
            {f.name: p.get(f.name, pa.nulls(len(next(iter(p.values()))), f.type)) for f in schema}
            for p in parts
        ]
        table = pa.concat_tables([pa.Table.from_pydict(p, schema=schema) for p in parts])
        if table.num_rows:
            self._writers[name].write_table(table, row_group_size=table.num_rows)
        self.rows[name] += table.num_rows

    def commit(self) -> None:
        for writer in self._writers.values():
            writer.close()
        for name, tmp in self._tmp.items():
            os.replace(tmp, self.paths[name])

    def abort(self) -> None:
        for writer in self._writers.values():
            with contextlib.suppress(Exception):
                writer.close()
        for tmp in self._tmp.values():
            tmp.unlink(missing_ok=True)


def _chunks(n_subjects: int, chunk_size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n_subjects, chunk_size):
        yield start, min(start + chunk_size, n_subjects)


def generate(
    out_dir: str | os.PathLike[str],
    *,
    n_subjects: int = 100_000,
    seed: int = 0,
    as_of: datetime.date = datetime.date(2025, 12, 31),
    months: int = 36,
    chunk_size: int = 50_000,
    dirty_rate: float = 0.0,
    progress: Progress | None = None,
) -> SynthSummary:
    """Generate a synthetic population and write its furnisher files to ``out_dir``.

    Each subject has a hidden propensity (with a slow drift) that drives, with noise, its bills
    and how they are paid, its credit accounts and their days past due, its rare public records
    and its inquiries over the ``months`` months up to ``as_of``. The outcome is 90+ days past
    due on any obligation in the 12 months after ``as_of``: ``oracle_p`` is its exact probability
    under the generator's own model, given each subject's hidden state at ``as_of``, and
    ``target`` is drawn from it.

    Files written (each replaced whole, so a failed run leaves the old files in place):
    ``subject``, ``obligation``, ``tradeline``, ``public_record``, ``inquiry`` (columns exactly
    :func:`trustscore.records._schemas.arrow_schema` of the kind; missing values NULL, never NaN),
    ``outcomes`` (``subject_id``, ``target`` int8, ``oracle_p``, ``split`` "train"/"holdout") and
    ``protected`` (``subject_id``, ``group``: a synthetic protected-group label for fairness tests,
    which appears in no record file). All with the extension ``.parquet``.

    Parameters
    ----------
    out_dir : str or path-like
        Folder to write to; created if missing.
    n_subjects : int, default 100_000
        Subjects to generate; ids are ``S000000001`` onwards.
    seed : int, default 0
        Seed. The same seed gives the same files, whatever ``chunk_size``, and the first ``n``
        subjects of a larger population equal a population of ``n``.
    as_of : datetime.date, default 2025-12-31
        The as-of date: no record has a date after it.
    months : int, default 36
        Length of the observation window, in months, ending with the month of ``as_of``.
    chunk_size : int, default 50_000
        Subjects generated and written at a time (one Parquet row group per chunk); bounds memory.
    dirty_rate : float, default 0.0
        Share of rows of each record file (subjects excepted) made invalid in ways a validator
        must catch: negative amounts, unknown enum values, NULL in a required field, a date before
        the date it may not precede, a duplicate ``record_id``. With ``dirty_rate > 0`` the record
        files' fields are all nullable (Parquet cannot store a NULL in a required column).
    progress : callable, optional
        Called as ``progress(done_subjects, n_subjects)`` after each chunk.

    Notes
    -----
    About 10 % of subjects are organisations and about 4 % are thin files (created within the
    last five months, so with at most a few months of history: unscorable downstream). With the
    defaults there are about 120 record rows per subject; 100 000 subjects take about 9 s of one
    core and under 1 GiB of memory (memory grows with ``chunk_size``, not ``n_subjects``).
    The model and its parameters are described in the modules ``_population``, ``_obligations``,
    ``_tradelines`` and ``_events`` of this package.

    Returns
    -------
    SynthSummary
        Rows per file, dirty rows per kind, the event rate and the paths.

    Raises
    ------
    ValueError
        If an argument is out of range.

    Examples
    --------
    >>> import tempfile, pyarrow.parquet as pq
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     summary = generate(tmp, n_subjects=200, seed=1)
    ...     subjects = pq.read_table(summary.paths["subject"])
    >>> summary.rows["subject"], subjects.column_names
    (200, ['subject_id', 'kind', 'created_date'])
    >>> subjects["subject_id"][0].as_py()
    'S000000001'
    >>> 50 < summary.n_record_rows / 200 < 250
    True
    """
    n_subjects = _check_int("n_subjects", n_subjects, 1, 10**10)
    seed = _check_int("seed", seed, 0, 2**63 - 1)
    months = _check_int("months", months, 1, 240)
    chunk_size = _check_int("chunk_size", chunk_size, 1, 10**8)
    if not isinstance(as_of, datetime.date) or isinstance(as_of, datetime.datetime):
        msg = f"The 'as_of' parameter of generate must be a datetime.date. Got {as_of!r} instead."
        raise ValueError(msg)
    if (
        isinstance(dirty_rate, bool)
        or not isinstance(dirty_rate, int | float)
        or not (0.0 <= dirty_rate <= 0.5)
    ):
        msg = (
            "The 'dirty_rate' parameter of generate must be a float in [0, 0.5]. "
            f"Got {dirty_rate!r} instead."
        )
        raise ValueError(msg)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cal = Calendar.create(as_of, months)
    schemas = {
        kind: _schema(kind, nullable=dirty_rate > 0 and kind != "subject") for kind in RECORD_FILES
    }
    schemas["outcomes"] = OUTCOME_SCHEMA
    schemas["protected"] = PROTECTED_SCHEMA
    schemas["consent"] = CONSENT_SCHEMA
    writers = _Writers(out, schemas)
    dirty: dict[str, dict[str, int]] = {kind: {} for kind in DIRTY_KINDS}
    n_events, sum_p = 0, 0.0
    try:
        for start, stop in _chunks(n_subjects, chunk_size):
            pop = Population.create(seed=seed, start=start, stop=stop, cal=cal)
            subjects = {
                "subject_id": pop.subject_id,
                "kind": take_strings(("person", "organisation"), pop.is_org.astype(np.int64)),
                "created_date": date_array(pop.created_day),
            }
            writers.write("subject", [subjects])
            log_survival = np.zeros(pop.n)
            for kind, make in _GENERATORS.items():
                # Each kind is built in blocks and written before the next, to bound memory.
                parts = []
                for a, b in _chunks(pop.n, _BLOCK):
                    block = pop.slice(a, b)
                    rows, block_log_survival = make(block, cal)
                    make_dirty(rows, kind, block.keys, float(dirty_rate))
                    for defect, count in rows.dirty.items():
                        dirty[kind][defect] = dirty[kind].get(defect, 0) + count
                    if block_log_survival is not None:
                        log_survival[a:b] += block_log_survival
                    parts.append(rows.columns)
                    del rows
                writers.write(kind, parts)
                del parts

            oracle_p = np.clip(-np.expm1(log_survival), 0.0, 1.0) + 0.0  # no -0.0
            target = pop.keys.uniform("target") < oracle_p
            train = pop.keys.uniform("split") < TRAIN_SHARE
            outcomes = {
                "subject_id": pop.subject_id,
                "target": pa.array(target.astype(np.int8)),
                "oracle_p": pa.array(oracle_p),
                "split": take_strings(("holdout", "train"), train.astype(np.int64)),
            }
            writers.write("outcomes", [outcomes])
            protected = {"subject_id": pop.subject_id, "group": pa.array(pop.group())}
            writers.write("protected", [protected])
            consents = generate_consents(pop, cal)
            writers.write(
                "consent", [dict(zip(consents.column_names, consents.columns, strict=True))]
            )
            n_events += int(target.sum())
            sum_p += math.fsum(oracle_p.tolist())
            if progress is not None:
                progress(stop, n_subjects)
    except BaseException:
        writers.abort()
        raise
    writers.commit()
    return SynthSummary(
        out_dir=out,
        n_subjects=n_subjects,
        seed=seed,
        as_of=as_of,
        months=months,
        dirty_rate=float(dirty_rate),
        rows=dict(writers.rows),
        n_dirty={kind: sum(d.values()) for kind, d in dirty.items()},
        dirty_by_defect=dirty,
        n_events=n_events,
        event_rate=n_events / n_subjects,
        mean_oracle_p=sum_p / n_subjects,
        paths=dict(writers.paths),
    )
