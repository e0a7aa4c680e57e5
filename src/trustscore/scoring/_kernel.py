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
from numba import carray, njit, types
from numba.extending import intrinsic

__all__ = ["BLOCK", "KIND_CODES", "KIND_F32", "KIND_F64", "run_kernel"]

BLOCK: Final = 1024
KIND_F32: Final = 0
KIND_F64: Final = 1
KIND_CODES: Final = 2
_N_REASONS: Final = 4


def _pointer_intrinsic(dtype: Any) -> Any:
    @intrinsic  # type: ignore[misc]
    def as_pointer(typingctx: Any, address: Any) -> Any:
        sig = types.CPointer(dtype)(types.int64)

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            return builder.inttoptr(args[0], context.get_value_type(signature.return_type))

        return sig, codegen

    return as_pointer


_f32_ptr = _pointer_intrinsic(types.float32)
_f64_ptr = _pointer_intrinsic(types.float64)
_i32_ptr = _pointer_intrinsic(types.int32)


@njit(cache=True)  # type: ignore[misc]
def _numeric_block(x, start, m, out, edges, steps, first, svals, spts, miss):  # type: ignore[no-untyped-def]
    for i in range(m):
        out[i] = first
    for k in range(edges.shape[0]):
        e = edges[k]
        s = steps[k]
        for i in range(m):
            out[i] += np.int32(x[start + i] >= e) * s
    # specials are matched exactly (in float64, like the reference); a later one wins
    for q in range(svals.shape[0]):
        v = svals[q]
        p = spts[q]
        for i in range(m):
            if np.float64(x[start + i]) == v:
                out[i] = p
    for i in range(m):
        if np.isnan(x[start + i]):
            out[i] = miss


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
def _kernel(  # type: ignore[no-untyped-def]  # noqa: PLR0913
    n, addr, kind, first, edge_off, edges32, edges64, steps, special_off, special_values,
    special_points, missing, cat_off, cat_points, dimension, best,
    crit_addr, crit_kind, crit_op, crit_value,
    score, ok, subs, reasons, want_reasons,
):
    k = first.shape[0]
    n_dims = subs.shape[0]
    acc = np.empty((k, BLOCK), dtype=np.int32)
    okb = np.empty(BLOCK, dtype=np.bool_)
    top_lost = np.empty(_N_REASONS, dtype=np.int64)
    top_j = np.empty(_N_REASONS, dtype=np.int64)
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
                _numeric_block(x32, start, m, out, edges32[e0:e1], steps[e0:e1], first[j],
                               special_values[s0:s1], special_points[s0:s1], missing[j])
            elif kind[j] == KIND_F64:
                x64 = carray(_f64_ptr(addr[j]), n)
                _numeric_block(x64, start, m, out, edges64[e0:e1], steps[e0:e1], first[j],
                               special_values[s0:s1], special_points[s0:s1], missing[j])
            else:
                codes = carray(_i32_ptr(addr[j]), n)
                table = cat_points[cat_off[j]:cat_off[j + 1]]
                for i in range(m):
                    out[i] = table[codes[start + i] + 1]
        for i in range(m):
            score[start + i] = 0
            okb[i] = True
        for d in range(n_dims):
            for i in range(m):
                subs[d, start + i] = 0
        for j in range(k):
            d = dimension[j]
            out = acc[j]
            for i in range(m):
                score[start + i] += out[i]
                subs[d, start + i] += out[i]
        for c in range(crit_op.shape[0]):
            if crit_kind[c] == KIND_F32:
                _criterion_block(carray(_f32_ptr(crit_addr[c]), n), start, m, okb,
                                 crit_op[c], crit_value[c])
            else:
                _criterion_block(carray(_f64_ptr(crit_addr[c]), n), start, m, okb,
                                 crit_op[c], crit_value[c])
        for i in range(m):
            ok[start + i] = okb[i]
        if not want_reasons:
            continue
        for i in range(m):
            for r in range(_N_REASONS):
                reasons[r, start + i] = -1
            if not okb[i]:
                continue
            # insertion into a top-4 list; a later characteristic passes an earlier one only
            # when it lost strictly more, so ties keep artifact order
            cnt = 0
            for j in range(k):
                lost = np.int64(best[j]) - acc[j, i]
                if lost <= 0 or (cnt == _N_REASONS and lost <= top_lost[_N_REASONS - 1]):
                    continue
                p = cnt if cnt < _N_REASONS else _N_REASONS - 1
                if cnt < _N_REASONS:
                    cnt += 1
                while p > 0 and top_lost[p - 1] < lost:
                    top_lost[p] = top_lost[p - 1]
                    top_j[p] = top_j[p - 1]
                    p -= 1
                top_lost[p] = lost
                top_j[p] = j
            for r in range(cnt):
                reasons[r, start + i] = top_j[r]


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
    (first, edge_off, edges32, edges64, steps, special_off, special_values, special_points,
     missing, dimension, best, crit_op, crit_value) = compiled_arrays
    score, ok, subs, reasons = outputs
    _kernel(n, addr, kind, first, edge_off, edges32, edges64, steps, special_off, special_values,
            special_points, missing, cat_off, cat_points, dimension, best,
            crit_addr, crit_kind, crit_op, crit_value,
            score, ok, subs, reasons, want_reasons)
