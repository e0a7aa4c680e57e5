"""Reading a furnisher file with identity fields: every column as text, nothing inferred.

Identity fields are compared as written (a leading zero of an ID or a postcode matters), so the
whole file is read with every column as a string; the record fields are then checked by the
record kinds' own validation (:func:`trustscore.records._validate.validate_chunk`).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from trustscore.exceptions import IngestError
from trustscore.records._readers import FORMATS
from trustscore.safeguards import IDENTITY_DATA, prohibited_category

__all__ = ["read_strings"]


def _as_strings(table: pa.Table) -> pa.Table:
    cols = [c if pa.types.is_string(c.type) else pc.cast(c, pa.string()) for c in table.columns]
    return pa.table(dict(zip(table.column_names, cols, strict=True)))


def read_strings(path: Path) -> pa.Table:
    """The whole file as a table of strings (CSV with a header, Parquet or JSON Lines)."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None or not path.is_file():
        msg = f"{path}: not a readable .csv, .parquet or .jsonl file. Check the path and type."
        raise IngestError(msg, file=str(path))
    try:
        if fmt == "csv":
            with path.open(newline="", encoding="utf-8") as fh:
                header = next(csv.reader(fh), [])
            table = pacsv.read_csv(
                path,
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=True
                ),
            )
        elif fmt == "parquet":
            table = pq.read_table(path)
        else:
            table = pajson.read_json(path)
    except (OSError, pa.ArrowException, UnicodeDecodeError) as exc:
        msg = f"{path}: cannot be read ({exc}). Send UTF-8 CSV with a header, Parquet or JSONL."
        raise IngestError(msg, file=str(path)) from exc
    for name in table.column_names:
        category = prohibited_category(name)
        if category is not None and category != IDENTITY_DATA and name != "birth_date":
            msg = f"{path}: the column {name!r} looks like {category}; remove it."
            raise IngestError(msg, file=str(path), field=name)
    return _as_strings(table)
