"""Property: after any sequence of entries, any edit, deletion, reordering or insertion of audit
rows is found by ``audit_verify``, at the first entry it touched."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import trustscore.ledger as lg
from trustscore.ledger._audit import entry_hash, entry_leaf_hash

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=8,
)  # fmt: skip
entries = st.lists(
    st.tuples(st.text(min_size=1, max_size=10), st.sampled_from(["note", "dispute.open", "x"]),
              st.dictionaries(st.text(max_size=6), json_values, max_size=4)),
    min_size=1, max_size=10,
)  # fmt: skip
tamperings = st.sampled_from(["actor", "action", "payload", "at", "hash", "delete", "swap",
                              "insert", "append"])  # fmt: skip


_LEDGER: list[lg.Ledger] = []
# A well-formed forged entry, its chain and leaf hashes recomputed by the forger.
_FORGE = (
    "INSERT INTO audit_log (seq, at, actor, action, payload, prev_hash, hash, leaf_hash) "
    "VALUES (:s, :at, 'mallory', 'note', '{}', :prev, :h, :leaf)"
)


def _build(items: list[tuple[str, str, dict[str, object]]]) -> lg.Ledger:
    # One in-memory ledger for every example (building one costs more than the test), emptied.
    if not _LEDGER:
        _LEDGER.append(lg.Ledger("sqlite://"))
        _LEDGER[0].create_all()
    ledger = _LEDGER[0]
    with ledger.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log"))
        conn.execute(sa.text("UPDATE audit_head SET seq = 0, hash = :h, frontier = ''"),
                     {"h": "0" * 64})  # fmt: skip
    for i, (actor, action, payload) in enumerate(items):
        lg.audit_append(ledger, actor, action, payload, now=T0 + dt.timedelta(seconds=i))
    return ledger


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=entries, how=tamperings, data=st.data())
def test_any_tampering_is_detected(
    items: list[tuple[str, str, dict[str, object]]], how: str, data: st.DataObject
) -> None:
    ledger = _build(items)
    n = len(items)
    assert lg.audit_verify(ledger).ok
    rows = lg.audit_entries(ledger)
    i = data.draw(st.integers(1, n), label="seq")
    expected = i
    with ledger.engine.begin() as conn:
        run = lambda sql, **p: conn.execute(sa.text(sql), p)  # noqa: E731
        if how in ("actor", "action"):
            run(f"UPDATE audit_log SET {how} = {how} || '~' WHERE seq = :i", i=i)
        elif how == "payload":
            run("UPDATE audit_log SET payload = :p WHERE seq = :i",
                p=lg.canonical_json({"forged": rows[i - 1].payload}), i=i)  # fmt: skip
        elif how == "at":
            run(
                "UPDATE audit_log SET at = :at WHERE seq = :i",
                at=(rows[i - 1].at + dt.timedelta(microseconds=1)).replace(tzinfo=None),
                i=i,
            )
        elif how == "hash":
            run("UPDATE audit_log SET hash = :h WHERE seq = :i", h="f" * 64, i=i)
        elif how == "delete":
            run("DELETE FROM audit_log WHERE seq = :i", i=i)
        elif how == "swap":
            j = data.draw(st.integers(1, n).filter(lambda j: j != i) if n > 1 else st.just(i))
            if j == i:  # one entry: moving it is a reordering too
                run("UPDATE audit_log SET seq = 2 WHERE seq = 1")
                expected = 1
            else:
                run("UPDATE audit_log SET seq = -seq WHERE seq IN (:i, :j)", i=i, j=j)
                run("UPDATE audit_log SET seq = CASE seq WHEN :mi THEN :j ELSE :i END "
                    "WHERE seq < 0", mi=-i, i=i, j=j)  # fmt: skip
                expected = min(i, j)
        elif how == "insert":
            # A well-formed entry slipped in before entry i, later entries renumbered.
            prev = rows[i - 2].hash if i > 1 else "0" * 64
            run("UPDATE audit_log SET seq = -(seq + 1) WHERE seq >= :i", i=i)
            run("UPDATE audit_log SET seq = -seq WHERE seq < 0")
            at = T0 + dt.timedelta(days=1)
            run(_FORGE, s=i, at=at.replace(tzinfo=None), prev=prev,
                h=entry_hash(prev, i, at, "mallory", "note", "{}"),
                leaf=entry_leaf_hash(i, at, "mallory", "note", "{}"))  # fmt: skip
            expected = i + 1
        else:  # append: a well-formed entry after the last, the head left alone
            at = T0 + dt.timedelta(days=1)
            run(_FORGE, s=n + 1, at=at.replace(tzinfo=None), prev=rows[-1].hash,
                h=entry_hash(rows[-1].hash, n + 1, at, "mallory", "note", "{}"),
                leaf=entry_leaf_hash(n + 1, at, "mallory", "note", "{}"))  # fmt: skip
            expected = n + 1
    result = lg.audit_verify(ledger)
    assert not result.ok
    assert result.first_bad_seq == expected, result


@settings(max_examples=40, deadline=None)
@given(value=json_values)
def test_canonical_json_ignores_key_order(value: object) -> None:
    if isinstance(value, dict):
        reordered = dict(reversed(list(value.items())))
        assert lg.canonical_json(reordered) == lg.canonical_json(value)
    assert lg.canonical_json(value) == lg.canonical_json(
        __import__("json").loads(lg.canonical_json(value))
    )
