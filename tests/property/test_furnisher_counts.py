"""Properties: per furnisher and in total, every row received is counted once, through holds,
releases and rejections:

received = new + versions + unchanged + quarantined + held

and the store holds, per furnisher, exactly the rows counted as new records and versions.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store_helpers import add_subjects
from trustscore.records import (
    RecordStore,
    furnisher_counts,
    holds,
    ingest,
    reject_hold,
    release_hold,
)

AT = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
HEADER = (
    "record_id,subject_id,furnisher,category,account,due_date,amount_due,paid_date,amount_paid,"
    "action"
)

row = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["o1", "o2", "o3", "o4", "o5"]),
        "subject": st.sampled_from(["s1", "s1", "s2", "S1"]),  # S1 is not a known subject
        "furnisher": st.sampled_from(["power", "power", "water", "gas"]),
        "due": st.sampled_from(["2024-01-05", "2024-01-20"]),
        "paid": st.sampled_from(["", "2024-01-04", "2024-02-01"]),
        "amount": st.sampled_from(["10.5", "11", "-1", "abc"]),
        "action": st.sampled_from(["", "", "", "delete"]),
    }
)
batch = st.tuples(
    st.lists(row, min_size=1, max_size=8),
    st.sampled_from([None, 0.0, 0.2, 0.5]),  # hold_above
    st.sampled_from(["keep", "release", "reject"]),  # what the operator does with its holds
)


def _csv(rows: list[dict[str, str]]) -> str:
    lines = [HEADER]
    for r in rows:
        amount_paid = r["amount"] if r["paid"] else ""
        lines.append(
            f"{r['id']},{r['subject']},{r['furnisher']},utility,a1,{r['due']},{r['amount']},"
            f"{r['paid']},{amount_paid},{r['action']}"
        )
    return "\n".join(lines) + "\n"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=st.lists(batch, min_size=1, max_size=3))
def test_furnisher_counts_reconcile_through_holds(
    batches: list[tuple[list[dict[str, str]], float | None, str]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = RecordStore(Path(tmp) / "store")
        add_subjects(store, "s1", "s2")
        sent: Counter[str] = Counter()
        for i, (rows, hold_above, then) in enumerate(batches):
            path = Path(tmp) / f"b{i}.csv"
            path.write_text(_csv(rows), encoding="utf-8")
            at = AT + dt.timedelta(days=2 * i)
            result = ingest(path, store, kind="obligation", ingested_at=at, hold_above=hold_above)
            if result.already_ingested:
                continue
            sent.update(r["furnisher"] for r in rows)
            # the batch: each furnisher's rows reconcile, and add up to the batch's
            assert {f: e["received"] for f, e in result.furnishers.items()} == Counter(
                r["furnisher"] for r in rows
            )
            for entry in result.furnishers.values():
                assert entry["received"] == (
                    entry["new"] + entry["versions"] + entry["unchanged"] + entry["held"]
                    + sum(entry["quarantined"].values())
                )  # fmt: skip
            assert result.rows_in == (
                result.rows_stored + result.rows_unchanged + result.rows_quarantined
                + result.rows_held
            )  # fmt: skip
            held_by = {h["furnisher"] for h in result.holds.values()}
            for furnisher, entry in result.furnishers.items():
                received = entry["received"]
                rate = sum(entry["quarantined"].values()) / received
                could_store = entry["held"] > 0 or entry["new"] + entry["versions"] > 0
                expected = hold_above is not None and rate > hold_above and could_store
                assert (furnisher in held_by) == expected
            for hold in holds(store, status="held"):
                when = at + dt.timedelta(days=1)
                if then == "release":
                    release_hold(store, hold.hold_id, "op", at=when)
                elif then == "reject":
                    reject_hold(store, hold.hold_id, "op", at=when)
        counts = furnisher_counts(store)
        assert {f: c.received for f, c in counts.items()} == dict(sent)
        stored = Counter(store.read("obligation").column("furnisher").to_pylist())
        still_held = Counter()
        for hold in holds(store, status="held"):
            still_held[hold.furnisher] += hold.rows
        for furnisher, c in counts.items():
            assert c.reconciles(), c
            assert c.stored == stored[furnisher]
            assert c.held == still_held[furnisher]
