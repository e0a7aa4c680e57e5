"""The hand-written SQL's run, in a child process like the stages: ``python _child.py SPEC.json``.

The spec names the store, the as-of date, the output file, the consent categories and the
DuckDB settings (memory limit, threads, spill folder: the same the stages get). The feature
table is streamed into the output with ``COPY ... TO``, then the bills left out for lack of
consent are counted, as ``trustscore features`` does; prints one JSON line with the count.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    sys.path.insert(0, spec["repo"])
    import duckdb

    from benchmarks.scale._sql import feature_sql, left_out_sql

    as_of = dt.date.fromisoformat(spec["as_of"])
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    for name, value in spec["duckdb"].items():
        if name == "temp_directory":
            Path(value).mkdir(parents=True, exist_ok=True)
        con.execute(f"SET {name} = '{value}'")
    cats = spec["consent_categories"]
    out = str(spec["out"]).replace("'", "''")
    t0 = time.perf_counter()
    sql = feature_sql(spec["store"], as_of, consent_categories=cats)
    con.execute(f"COPY ({sql}) TO '{out}' (FORMAT parquet, COMPRESSION zstd)")
    t1 = time.perf_counter()
    left = 0
    if spec.get("count_left_out", True):
        found = con.execute(left_out_sql(spec["store"], as_of, consent_categories=cats)).fetchone()
        left = int(found[0]) if found is not None else 0
    t2 = time.perf_counter()
    print(json.dumps({"features_s": t1 - t0, "left_out_s": t2 - t1, "left_out": left}))


if __name__ == "__main__":
    main()
