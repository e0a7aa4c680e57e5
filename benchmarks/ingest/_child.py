"""One timed ingest run in a fresh process: run as a script with PYTHONPATH set to the ``src`` of
the trustscore to measure (this branch's, or the base commit's checked out apart).

Usage: ``python _child.py SPEC.json`` where the spec names the store folder, the first delivery's
files, the update files and the two ingestion times. Prints one JSON line: per file, the rows in,
stored and quarantined, and the seconds its ``ingest`` call took; and where trustscore came from.

It uses only what both versions have: ``RecordStore``, ``ingest`` and the counts ``rows_in``,
``rows_stored``, ``rows_quarantined`` of the result.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
import time
from pathlib import Path


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    import trustscore
    from trustscore.records import RecordStore, ingest

    store_dir = Path(spec["store"])
    shutil.rmtree(store_dir.parent, ignore_errors=True)
    store = RecordStore(store_dir)
    out: dict[str, object] = {"trustscore": str(Path(trustscore.__file__).parent), "files": []}
    runs = [("first", f, spec["first_at"]) for f in spec["first"]]
    runs += [("update", f, spec["update_at"]) for f in spec["update"]]
    for phase, (kind, path), at in runs:
        t0 = time.perf_counter()
        r = ingest(path, store, kind=kind, ingested_at=dt.datetime.fromisoformat(at))
        seconds = time.perf_counter() - t0
        row = {
            "phase": phase,
            "kind": kind,
            "rows_in": r.rows_in,
            "rows_stored": r.rows_stored,
            "rows_quarantined": r.rows_quarantined,
            "seconds": seconds,
        }
        for name in ("rows_versions", "rows_deleted", "rows_unchanged"):
            if hasattr(r, name):
                row[name] = getattr(r, name)
        out["files"].append(row)  # type: ignore[attr-defined]
    shutil.rmtree(store_dir.parent, ignore_errors=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
