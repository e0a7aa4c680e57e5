"""The fused numba kernel: one pass over the rows for points, score, sub-scores, status, reasons.

The rows are taken in blocks of :data:`BLOCK` so that each block's points per characteristic
(``int32 [k, BLOCK]``) stay in the L1/L2 cache; within a block each characteristic is scored by a
tight loop over its rows that the compiler vectorises (the branch-free form ``points = first +
sum_k [x >= edge_k] * step_k``, then specials, then missing), and then the block's score,
sub-scores, status and top-4 reasons are formed. Every input value is read from memory once.

The input columns differ per artifact in number and in type (float32, float64, int32 category
codes). Rather than a typed list (whose methods numba compiles afresh in every process) or a tuple
(one compilation per arity), the kernel takes the columns' addresses as an ``int64`` array and
views each as an array inside: one compiled kernel serves every artifact. The caller keeps the
arrays alive during the call.

No fast-math: the missing-value tests rely on NaN semantics (ENGINE-NOTES.md).
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt
from numba import carray, njit, types  # type: ignore[attr-defined]
from numba.extending import intrinsic

__all__ = ["BLOCK", "KIND_CODES", "KIND_F32", "KIND_F64", "run_kernel"]

BLOCK: Final = 512
KIND_F32: Final = 0
KIND_F64: Final = 1
KIND_CODES: Final = 2
_N_REASONS: Final = 4


def _pointer_intrinsic(dtype: Any) -> Any:
    @intrinsic  # type: ignore[misc]
    def as_pointer(typingctx: Any, address: Any) -> Any:  # noqa: ARG001 (numba's signature)
        sig = types.CPointer(dtype)(types.int64)  # type: ignore[no-untyped-call]

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            return builder.inttoptr(args[0], context.get_value_type(signature.return_type))

        return sig, codegen

    return as_pointer


_f32_ptr = _pointer_intrinsic(types.float32)
_f64_ptr = _pointer_intrinsic(types.float64)
_i32_ptr = _pointer_intrinsic(types.int32)


@njit(cache=True)  # type: ignore[misc]
def _numeric_block(x, start, m, out, edges, steps, first, svals, spts, miss):  # type: ignore[no-untyped-def]
    # edges come in groups of four (padded with NaN edges and zero steps, see _compiled): one
    # pass over the block's rows per group, the last pass also setting missing values
    n_edges = edges.shape[0]
    if n_edges == 0:
        for i in range(m):
            xi = x[start + i]
            out[i] = miss if xi != xi else first
    for k in range(0, n_edges, 4):
        e0 = edges[k]
        e1 = edges[k + 1]
        e2 = edges[k + 2]
        e3 = edges[k + 3]
        s0 = steps[k]
        s1 = steps[k + 1]
        s2 = steps[k + 2]
        s3 = steps[k + 3]
        base = first if k == 0 else np.int32(0)
        if k + 4 < n_edges:
            for i in range(m):
                xi = x[start + i]
                add = ((xi >= e0) * s0 + (xi >= e1) * s1) + ((xi >= e2) * s2 + (xi >= e3) * s3)
                out[i] = (out[i] if k else base) + add
        else:
            for i in range(m):
                xi = x[start + i]
                add = ((xi >= e0) * s0 + (xi >= e1) * s1) + ((xi >= e2) * s2 + (xi >= e3) * s3)
                v = (out[i] if k else base) + add
                out[i] = miss if xi != xi else v
    # specials are matched exactly (in float64, like the reference), a later one winning; they
    # are never NaN, so matching them after the missing test changes nothing
    for q in range(svals.shape[0]):
        v = svals[q]
        p = spts[q]
        for i in range(m):
            if np.float64(x[start + i]) == v:
                out[i] = p


@njit(cache=True)  # type: ignore[misc]
def _criterion_block(x, start, m, ok, op, value):  # type: ignore[no-untyped-def]
    for i in range(m):
        v = np.float64(x[start + i])
        present = not np.isnan(v)
        if op == 0:
            t = v >= value
        elif op == 1:
            t = v > value
        elif op == 2:
            t = v <= value
        elif op == 3:
            t = v < value
        elif op == 4:
            t = v == value
        elif op == 5:
            t = v != value
        else:
            t = True
        ok[i] = ok[i] and present and t


@njit(cache=True)  # type: ignore[misc]
def _kernel(  # type: ignore[no-untyped-def]
    n,
    addr,
    kind,
    first,
    edge_off,
    edges32,
    edges64,
    steps,
    special_off,
    special_values,
    special_points,
    missing,
    cat_off,
    cat_points,
    dimension,
    best,
    crit_addr,
    crit_kind,
    crit_op,
    crit_value,
    score,
    ok,
    subs,
    reasons,
    want_reasons,
):
    k = first.shape[0]
    n_dims = subs.shape[0]
    acc = np.empty((k, BLOCK), dtype=np.int32)
    okb = np.empty(BLOCK, dtype=np.bool_)
    top = np.empty(BLOCK, dtype=np.int32)
    prev = np.empty(BLOCK, dtype=np.int32)
    shift = 0
    while (1 << shift) < k:
        shift += 1
    span = np.int32(1 << shift)  # a power of two >= k: the position sits in the low bits
    for start in range(0, n, BLOCK):
        m = min(BLOCK, n - start)
        for j in range(k):
            out = acc[j]
            e0 = edge_off[j]
            e1 = edge_off[j + 1]
            s0 = special_off[j]
            s1 = special_off[j + 1]
            if kind[j] == KIND_F32:
                x32 = carray(_f32_ptr(addr[j]), n)
                _numeric_block(
                    x32,
                    start,
                    m,
                    out,
                    edges32[e0:e1],
                    steps[e0:e1],
                    first[j],
                    special_values[s0:s1],
                    special_points[s0:s1],
                    missing[j],
                )
            elif kind[j] == KIND_F64:
                x64 = carray(_f64_ptr(addr[j]), n)
                _numeric_block(
                    x64,
                    start,
                    m,
                    out,
                    edges64[e0:e1],
                    steps[e0:e1],
                    first[j],
                    special_values[s0:s1],
                    special_points[s0:s1],
                    missing[j],
                )
            else:
                codes = carray(_i32_ptr(addr[j]), n)
                table = cat_points[cat_off[j] : cat_off[j + 1]]
                for i in range(m):
                    out[i] = table[codes[start + i] + 1]
        for i in range(m):
            score[start + i] = 0
            okb[i] = True
        for d in range(n_dims):
            sub = subs[d, start : start + m]
            for i in range(m):
                sub[i] = 0
        for j in range(k):
            sub = subs[dimension[j], start : start + m]
            out = acc[j]
            for i in range(m):
                sub[i] += out[i]
        for d in range(n_dims):  # the score is the sum of the sub-scores, exactly
            sub = subs[d, start : start + m]
            for i in range(m):
                score[start + i] += sub[i]
        for c in range(crit_op.shape[0]):
            if crit_kind[c] == KIND_F32:
                _criterion_block(
                    carray(_f32_ptr(crit_addr[c]), n), start, m, okb, crit_op[c], crit_value[c]
                )
            else:
                _criterion_block(
                    carray(_f64_ptr(crit_addr[c]), n), start, m, okb, crit_op[c], crit_value[c]
                )
        for i in range(m):
            ok[start + i] = okb[i]
        if not want_reasons:
            continue
        # top four without branches: fold loss and position into one key per characteristic,
        # unique within a row, larger for more points lost and, among equal losses, for the
        # earlier characteristic; then take the largest key, the largest below it, and so on
        for j in range(k):
            out = acc[j]
            b = best[j]
            tie = np.int32(span - 1 - j)
            for i in range(m):
                out[i] = ((b - out[i]) << shift) | tie
        for r in range(_N_REASONS):
            for i in range(m):
                top[i] = -1
            if r == 0:
                for j in range(k):
                    out = acc[j]
                    for i in range(m):
                        top[i] = max(top[i], out[i])
            else:
                for j in range(k):
                    out = acc[j]
                    for i in range(m):
                        v = out[i]
                        top[i] = max(top[i], v if v < prev[i] else np.int32(-1))
            for i in range(m):
                t = top[i]
                has = okb[i] and t >= span
                reasons[r, start + i] = (span - 1 - (t & (span - 1))) if has else -1
                prev[i] = t


def run_kernel(
    n: int,
    addr: npt.NDArray[np.int64],
    kind: npt.NDArray[np.int64],
    compiled_arrays: tuple[Any, ...],
    cat_off: npt.NDArray[np.int64],
    cat_points: npt.NDArray[np.int32],
    crit_addr: npt.NDArray[np.int64],
    crit_kind: npt.NDArray[np.int64],
    outputs: tuple[Any, ...],
    *,
    want_reasons: bool,
) -> None:
    """Call the kernel (the argument plumbing lives in :mod:`trustscore.scoring._kernel_io`)."""
    (
        first,
        edge_off,
        edges32,
        edges64,
        steps,
        special_off,
        special_values,
        special_points,
        missing,
        dimension,
        best,
        crit_op,
        crit_value,
    ) = compiled_arrays
    score, ok, subs, reasons = outputs
    _kernel(
        n,
        addr,
        kind,
        first,
        edge_off,
        edges32,
        edges64,
        steps,
        special_off,
        special_values,
        special_points,
        missing,
        cat_off,
        cat_points,
        dimension,
        best,
        crit_addr,
        crit_kind,
        crit_op,
        crit_value,
        score,
        ok,
        subs,
        reasons,
        want_reasons,
    )
