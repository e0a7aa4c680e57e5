"""The fused numba kernel: one pass over the rows for points, score, sub-scores, status, reasons.

The rows are taken in blocks of :data:`BLOCK` so that each block's points per characteristic
(``int32 [k, BLOCK]``) stay in the L1/L2 cache; within a block each characteristic is scored by a
tight loop over its rows that the compiler vectorises (the branch-free form ``points = first +
sum_k [x >= edge_k] * step_k``, eight or four edges per pass, the last pass also setting missing
values and adding the points to the block's sub-score), and then the block's score, status and
top-4 reasons are formed (the top four by a min/max insertion network over the keys, four
characteristics per pass). Every input value is read from memory once.

What made it fast (measured on the 2-core Xeon of ENGINE-NOTES.md, 20 characteristics x 8 bins):

- every loop indexes a slice of the block from zero (``xs[i]`` with ``xs = x[start:start + m]``),
  never ``x[start + i]``: numba's negative-index wraparound on a computed index turns a
  vectorised load into a gather;
- software prefetch of the next block of every input and output column: with twenty and more
  columns streamed side by side the hardware prefetchers alone left the loop waiting on memory;
- few passes over each block (sub-scores summed while scoring, not in a pass of their own);
- nulls handled from the validity bitmap, eight rows per step, instead of copying each column
  to fill its nulls with NaN.

The input columns differ per artifact in number and in type (float32, float64, int32 category
codes). Rather than a typed list (whose methods numba compiles afresh in every process) or a tuple
(one compilation per arity), the kernel takes the columns' addresses as an ``int64`` array and
views each as an array inside: one compiled kernel serves every artifact. A column may come with
an Arrow validity bitmap (its address and bit offset; address 0 when the column has no nulls):
a null value is missing (and fails a criterion), whatever its data slot holds, so Arrow columns
with nulls are read without first filling the nulls with NaN. The caller keeps the arrays alive
during the call.

No fast-math: the missing-value tests rely on NaN semantics (ENGINE-NOTES.md).
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt
from llvmlite import ir
from numba import carray, njit, types  # type: ignore[attr-defined]
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["BLOCK", "KIND_CODES", "KIND_F32", "KIND_F64", "run_kernel", "string_buffers"]

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
_u8_ptr = _pointer_intrinsic(types.uint8)


def _prefetch_intrinsic(write: int) -> Any:
    @intrinsic  # type: ignore[misc]
    def prefetch(typingctx: Any, address: Any) -> Any:  # noqa: ARG001 (numba's signature)
        sig = types.void(types.int64)  # type: ignore[no-untyped-call]

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:  # noqa: ARG001
            i8p = ir.IntType(8).as_pointer()
            i32 = ir.IntType(32)
            fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
            fn = cgutils.get_or_insert_function(  # type: ignore[no-untyped-call]
                builder.module, fnty, "llvm.prefetch.p0"
            )
            # (address, read 0 / write 1, locality 3: keep in all caches, data cache)
            builder.call(fn, [builder.inttoptr(args[0], i8p), i32(write), i32(3), i32(1)])
            return context.get_dummy_value()

        return sig, codegen

    return prefetch


_prefetch_read = _prefetch_intrinsic(0)
_prefetch_write = _prefetch_intrinsic(1)


@njit(cache=True, inline="always")  # type: ignore[misc]
def _prefetch(address, nbytes, write):  # type: ignore[no-untyped-def]
    # ask for the cache lines of [address, address + nbytes) ahead of their use: with twenty and
    # more columns read side by side, the hardware prefetchers alone left the kernel waiting
    end = address + nbytes
    if write:
        while address < end:
            _prefetch_write(address)
            address += 64
    else:
        while address < end:
            _prefetch_read(address)
            address += 64


@njit(cache=True, inline="always")  # type: ignore[misc]
def _steps4(xi, e0, e1, e2, e3, s0, s1, s2, s3):  # type: ignore[no-untyped-def]
    z = np.int32(0)
    return ((s0 if xi >= e0 else z) + (s1 if xi >= e1 else z)) + (
        (s2 if xi >= e2 else z) + (s3 if xi >= e3 else z)
    )


@njit(cache=True, inline="always")  # type: ignore[misc]
def _pass8(xs, out, sub, edges, steps, k, first, miss, opening, closing):  # type: ignore[no-untyped-def]
    # one pass over the block for edges k..k+7: the opening pass starts from the first bin's
    # points, the closing one sets missing values and adds the points to the sub-score
    e0, e1, e2, e3 = edges[k], edges[k + 1], edges[k + 2], edges[k + 3]
    e4, e5, e6, e7 = edges[k + 4], edges[k + 5], edges[k + 6], edges[k + 7]
    s0, s1, s2, s3 = steps[k], steps[k + 1], steps[k + 2], steps[k + 3]
    s4, s5, s6, s7 = steps[k + 4], steps[k + 5], steps[k + 6], steps[k + 7]
    m = xs.shape[0]
    if opening and closing:
        for i in range(m):
            xi = xs[i]
            a = _steps4(xi, e0, e1, e2, e3, s0, s1, s2, s3)
            b = _steps4(xi, e4, e5, e6, e7, s4, s5, s6, s7)
            v = miss if xi != xi else np.int32(first + (a + b))
            out[i] = v
            sub[i] += v
    elif opening:
        for i in range(m):
            xi = xs[i]
            a = _steps4(xi, e0, e1, e2, e3, s0, s1, s2, s3)
            b = _steps4(xi, e4, e5, e6, e7, s4, s5, s6, s7)
            out[i] = np.int32(first + (a + b))
    elif closing:
        for i in range(m):
            xi = xs[i]
            a = _steps4(xi, e0, e1, e2, e3, s0, s1, s2, s3)
            b = _steps4(xi, e4, e5, e6, e7, s4, s5, s6, s7)
            v = miss if xi != xi else np.int32(out[i] + (a + b))
            out[i] = v
            sub[i] += v
    else:
        for i in range(m):
            xi = xs[i]
            a = _steps4(xi, e0, e1, e2, e3, s0, s1, s2, s3)
            b = _steps4(xi, e4, e5, e6, e7, s4, s5, s6, s7)
            out[i] = np.int32(out[i] + (a + b))


@njit(cache=True, inline="always")  # type: ignore[misc]
def _pass4(xs, out, sub, edges, steps, k, first, miss, opening, closing):  # type: ignore[no-untyped-def]
    # the same for edges k..k+3
    e0, e1, e2, e3 = edges[k], edges[k + 1], edges[k + 2], edges[k + 3]
    s0, s1, s2, s3 = steps[k], steps[k + 1], steps[k + 2], steps[k + 3]
    m = xs.shape[0]
    if opening and closing:
        for i in range(m):
            xi = xs[i]
            a = _steps4(xi, e0, e1, e2, e3, s0, s1, s2, s3)
            v = miss if xi != xi else np.int32(first + a)
            out[i] = v
            sub[i] += v
    elif opening:
        for i in range(m):
            out[i] = np.int32(first + _steps4(xs[i], e0, e1, e2, e3, s0, s1, s2, s3))
    elif closing:
        for i in range(m):
            xi = xs[i]
            a = _steps4(xi, e0, e1, e2, e3, s0, s1, s2, s3)
            v = miss if xi != xi else np.int32(out[i] + a)
            out[i] = v
            sub[i] += v
    else:
        for i in range(m):
            out[i] = np.int32(out[i] + _steps4(xs[i], e0, e1, e2, e3, s0, s1, s2, s3))


@njit(cache=True)  # type: ignore[misc]
def _numeric_block(xs, out, sub, edges, steps, first, svals, spts, miss):  # type: ignore[no-untyped-def]
    # a characteristic's points for the block's rows into out, added to its sub-score in sub.
    # The edges come in groups of four (padded with NaN edges and zero steps, see _compiled):
    # one pass over the rows per eight edges, then one for a last group of four
    m = xs.shape[0]
    n_edges = edges.shape[0]
    if n_edges == 0:
        for i in range(m):
            xi = xs[i]
            v = miss if xi != xi else first
            out[i] = v
            sub[i] += v
    k = 0
    while k < n_edges:
        if k + 8 <= n_edges:
            _pass8(xs, out, sub, edges, steps, k, first, miss, k == 0, k + 8 == n_edges)
            k += 8
        else:
            _pass4(xs, out, sub, edges, steps, k, first, miss, k == 0, k + 4 == n_edges)
            k += 4
    # specials are matched exactly (in float64, like the reference), a later one winning; they
    # are never NaN, so matching them after the missing test changes nothing
    for q in range(svals.shape[0]):
        v = svals[q]
        p = spts[q]
        for i in range(m):
            old = out[i]
            new = p if np.float64(xs[i]) == v else old
            out[i] = new
            sub[i] += new - old


@njit(cache=True)  # type: ignore[misc]
def _criterion_block(xs, ok, op, value):  # type: ignore[no-untyped-def]
    # ok (uint8) stays 1 where the criterion holds; one loop per operator, so that each
    # vectorises. NaN (missing) fails every operator
    m = xs.shape[0]
    zero = np.uint8(0)
    if op == 0:
        for i in range(m):
            ok[i] = ok[i] if np.float64(xs[i]) >= value else zero
    elif op == 1:
        for i in range(m):
            ok[i] = ok[i] if np.float64(xs[i]) > value else zero
    elif op == 2:
        for i in range(m):
            ok[i] = ok[i] if np.float64(xs[i]) <= value else zero
    elif op == 3:
        for i in range(m):
            ok[i] = ok[i] if np.float64(xs[i]) < value else zero
    elif op == 4:
        for i in range(m):
            ok[i] = ok[i] if np.float64(xs[i]) == value else zero
    elif op == 5:
        for i in range(m):
            v = np.float64(xs[i])
            ok[i] = ok[i] if (v != value) & (v == v) else zero
    else:
        for i in range(m):
            v = xs[i]
            ok[i] = ok[i] if v == v else zero


_ONES: Final = np.uint64(0x0101010101010101)
_BITS: Final = np.uint64(0x8040201008040201)
_SEVENS: Final = np.uint64(0x7F7F7F7F7F7F7F7F)


@njit(cache=True)  # type: ignore[misc]
def _expand_validity(valid_addr, bit0, m, valid):  # type: ignore[no-untyped-def]
    # Arrow's validity bits for rows bit0 .. bit0 + m into one byte (0 or 1) per row, eight
    # rows per step without a branch: byte t of ((b * ONES) & BITS) is bit t of b, and adding
    # 0x7F moves a non-zero byte's value into its top bit. Row i's byte is valid[shift + i]
    first_byte = bit0 >> 3
    shift = bit0 & 7
    n_bytes = (shift + m + 7) >> 3
    bits = carray(_u8_ptr(valid_addr + first_byte), n_bytes)
    words = valid.view(np.uint64)
    for q in range(n_bytes):
        spread = (np.uint64(bits[q]) * _ONES) & _BITS
        words[q] = ((spread + _SEVENS) >> np.uint64(7)) & _ONES
    return shift


@njit(cache=True, inline="always")  # type: ignore[misc]
def _insert(v, x1, x2, x3, x4):  # type: ignore[no-untyped-def]
    # x1 > x2 > x3 > x4, the largest keys so far; v joins them and the smallest drops out
    return max(x1, v), max(x2, min(x1, v)), max(x3, min(x2, v)), max(x4, min(x3, v))


@njit(cache=True)  # type: ignore[misc]
def _top4(acc, m, keybase, span, t1, t2, t3, t4):  # type: ignore[no-untyped-def]
    k = acc.shape[0]
    none = np.int32(-1)
    for i in range(m):
        t1[i] = none
        t2[i] = none
        t3[i] = none
        t4[i] = none
    j = 0
    while j + 4 <= k:
        p0 = acc[j, :m]
        p1 = acc[j + 1, :m]
        p2 = acc[j + 2, :m]
        p3 = acc[j + 3, :m]
        b0 = keybase[j]
        b1 = keybase[j + 1]
        b2 = keybase[j + 2]
        b3 = keybase[j + 3]
        for i in range(m):
            x1, x2, x3, x4 = t1[i], t2[i], t3[i], t4[i]
            x1, x2, x3, x4 = _insert(np.int32(b0 - p0[i] * span), x1, x2, x3, x4)
            x1, x2, x3, x4 = _insert(np.int32(b1 - p1[i] * span), x1, x2, x3, x4)
            x1, x2, x3, x4 = _insert(np.int32(b2 - p2[i] * span), x1, x2, x3, x4)
            x1, x2, x3, x4 = _insert(np.int32(b3 - p3[i] * span), x1, x2, x3, x4)
            t1[i], t2[i], t3[i], t4[i] = x1, x2, x3, x4
        j += 4
    while j < k:
        p0 = acc[j, :m]
        b0 = keybase[j]
        for i in range(m):
            x1, x2, x3, x4 = _insert(np.int32(b0 - p0[i] * span), t1[i], t2[i], t3[i], t4[i])
            t1[i], t2[i], t3[i], t4[i] = x1, x2, x3, x4
        j += 1


@njit(cache=True)  # type: ignore[misc]
def _decode(t, okm, span, out):  # type: ignore[no-untyped-def]
    # a key >= span lost points: its low bits give the characteristic back; else no reason
    low = np.int32(span - 1)
    for i in range(t.shape[0]):
        v = t[i]
        out[i] = np.int16(low - (v & low)) if (okm[i] != 0) & (v >= span) else np.int16(-1)


@njit(cache=True)  # type: ignore[misc]
def _kernel(  # type: ignore[no-untyped-def]
    n,
    addr,
    kind,
    valid_addr,
    valid_off,
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
    crit_valid_addr,
    crit_valid_off,
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
    sb = np.empty((n_dims, BLOCK), dtype=np.int32)  # the block's sub-scores
    okb = np.empty(BLOCK, dtype=np.uint8)
    valid = np.empty(BLOCK + 16, dtype=np.uint8)  # room for 8 bytes of bits, 8 rows each
    t1 = np.empty(BLOCK, dtype=np.int32)
    t2 = np.empty(BLOCK, dtype=np.int32)
    t3 = np.empty(BLOCK, dtype=np.int32)
    t4 = np.empty(BLOCK, dtype=np.int32)
    power = 1
    while power < k:
        power *= 2
    span = np.int32(power)  # a power of two >= k: the position sits in the low bits of a key
    # key_j = (best_j - points_j) * span + (span - 1 - j) = keybase_j - points_j * span
    keybase = np.empty(k, dtype=np.int32)
    for j in range(k):
        keybase[j] = best[j] * span + (span - 1 - j)
    score_addr = score.ctypes.data
    ok_addr = ok.ctypes.data
    subs_addr = subs.ctypes.data
    reasons_addr = reasons.ctypes.data
    for start in range(0, n, BLOCK):
        m = min(BLOCK, n - start)
        stop = start + m
        ahead = min(BLOCK, max(n - stop, 0))  # rows of the next block
        sb[:, :m] = 0
        for j in range(k):
            width = 8 if kind[j] == KIND_F64 else 4
            _prefetch(addr[j] + stop * width, ahead * width, False)
            out = acc[j, :m]
            sub = sb[dimension[j], :m]
            e0 = edge_off[j]
            e1 = edge_off[j + 1]
            s0 = special_off[j]
            s1 = special_off[j + 1]
            if kind[j] == KIND_F32:
                x32 = carray(_f32_ptr(addr[j]), n)
                _numeric_block(
                    x32[start:stop],
                    out,
                    sub,
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
                    x64[start:stop],
                    out,
                    sub,
                    edges64[e0:e1],
                    steps[e0:e1],
                    first[j],
                    special_values[s0:s1],
                    special_points[s0:s1],
                    missing[j],
                )
            else:
                codes = carray(_i32_ptr(addr[j]), n)[start:stop]
                table = cat_points[cat_off[j] : cat_off[j + 1]]
                for i in range(m):
                    v = table[codes[i] + 1]
                    out[i] = v
                    sub[i] += v
            if valid_addr[j]:  # Arrow nulls are missing, whatever their data slot holds
                sh = _expand_validity(valid_addr[j], valid_off[j] + start, m, valid)
                vm = valid[sh : sh + m]
                miss = missing[j]
                for i in range(m):
                    old = out[i]
                    new = old if vm[i] else miss
                    out[i] = new
                    sub[i] += new - old
        okm = okb[:m]
        okm[:] = 1
        for c in range(crit_op.shape[0]):
            width = 8 if crit_kind[c] == KIND_F64 else 4
            _prefetch(crit_addr[c] + stop * width, ahead * width, False)
            if crit_kind[c] == KIND_F32:
                xs32 = carray(_f32_ptr(crit_addr[c]), n)[start:stop]
                _criterion_block(xs32, okm, crit_op[c], crit_value[c])
            else:
                xs64 = carray(_f64_ptr(crit_addr[c]), n)[start:stop]
                _criterion_block(xs64, okm, crit_op[c], crit_value[c])
            if crit_valid_addr[c]:  # a null fails the criterion
                sh = _expand_validity(crit_valid_addr[c], crit_valid_off[c] + start, m, valid)
                vm = valid[sh : sh + m]
                for i in range(m):
                    okm[i] &= vm[i]
        _prefetch(ok_addr + stop, ahead, True)
        _prefetch(score_addr + 4 * stop, 4 * ahead, True)
        for d in range(n_dims):
            _prefetch(subs_addr + 4 * (d * n + stop), 4 * ahead, True)
        okout = ok[start:stop]
        for i in range(m):
            okout[i] = okm[i] != 0
        sc = score[start:stop]
        for i in range(m):
            sc[i] = 0
        for d in range(n_dims):  # the score is the sum of the sub-scores, exactly
            sub = sb[d, :m]
            subs[d, start:stop] = sub
            for i in range(m):
                sc[i] += sub[i]
        if not want_reasons:
            continue
        # top four without branches: fold loss and position into one key per characteristic,
        # unique within a row, larger for more points lost and, among equal losses, for the
        # earlier characteristic; then keep each row's four largest keys, sorted, by inserting
        # the keys one by one with min/max (four characteristics per pass over the block)
        for r in range(_N_REASONS):
            _prefetch(reasons_addr + 2 * (r * n + stop), 2 * ahead, True)
        _top4(acc, m, keybase, span, t1, t2, t3, t4)
        _decode(t1[:m], okm, span, reasons[0, start:stop])
        _decode(t2[:m], okm, span, reasons[1, start:stop])
        _decode(t3[:m], okm, span, reasons[2, start:stop])
        _decode(t4[:m], okm, span, reasons[3, start:stop])


def run_kernel(
    n: int,
    columns: tuple[npt.NDArray[np.int64], ...],
    compiled_arrays: tuple[Any, ...],
    cat_off: npt.NDArray[np.int64],
    cat_points: npt.NDArray[np.int32],
    criteria: tuple[npt.NDArray[np.int64], ...],
    outputs: tuple[Any, ...],
    *,
    want_reasons: bool,
) -> None:
    """Call the kernel (the argument plumbing lives in :mod:`trustscore.scoring._score`).

    ``columns`` and ``criteria`` are each ``(address, kind, validity address, validity bit
    offset)``, one entry per characteristic / criterion.
    """
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
    addr, kind, valid_addr, valid_off = columns
    crit_addr, crit_kind, crit_valid_addr, crit_valid_off = criteria
    score, ok, subs, reasons = outputs
    _kernel(
        n,
        addr,
        kind,
        valid_addr,
        valid_off,
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
        crit_valid_addr,
        crit_valid_off,
        crit_op,
        crit_value,
        score,
        ok,
        subs,
        reasons,
        want_reasons,
    )


@njit(cache=True)  # type: ignore[misc]
def _string_buffers(idx, text_off, text, offsets, data):  # type: ignore[no-untyped-def]
    # row i gets text idx[i], or nothing when idx[i] < 0
    pos = 0
    offsets[0] = 0
    for i in range(idx.shape[0]):
        j = idx[i]
        if j >= 0:
            for q in range(text_off[j], text_off[j + 1]):
                data[pos] = text[q]
                pos += 1
        offsets[i + 1] = pos
    return pos


@njit(cache=True)  # type: ignore[misc]
def _fixed_width_buffers(idx, table, width, offsets, data):  # type: ignore[no-untyped-def]
    # the same when every text is one word of ``width`` bytes: the word is stored whatever the
    # row (data has room for one more) and kept by moving the position past it, without a branch
    pos = 0
    offsets[0] = 0
    for i in range(idx.shape[0]):
        j = idx[i]
        keep = j >= 0
        data[pos] = table[j if keep else 0]
        pos += 1 if keep else 0
        offsets[i + 1] = pos * width
    return pos


_WORDS: Final = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def string_buffers(
    idx: npt.NDArray[Any], texts: tuple[bytes, ...]
) -> tuple[npt.NDArray[np.uint8] | None, npt.NDArray[np.int32], npt.NDArray[Any], int]:
    """The Arrow buffers of a string array whose row ``i`` is ``texts[idx[i]]`` (null if < 0).

    Returns the validity bitmap (None without nulls), the int32 offsets, the character data and
    the null count, for ``pyarrow.Array.from_buffers``: several times faster than ``take`` on a
    string array.
    """
    n = idx.shape[0]
    longest = max((len(t) for t in texts), default=0)
    if n * longest >= 2**31:
        msg = f"{n} rows of text up to {longest} bytes exceed an Arrow string array's 2 GiB."
        raise ValueError(msg)
    present = idx >= 0
    nulls = n - int(np.count_nonzero(present))
    valid = np.packbits(present, bitorder="little") if nulls else None
    offsets = np.empty(n + 1, dtype=np.int32)
    word = _WORDS.get(longest)
    if texts and word is not None and all(len(t) == longest for t in texts):
        table = np.frombuffer(b"".join(texts), dtype=word)
        words = np.empty(n + 1, dtype=word)
        size = _fixed_width_buffers(idx, table, longest, offsets, words)
        return valid, offsets, words[:size].view(np.uint8), nulls
    text_off = np.zeros(len(texts) + 1, dtype=np.int64)
    text_off[1:] = np.cumsum([len(t) for t in texts])
    text = np.frombuffer(b"".join(texts) + b"\0", dtype=np.uint8)
    data = np.empty(n * longest + 1, dtype=np.uint8)
    size = _string_buffers(idx, text_off, text, offsets, data)
    return valid, offsets, data[:size], nulls
