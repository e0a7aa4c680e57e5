"""The fused numba kernel: one pass over the rows for points, score, sub-scores, status, reasons.

The rows are taken in blocks of :data:`BLOCK`. Within a block, each characteristic is scored by
one tight, branch-free loop over the block's rows that the compiler vectorises: it reads the
value and the row's validity, computes the points as ``first + sum_k [x >= edge_k] * step_k``
(four or eight edges per loop), sets missing (NaN or null) rows, adds the points to the row's
sub-score and stores the characteristic's *reason key* for the row. Then the block's criteria
give the status, the sub-scores add up to the score, and the four largest reason keys of each
row (a min/max insertion network, four elements per pass) give the reasons.
Characteristics with more than eight edges or with special values take a few loops more
(points first, specials over them, then missing, sub-score and key); categorical ones read
int32 codes through a points table.

Interactions (pairs of characteristics, after them among the *elements*) take a second,
simpler pass over the block, after the characteristics, while their inputs' columns are still
in the cache. Each input's value gets its place on the pair's axis, by the rules of the
characteristic that reads it (``[x >= edge]`` counts with the edges rounded up to float32 for
float32 columns; NaN, null and special values, and unseen or missing categories, are *off*
the axis), one vectorised loop per input (:func:`_axis_numeric`, :func:`_axis_codes`); then one
loop looks the cell's points up (the ``otherwise`` points where either input is off), adds them
to the sub-score and stores the pair's reason key (:func:`_pair`). An artifact without
interactions runs none of this.

A reason key packs the points an element lost against its baseline and the reason *slot* its
outcome gives into one integer, ``lost * span + (span - 1 - slot)`` with ``span`` the power of
two at or above the number of the artifact's reason slots (each characteristic's adverse and
no-information slots, each interaction's one, in artifact order): a larger key lost more
points or, losing as many, comes earlier in the artifact (characteristics before
interactions), which is the reference's order, and a row's four largest keys are its reasons,
those at or above ``span`` (a loss of 0 or less, such as a missing value that earns more than
the best bin, or an interaction's ``otherwise``, is no reason). A value in a bin keeps the key
linear in its points (``keybase - points * span``), so the fused loops compute it as they did;
a missing value takes its constant key in the same loop, special values, category levels and
interaction cells theirs from tables (:mod:`trustscore.scoring._compiled`). A valid artifact
keeps each loss within -1000..1000, so up to 32 slots the keys are ``int16`` (32 rows to a
512-bit vector), and beyond where the losses allow (the benchmark's 20 characteristics);
else ``int32`` (or ``int64``, see
:attr:`trustscore.scoring._compiled.CompiledScorecard.key_type`).

What made it fast (20 float32 characteristics x 8 bins, 2 % nulls; benchmarks/scoring):

- every loop indexes a slice of the block from zero (``xs[i]`` with ``xs = x[start:start + m]``),
  never ``x[start + i]``: numba's negative-index wraparound on a computed index turns a
  vectorised load into a gather;
- one loop per characteristic and block does all its work: the points stay in registers, where
  separate passes for points, nulls, sub-scores and reason keys each went through memory;
- nulls are read from the Arrow validity bitmap, expanded to one byte per row eight rows per
  step, not by copying each column to fill its nulls with NaN;
- software prefetch of every input column's (and bitmap's) next block, into L2: with twenty
  and more columns streamed side by side the hardware prefetchers alone left the loop waiting;
- 512-bit vectors where the CPU has AVX-512, also on Intel server cores, whose LLVM tuning
  otherwise stops at 256 (:func:`_wide_vectors_typer`);
- the outputs are as narrow as their types allow (reason indices ``int8``) and come from Arrow's
  memory pool, which reuses freed memory: numpy maps (and the OS zeroes) fresh pages for every
  large array;
- for ``score()``, the kernel also writes the Arrow buffers of the status and reason columns
  (:class:`TextOutputs`), block by block while the block's status and reasons are in the cache,
  rather than in passes over the whole column afterwards.

The input columns differ per artifact in number and in type (float32, float64, int32 category
codes). Rather than a typed list (whose methods numba compiles afresh in every process) or a tuple
(one compilation per arity), the kernel takes the columns' addresses as an ``int64`` array and
views each as an array inside: one compiled kernel serves every artifact. A column may come with
an Arrow validity bitmap (its address and bit offset; address 0 when the column has no nulls):
a null value is missing (and fails a criterion), whatever its data slot holds, so Arrow columns
with nulls are read without first filling the nulls with NaN. The caller keeps the arrays alive
during the call.

No fast-math: the missing-value tests rely on NaN semantics (ENGINE-NOTES.md); the comparisons
are exact (float32 columns against edges rounded up to float32, see
:mod:`trustscore.scoring._compiled`) and integer points make every sum exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from llvmlite import ir
from numba import carray, njit, types  # type: ignore[attr-defined]
from numba.core import cgutils
from numba.extending import intrinsic

from trustscore.scoring._compiled import CompiledScorecard

__all__ = [
    "BLOCK",
    "KIND_CODES",
    "KIND_F32",
    "KIND_F64",
    "STATUS_TEXTS",
    "TextOutputs",
    "kernel_outputs",
    "reason_dtype",
    "run_kernel",
    "string_buffers",
    "text_outputs",
]

BLOCK: Final = 2048
KIND_F32: Final = 0
KIND_F64: Final = 1
KIND_CODES: Final = 2
_N_REASONS: Final = 4
_POOL_FROM: Final = 1 << 20  # bytes
_NO_TABLE: Final = np.zeros(1, dtype=np.int32)


def reason_dtype(n_slots: int) -> type[np.signedinteger[Any]]:
    """The narrowest integer type that holds a reason slot's index, or -1 for none."""
    return np.int8 if n_slots <= np.iinfo(np.int8).max else np.int16


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


def _store_word_typer(typingctx: Any, address: Any, value: Any) -> Any:  # noqa: ARG001
    # store a uint64 at any byte address (align 1: x86 stores a word at any address)
    sig = types.void(types.int64, types.uint64)  # type: ignore[no-untyped-call]

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:  # noqa: ARG001
        ptr = builder.inttoptr(args[0], ir.IntType(64).as_pointer())
        builder.store(args[1], ptr, align=1)
        return context.get_dummy_value()

    return sig, codegen


_store_word: Any = intrinsic(_store_word_typer)


def _prefetch_intrinsic(write: int, locality: int) -> Any:
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
            # (address, read 0 / write 1, locality 0..3, data cache)
            ptr = builder.inttoptr(args[0], i8p)
            builder.call(fn, [ptr, i32(write), i32(locality), i32(1)])
            return context.get_dummy_value()

        return sig, codegen

    return prefetch


_prefetch_read = _prefetch_intrinsic(0, 2)


def _wide_vectors_typer(typingctx: Any) -> Any:  # noqa: ARG001 (numba's signature)
    # let LLVM vectorise the calling function 512 bits wide where the CPU has AVX-512: its
    # tuning for Intel's server cores (skylake-avx512 and later) prefers 256 bits, which halves
    # the rate of the compares that bin the values (one port takes them, at any width). A
    # no-op on CPUs without AVX-512
    sig = types.void()  # type: ignore[no-untyped-call]

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:  # noqa: ARG001
        attributes = builder.function.attributes
        # llvmlite knows no string attributes: add them to the set it writes out
        set.add(attributes, '"prefer-vector-width"="512"')
        set.add(attributes, '"min-legal-vector-width"="512"')
        return context.get_dummy_value()

    return sig, codegen


_wide_vectors: Any = intrinsic(_wide_vectors_typer)


@njit(cache=True, inline="always")  # type: ignore[misc]
def _prefetch(address, nbytes):  # type: ignore[no-untyped-def]
    # ask for the cache lines of [address, address + nbytes) ahead of their use, into L2: with
    # twenty and more columns read side by side, the hardware prefetchers alone left the
    # kernel waiting on memory
    end = address + nbytes
    while address < end:
        _prefetch_read(address)
        address += 64


@njit(cache=True, inline="always")  # type: ignore[misc]
def _step(xi, e, s):  # type: ignore[no-untyped-def]
    return s if xi >= e else np.int32(0)


@njit(cache=True, inline="always")  # type: ignore[misc]
def _steps4(xi, e0, e1, e2, e3, s0, s1, s2, s3):  # type: ignore[no-untyped-def]
    return (_step(xi, e0, s0) + _step(xi, e1, s1)) + (_step(xi, e2, s2) + _step(xi, e3, s3))


@njit(cache=True)  # type: ignore[misc]
def _points8(xs, pts, edges, steps, k, first, opening):  # type: ignore[no-untyped-def]
    # the points of edges k..k+7 into (opening) or added to pts: characteristics with more
    # edges than one loop takes, or with special values
    _wide_vectors()
    e0, e1, e2, e3 = edges[k], edges[k + 1], edges[k + 2], edges[k + 3]
    e4, e5, e6, e7 = edges[k + 4], edges[k + 5], edges[k + 6], edges[k + 7]
    s0, s1, s2, s3 = steps[k], steps[k + 1], steps[k + 2], steps[k + 3]
    s4, s5, s6, s7 = steps[k + 4], steps[k + 5], steps[k + 6], steps[k + 7]
    m = xs.shape[0]
    if opening:
        for i in range(m):
            xi = xs[i]
            a = _steps4(xi, e0, e1, e2, e3, s0, s1, s2, s3)
            b = _steps4(xi, e4, e5, e6, e7, s4, s5, s6, s7)
            pts[i] = np.int32(first + (a + b))
    else:
        for i in range(m):
            xi = xs[i]
            a = _steps4(xi, e0, e1, e2, e3, s0, s1, s2, s3)
            b = _steps4(xi, e4, e5, e6, e7, s4, s5, s6, s7)
            pts[i] = np.int32(pts[i] + (a + b))


@njit(cache=True)  # type: ignore[misc]
def _points4(xs, pts, edges, steps, k, first, opening):  # type: ignore[no-untyped-def]
    # the same for edges k..k+3
    _wide_vectors()
    e0, e1, e2, e3 = edges[k], edges[k + 1], edges[k + 2], edges[k + 3]
    s0, s1, s2, s3 = steps[k], steps[k + 1], steps[k + 2], steps[k + 3]
    m = xs.shape[0]
    if opening:
        for i in range(m):
            pts[i] = np.int32(first + _steps4(xs[i], e0, e1, e2, e3, s0, s1, s2, s3))
    else:
        for i in range(m):
            pts[i] = np.int32(pts[i] + _steps4(xs[i], e0, e1, e2, e3, s0, s1, s2, s3))


@njit(cache=True)  # type: ignore[misc]
def _fused8(xs, vm, sub, keys, edges, steps, first, miss, keybase, mkey, span):  # type: ignore[no-untyped-def]
    # a characteristic of up to eight edges, all its work in one loop: points, missing (NaN or
    # null), sub-score, and the reason key (when keys is not empty): linear in the points for a
    # bin (the adverse slot), the constant mkey for a missing value (the no-information slot)
    _wide_vectors()
    e0, e1, e2, e3 = edges[0], edges[1], edges[2], edges[3]
    e4, e5, e6, e7 = edges[4], edges[5], edges[6], edges[7]
    s0, s1, s2, s3 = steps[0], steps[1], steps[2], steps[3]
    s4, s5, s6, s7 = steps[4], steps[5], steps[6], steps[7]
    m = xs.shape[0]
    if keys.shape[0]:
        for i in range(m):
            xi = xs[i]
            a = _steps4(xi, e0, e1, e2, e3, s0, s1, s2, s3)
            b = _steps4(xi, e4, e5, e6, e7, s4, s5, s6, s7)
            off = (xi != xi) | (vm[i] == 0)
            v = miss if off else np.int32(first + (a + b))
            sub[i] += v
            keys[i] = mkey if off else keybase - v * span
    else:
        for i in range(m):
            xi = xs[i]
            a = _steps4(xi, e0, e1, e2, e3, s0, s1, s2, s3)
            b = _steps4(xi, e4, e5, e6, e7, s4, s5, s6, s7)
            sub[i] += miss if (xi != xi) | (vm[i] == 0) else np.int32(first + (a + b))


@njit(cache=True)  # type: ignore[misc]
def _fused4(xs, vm, sub, keys, edges, steps, first, miss, keybase, mkey, span):  # type: ignore[no-untyped-def]
    # the same for up to four edges
    _wide_vectors()
    e0, e1, e2, e3 = edges[0], edges[1], edges[2], edges[3]
    s0, s1, s2, s3 = steps[0], steps[1], steps[2], steps[3]
    m = xs.shape[0]
    if keys.shape[0]:
        for i in range(m):
            xi = xs[i]
            a = _steps4(xi, e0, e1, e2, e3, s0, s1, s2, s3)
            off = (xi != xi) | (vm[i] == 0)
            v = miss if off else np.int32(first + a)
            sub[i] += v
            keys[i] = mkey if off else keybase - v * span
    else:
        for i in range(m):
            xi = xs[i]
            a = _steps4(xi, e0, e1, e2, e3, s0, s1, s2, s3)
            sub[i] += miss if (xi != xi) | (vm[i] == 0) else np.int32(first + a)


@njit(cache=True)  # type: ignore[misc]
def _finish(xs, vm, pts, sub, keys, miss, mkey):  # type: ignore[no-untyped-def]
    # the points and keys already in pts and keys: missing rows, sub-score and reason key
    _wide_vectors()
    m = pts.shape[0]
    if keys.shape[0]:
        for i in range(m):
            xi = xs[i]
            off = (xi != xi) | (vm[i] == 0)
            sub[i] += miss if off else pts[i]
            keys[i] = mkey if off else keys[i]
    else:
        for i in range(m):
            xi = xs[i]
            sub[i] += miss if (xi != xi) | (vm[i] == 0) else pts[i]


@njit(cache=True)  # type: ignore[misc]
def _numeric(  # type: ignore[no-untyped-def]
    xs, vm, pts, sub, keys, edges, steps, first, svals, spts, skeys, miss, keybase, mkey, span
):
    # a numeric characteristic for the block's rows. The edges come in groups of four (padded
    # with NaN edges, x >= NaN being false, and zero steps, see _compiled); up to eight edges
    # and no special values (the common case) take one loop
    _wide_vectors()
    n_edges = edges.shape[0]
    if svals.shape[0] == 0 and (n_edges == 4 or n_edges == 8):
        if n_edges == 8:
            _fused8(xs, vm, sub, keys, edges, steps, first, miss, keybase, mkey, span)
        else:
            _fused4(xs, vm, sub, keys, edges, steps, first, miss, keybase, mkey, span)
        return
    m = xs.shape[0]
    if n_edges == 0:
        for i in range(m):
            pts[i] = first
    k = 0
    while k < n_edges:
        if k + 8 <= n_edges:
            _points8(xs, pts, edges, steps, k, first, k == 0)
            k += 8
        else:
            _points4(xs, pts, edges, steps, k, first, k == 0)
            k += 4
    # the bins' keys (the adverse slot); special values are matched exactly (in float64, like
    # the reference), a later one winning, with their own keys (the no-information slot);
    # missing rows are set after them (a null's data slot may hold a special value)
    with_keys = keys.shape[0] != 0
    if with_keys:
        for i in range(m):
            keys[i] = keybase - pts[i] * span
    for q in range(svals.shape[0]):
        v = svals[q]
        p = spts[q]
        for i in range(m):
            pts[i] = p if np.float64(xs[i]) == v else pts[i]
        if with_keys:
            sk = skeys[q]
            for i in range(m):
                keys[i] = sk if np.float64(xs[i]) == v else keys[i]
    _finish(xs, vm, pts, sub, keys, miss, mkey)


@njit(cache=True)  # type: ignore[misc]
def _categorical(codes, table, ktable, sub, keys):  # type: ignore[no-untyped-def]
    # int32 category codes (-1: missing) through the code + 1 -> points and -> key tables
    _wide_vectors()
    m = codes.shape[0]
    if keys.shape[0]:
        for i in range(m):
            c = codes[i] + 1
            sub[i] += table[c]
            keys[i] = ktable[c]
    else:
        for i in range(m):
            sub[i] += table[codes[i] + 1]


@njit(cache=True)  # type: ignore[misc]
def _axis_numeric(xs, vm, out, edges, scale, off, svals):  # type: ignore[no-untyped-def]
    # an interaction input's place on its numeric axis: scale x (the number of the axis's
    # edges at or below x), or off where the input's own rules send x to missing (NaN or null)
    # or to a special value. The edges come in groups of four, padded like the bins' edges
    _wide_vectors()
    m = xs.shape[0]
    one = np.int32(1)
    n_edges = edges.shape[0]
    if n_edges == 4 and svals.shape[0] == 0:  # the common case, one loop
        e0, e1, e2, e3 = edges[0], edges[1], edges[2], edges[3]
        for i in range(m):
            xi = xs[i]
            a = _steps4(xi, e0, e1, e2, e3, one, one, one, one)
            out[i] = off if (xi != xi) | (vm[i] == 0) else np.int32(a * scale)
        return
    for i in range(m):
        out[i] = 0
    for k in range(0, n_edges, 4):
        e0, e1, e2, e3 = edges[k], edges[k + 1], edges[k + 2], edges[k + 3]
        for i in range(m):
            out[i] = np.int32(out[i] + _steps4(xs[i], e0, e1, e2, e3, one, one, one, one))
    for i in range(m):
        xi = xs[i]
        out[i] = off if (xi != xi) | (vm[i] == 0) else np.int32(out[i] * scale)
    # special values are matched exactly, in float64, as the characteristic matches them
    for q in range(svals.shape[0]):
        v = svals[q]
        for i in range(m):
            out[i] = off if np.float64(xs[i]) == v else out[i]


@njit(cache=True)  # type: ignore[misc]
def _axis_codes(codes, table, out):  # type: ignore[no-untyped-def]
    # an interaction input's place on its categorical axis, through the code + 1 -> place
    # table of the batch (off for null, for a level in no group, and for NaN)
    _wide_vectors()
    for i in range(codes.shape[0]):
        out[i] = table[codes[i] + 1]


@njit(cache=True)  # type: ignore[misc]
def _pair(ra, rb, cells, ckeys, top, sub, keys):  # type: ignore[no-untyped-def]
    # an interaction's points and reason key from its inputs' places: cell a + b, or otherwise
    # (at index top) where either input is off its axis (off = top, so a + b >= top). The index is
    # unsigned, which spares numba's negative-index test (about 7 % of a pair's time here);
    # LLVM leaves the lookup scalar for znver5 (no gather), and fusing the places into this
    # loop, which then stayed scalar too, was slower
    _wide_vectors()
    m = ra.shape[0]
    if keys.shape[0]:
        for i in range(m):
            c = np.uint32(min(ra[i] + rb[i], top))
            sub[i] += cells[c]
            keys[i] = ckeys[c]
    else:
        for i in range(m):
            sub[i] += cells[np.uint32(min(ra[i] + rb[i], top))]


@njit(cache=True)  # type: ignore[misc]
def _criterion_block(xs, ok, op, value):  # type: ignore[no-untyped-def]
    # ok (uint8) stays 1 where the criterion holds; one loop per operator, so that each
    # vectorises. NaN (missing) fails every operator
    _wide_vectors()
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
_LENGTH_SHIFT: Final = np.uint64(56)  # a short text's length, in its word's top byte
_BITS: Final = np.uint64(0x8040201008040201)
_SEVENS: Final = np.uint64(0x7F7F7F7F7F7F7F7F)


@njit(cache=True)  # type: ignore[misc]
def _expand_validity(valid_addr, bit0, m, valid):  # type: ignore[no-untyped-def]
    # Arrow's validity bits for rows bit0 .. bit0 + m into one byte (0 or 1) per row, eight
    # rows per step without a branch: byte t of ((b * ONES) & BITS) is bit t of b, and adding
    # 0x7F moves a non-zero byte's value into its top bit. Row i's byte is valid[shift + i]
    _wide_vectors()
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
def _top4(keys, m, none, t1, t2, t3, t4):  # type: ignore[no-untyped-def]
    # each row's four largest keys, largest first, four elements per pass; none (-1)
    # is below every key
    _wide_vectors()
    k = keys.shape[0]
    for i in range(m):
        t1[i] = none
        t2[i] = none
        t3[i] = none
        t4[i] = none
    j = 0
    while j + 4 <= k:
        p0 = keys[j, :m]
        p1 = keys[j + 1, :m]
        p2 = keys[j + 2, :m]
        p3 = keys[j + 3, :m]
        for i in range(m):
            x1, x2, x3, x4 = t1[i], t2[i], t3[i], t4[i]
            x1, x2, x3, x4 = _insert(p0[i], x1, x2, x3, x4)
            x1, x2, x3, x4 = _insert(p1[i], x1, x2, x3, x4)
            x1, x2, x3, x4 = _insert(p2[i], x1, x2, x3, x4)
            x1, x2, x3, x4 = _insert(p3[i], x1, x2, x3, x4)
            t1[i], t2[i], t3[i], t4[i] = x1, x2, x3, x4
        j += 4
    while j < k:
        p0 = keys[j, :m]
        for i in range(m):
            x1, x2, x3, x4 = _insert(p0[i], t1[i], t2[i], t3[i], t4[i])
            t1[i], t2[i], t3[i], t4[i] = x1, x2, x3, x4
        j += 1


@njit(cache=True)  # type: ignore[misc]
def _decode(t, okm, span, out):  # type: ignore[no-untyped-def]
    # a key >= span lost points: its low bits give the reason slot back; a smaller key (no
    # loss, or a negative one) is no reason
    _wide_vectors()
    low = span - 1
    for i in range(t.shape[0]):
        v = t[i]
        out[i] = low - np.int32(v & low) if (okm[i] != 0) & (v >= span) else -1


@njit(cache=True)  # type: ignore[misc]
def _narrowed(keys, key_type):  # type: ignore[no-untyped-def]
    # int64 keys as key_type, which holds them all (CompiledScorecard.key_type)
    out = np.empty(keys.shape[0], dtype=key_type)
    for i in range(keys.shape[0]):
        out[i] = keys[i]
    return out


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
    special_keys,
    missing,
    cat_off,
    cat_points,
    cat_keys,
    dimension,
    keybase,
    missing_key,
    slot_span,
    pair_inputs,
    pair_scale,
    pair_top,
    pair_cell_off,
    pair_cells,
    pair_keys,
    axis_edge_off,
    axis_edges32,
    axis_edges64,
    axis_cat_off,
    axis_cat,
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
    key_type,
    out_row,
    want_status,
    status_words,
    status_chars,
    status_ends,
    want_texts,
    text_words,
    text_ends,
    text_addr,
    text_pos,
):
    _wide_vectors()
    k = first.shape[0]  # the characteristics, then the interactions: the elements
    n_elements = dimension.shape[0]
    n_pairs = pair_top.shape[0]
    n_dims = subs.shape[0]
    # a power of two >= the reason slots: the slot sits in the low bits of a key (_compiled)
    span = np.int32(slot_span)
    # the keys as narrow as key_type allows: a bin's key, keybase_j - points * span, is
    # computed in it; missing, special, category and cell keys are looked up
    kb = _narrowed(keybase, key_type)
    mk = _narrowed(missing_key, key_type)
    sk = _narrowed(special_keys, key_type)
    ck = _narrowed(cat_keys, key_type)
    pk = _narrowed(pair_keys, key_type)
    keys = np.empty((n_elements if want_reasons else 0, BLOCK), dtype=key_type)
    no_keys = np.empty(0, dtype=key_type)
    pts = np.empty(BLOCK, dtype=np.int32)
    valid = np.empty(BLOCK + 16, dtype=np.uint8)  # room for 8 bytes of bits, 8 rows each
    all_valid = np.ones(BLOCK, dtype=np.uint8)
    t1 = np.empty(BLOCK, dtype=key_type)
    t2 = np.empty(BLOCK, dtype=key_type)
    t3 = np.empty(BLOCK, dtype=key_type)
    t4 = np.empty(BLOCK, dtype=key_type)
    ra = np.empty(BLOCK, dtype=np.int32)  # the interactions' inputs' places on their axes
    rb = np.empty(BLOCK, dtype=np.int32)
    for start in range(0, n, BLOCK):
        m = min(BLOCK, n - start)
        stop = start + m
        o0 = out_row + start  # the block's rows in the outputs
        o1 = o0 + m
        ahead = min(BLOCK, max(n - stop, 0))  # rows of the next block
        for d in range(n_dims):  # the sub-scores add up in the output
            subs[d, o0:o1] = 0
        for j in range(k):
            width = 8 if kind[j] == KIND_F64 else 4
            _prefetch(addr[j] + stop * width, ahead * width)
            sub = subs[dimension[j], o0:o1]
            kj = keys[j, :m] if want_reasons else no_keys
            vm = all_valid[:m]
            if valid_addr[j]:  # Arrow nulls are missing, whatever their data slot holds
                _prefetch(valid_addr[j] + ((valid_off[j] + stop) >> 3), (ahead + 7) >> 3)
                sh = _expand_validity(valid_addr[j], valid_off[j] + start, m, valid)
                vm = valid[sh : sh + m]
            e0 = edge_off[j]
            e1 = edge_off[j + 1]
            s0 = special_off[j]
            s1 = special_off[j + 1]
            if kind[j] == KIND_F32:
                x32 = carray(_f32_ptr(addr[j]), n)
                _numeric(
                    x32[start:stop],
                    vm,
                    pts[:m],
                    sub,
                    kj,
                    edges32[e0:e1],
                    steps[e0:e1],
                    first[j],
                    special_values[s0:s1],
                    special_points[s0:s1],
                    sk[s0:s1],
                    missing[j],
                    kb[j],
                    mk[j],
                    span,
                )
            elif kind[j] == KIND_F64:
                x64 = carray(_f64_ptr(addr[j]), n)
                _numeric(
                    x64[start:stop],
                    vm,
                    pts[:m],
                    sub,
                    kj,
                    edges64[e0:e1],
                    steps[e0:e1],
                    first[j],
                    special_values[s0:s1],
                    special_points[s0:s1],
                    sk[s0:s1],
                    missing[j],
                    kb[j],
                    mk[j],
                    span,
                )
            else:
                codes = carray(_i32_ptr(addr[j]), n)[start:stop]
                c0 = cat_off[j]
                c1 = cat_off[j + 1]
                _categorical(codes, cat_points[c0:c1], ck[c0:c1], sub, kj)
        # the interactions: a second, simpler pass over the same block of their inputs' columns
        # (still in the cache): each input's place on its axis, then the cell's points
        for p in range(n_pairs):
            top = pair_top[p]
            for side in range(2):
                j = pair_inputs[p, side]
                ax = 2 * p + side
                place = ra[:m] if side == 0 else rb[:m]
                scale = pair_scale[p] if side == 0 else np.int32(1)
                if kind[j] == KIND_CODES:
                    codes = carray(_i32_ptr(addr[j]), n)[start:stop]
                    _axis_codes(codes, axis_cat[axis_cat_off[ax] : axis_cat_off[ax + 1]], place)
                    continue
                vm = all_valid[:m]
                if valid_addr[j]:
                    sh = _expand_validity(valid_addr[j], valid_off[j] + start, m, valid)
                    vm = valid[sh : sh + m]
                a0 = axis_edge_off[ax]
                a1 = axis_edge_off[ax + 1]
                svals = special_values[special_off[j] : special_off[j + 1]]
                if kind[j] == KIND_F32:
                    x32 = carray(_f32_ptr(addr[j]), n)
                    _axis_numeric(
                        x32[start:stop], vm, place, axis_edges32[a0:a1], scale, top, svals
                    )
                else:
                    x64 = carray(_f64_ptr(addr[j]), n)
                    _axis_numeric(
                        x64[start:stop], vm, place, axis_edges64[a0:a1], scale, top, svals
                    )
            e = k + p
            q0 = pair_cell_off[p]
            q1 = pair_cell_off[p + 1]
            _pair(
                ra[:m],
                rb[:m],
                pair_cells[q0:q1],
                pk[q0:q1],
                top,
                subs[dimension[e], o0:o1],
                keys[e, :m] if want_reasons else no_keys,
            )
        okm = ok[o0:o1]
        okm[:] = 1
        for c in range(crit_op.shape[0]):
            width = 8 if crit_kind[c] == KIND_F64 else 4
            _prefetch(crit_addr[c] + stop * width, ahead * width)
            if crit_kind[c] == KIND_F32:
                xs32 = carray(_f32_ptr(crit_addr[c]), n)[start:stop]
                _criterion_block(xs32, okm, crit_op[c], crit_value[c])
            else:
                xs64 = carray(_f64_ptr(crit_addr[c]), n)[start:stop]
                _criterion_block(xs64, okm, crit_op[c], crit_value[c])
            if crit_valid_addr[c]:  # a null fails the criterion
                _prefetch(crit_valid_addr[c] + ((crit_valid_off[c] + stop) >> 3), (ahead + 7) >> 3)
                sh = _expand_validity(crit_valid_addr[c], crit_valid_off[c] + start, m, valid)
                vm = valid[sh : sh + m]
                for i in range(m):
                    okm[i] &= vm[i]
        sc = score[o0:o1]  # the score is the sum of the sub-scores, exactly
        if n_dims == 0:
            sc[:] = 0
        else:
            sc[:] = subs[0, o0:o1]
            for d in range(1, n_dims):
                sub = subs[d, o0:o1]
                for i in range(m):
                    sc[i] += sub[i]
        if want_status:  # the status column's Arrow buffers, while the block is in the cache
            _status_texts(okm, status_words, status_chars[o0:o1], status_ends[o0 + 1 : o1 + 1], o0)
        if not want_reasons:
            continue
        # each row's four largest keys, sorted: the reasons in the reference's order
        _top4(keys, m, key_type(-1), t1, t2, t3, t4)
        _decode(t1[:m], okm, span, reasons[0, o0:o1])
        _decode(t2[:m], okm, span, reasons[1, o0:o1])
        _decode(t3[:m], okm, span, reasons[2, o0:o1])
        _decode(t4[:m], okm, span, reasons[3, o0:o1])
        if want_texts:  # and the reason columns' (their validity bitmaps come afterwards)
            for r in range(_N_REASONS):
                text_pos[r] = _short_texts(
                    reasons[r, o0:o1],
                    text_words,
                    text_ends[r, o0 + 1 : o1 + 1],
                    text_addr[r],
                    text_pos[r],
                )


def kernel_outputs(
    n: int, n_dimensions: int, n_slots: int, *, reasons: bool
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.bool_], npt.NDArray[np.int32], npt.NDArray[Any]]:
    """Empty ``score``, ``ok``, ``subs`` and ``reasons`` arrays for :func:`run_kernel`.

    They live in Arrow's memory pool, which keeps the memory of freed buffers for the next
    ones: scoring batch after batch then writes to memory already mapped, instead of faulting in
    (and zeroing) some 30 bytes per row of fresh pages each time, as numpy's large allocations
    do. Arrow arrays built over them keep them alive.
    """
    r = n if reasons else 0
    rtype = reason_dtype(n_slots)
    return (
        _pool_empty((n,), np.int32),
        _pool_empty((n,), np.bool_),
        _pool_empty((n_dimensions, n), np.int32),
        _pool_empty((_N_REASONS, r), rtype),
    )


STATUS_TEXTS: Final = (b"NS", b"OK")


@dataclass(frozen=True)
class TextOutputs:
    """The Arrow buffers of the string columns, as the kernel writes them (:func:`text_outputs`).

    ``status_chars`` holds one two-byte word a row, "NS" or "OK", and ``status_ends`` the
    status column's offsets; ``text_ends[r]`` and ``text_chars[r]`` the offsets and characters
    of reason column ``r``, from the texts ``text_words`` (see :func:`_short_texts`), and
    ``text_pos[r]`` how many characters it holds so far. Empty arrays where the kernel
    writes none.
    """

    status_words: npt.NDArray[np.uint16]
    status_chars: npt.NDArray[np.uint16]
    status_ends: npt.NDArray[np.int32]
    text_words: npt.NDArray[np.uint64]
    text_ends: npt.NDArray[np.int32]
    text_chars: npt.NDArray[np.uint8]
    text_addr: npt.NDArray[np.int64]
    text_pos: npt.NDArray[np.int64]

    def status_array(self) -> pa.Array:
        """The status column (never null)."""
        n = self.status_chars.shape[0]
        buffers = [None, pa.py_buffer(self.status_ends), pa.py_buffer(self.status_chars)]
        return pa.Array.from_buffers(pa.string(), n, buffers, null_count=0)

    def reason_array(self, r: int, idx: npt.NDArray[Any]) -> pa.Array:
        """Reason column ``r``, whose slots (-1: none) the kernel wrote to ``idx``."""
        n = idx.shape[0]
        present = idx >= 0
        nulls = n - int(np.count_nonzero(present))
        valid = pa.py_buffer(np.packbits(present, bitorder="little")) if nulls else None
        chars = self.text_chars[r, : int(self.text_pos[r])]
        buffers = [valid, pa.py_buffer(self.text_ends[r]), pa.py_buffer(chars)]
        return pa.Array.from_buffers(pa.string(), n, buffers, null_count=nulls)

    @property
    def has_reasons(self) -> bool:
        return bool(self.text_ends.shape[1] > 0)


def _short_words(texts: tuple[bytes, ...]) -> npt.NDArray[np.uint64]:
    # each text as one word, its length in the top byte; entry 0 the null row's (no bytes)
    padded = b"".join([b"\0" * _WORD, *(t.ljust(_WORD, b"\0") for t in texts)])
    lengths = np.array([0, *(len(t) for t in texts)], dtype=np.uint64)
    words: npt.NDArray[np.uint64] = np.frombuffer(padded, dtype=np.uint64) | (
        lengths << _LENGTH_SHIFT
    )
    return words


def text_outputs(n: int, reason_texts: tuple[bytes, ...] | None) -> TextOutputs:
    """Empty buffers for the status column and, given their texts, the reason columns.

    The kernel writes the reason columns only when every text is shorter than a word (else
    :func:`string_buffers` builds them afterwards: ``has_reasons`` is False).
    """
    status_words = np.frombuffer(b"".join(STATUS_TEXTS), dtype=np.uint16).copy()
    status_ends = _pool_empty((n + 1,), np.int32)
    status_ends[0] = 0
    longest = max((len(t) for t in reason_texts or ()), default=_WORD)
    if not reason_texts or longest >= _WORD:
        r, words = 0, np.zeros(1, dtype=np.uint64)
    else:
        r, words = n, _short_words(reason_texts)
    ends = _pool_empty((_N_REASONS, r + 1 if r else 0), np.int32)
    if r:
        ends[:, 0] = 0
    chars = _pool_empty((_N_REASONS, r * longest + _WORD if r else 0), np.uint8)
    addr = np.array([chars[i].ctypes.data for i in range(_N_REASONS)], dtype=np.int64)
    return TextOutputs(
        status_words,
        _pool_empty((n,), np.uint16),
        status_ends,
        words,
        ends,
        chars,
        addr,
        np.zeros(_N_REASONS, dtype=np.int64),
    )


def _pool_empty(shape: tuple[int, ...], dtype: Any) -> npt.NDArray[Any]:
    # an empty array in Arrow's memory pool when it is large (small ones come from malloc's
    # free lists anyway, faster)
    count = math.prod(shape)
    nbytes = count * np.dtype(dtype).itemsize
    if nbytes < _POOL_FROM:
        return np.empty(shape, dtype=dtype)
    buf = pa.allocate_buffer(nbytes)
    return np.frombuffer(buf, dtype=dtype, count=count).reshape(shape)


def run_kernel(
    n: int,
    columns: tuple[npt.NDArray[np.int64], ...],
    c: CompiledScorecard,
    cat_off: npt.NDArray[np.int64],
    cat_points: npt.NDArray[np.int32],
    cat_keys: npt.NDArray[np.int64],
    criteria: tuple[npt.NDArray[np.int64], ...],
    outputs: tuple[Any, ...],
    *,
    want_reasons: bool,
    axis_tables: tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]] | None = None,
    out_row: int = 0,
    texts: TextOutputs | None = None,
) -> None:
    """Score ``n`` rows (the argument plumbing lives in :mod:`trustscore.scoring._score`).

    ``columns`` and ``criteria`` are each ``(address, kind, validity address, validity bit
    offset)``, one entry per characteristic / criterion; ``cat_off``, ``cat_points`` and
    ``cat_keys`` the points and reason key tables of the categorical characteristics (see
    :func:`trustscore.scoring._inputs.category_table` and
    :meth:`~trustscore.scoring._compiled.CompiledScorecard.category_keys`). ``axis_tables``
    (offsets, table) holds, for each categorical axis of the interactions (axis ``2 p`` and
    ``2 p + 1`` of pair ``p``), its input's code + 1 -> place table (see
    :mod:`trustscore.scoring._compiled`); None when no axis is categorical. ``outputs`` are
    ``score``, ``ok``, ``subs`` and ``reasons`` as :func:`kernel_outputs` makes them: a reason
    is the index of its slot in the artifact's
    :attr:`~trustscore.scoring._artifact.ScorecardArtifact.reason_slots` (its code the same
    index of ``reason_codes``), -1 for none. The ``n`` rows go to the outputs' rows ``out_row``
    onwards, so that the record batches of one table are scored into one set of outputs.
    With ``texts`` (:func:`text_outputs`), the kernel also writes the Arrow buffers of the
    status and reason columns, block by block while the block is in the cache.
    """
    if texts is None:
        texts = _NO_TEXTS
    addr, kind, valid_addr, valid_off = columns
    crit_addr, crit_kind, crit_valid_addr, crit_valid_off = criteria
    score, ok, subs, reasons = outputs
    if axis_tables is None:
        axis_tables = (np.zeros(2 * c.n_interactions + 1, dtype=np.int64), _NO_TABLE)
    axis_cat_off, axis_cat = axis_tables
    _kernel(
        n,
        addr,
        kind,
        valid_addr,
        valid_off,
        c.first,
        c.edge_off,
        c.edges32,
        c.edges64,
        c.steps,
        c.special_off,
        c.special_values,
        c.special_points,
        c.special_keys,
        c.missing,
        cat_off,
        cat_points,
        cat_keys,
        c.dimension,
        c.keybase,
        c.missing_key,
        c.span,
        c.pair_inputs,
        c.pair_scale,
        c.pair_top,
        c.pair_cell_off,
        c.pair_cells,
        c.pair_keys,
        c.axis_edge_off,
        c.axis_edges32,
        c.axis_edges64,
        axis_cat_off,
        axis_cat,
        crit_addr,
        crit_kind,
        crit_valid_addr,
        crit_valid_off,
        c.criteria_op,
        c.criteria_value,
        score,
        ok.view(np.uint8),
        subs,
        reasons,
        want_reasons,
        c.key_type,
        out_row,
        texts.status_chars.shape[0] > 0,
        texts.status_words,
        texts.status_chars,
        texts.status_ends,
        want_reasons and texts.text_ends.shape[1] > 0,
        texts.text_words,
        texts.text_ends,
        texts.text_addr,
        texts.text_pos,
    )


@njit(cache=True)  # type: ignore[misc]
def _string_buffers(idx, text_off, text, offsets, data, valid):  # type: ignore[no-untyped-def]
    # row i gets text idx[i], or is null when idx[i] < 0; returns the number of rows kept
    n = idx.shape[0]
    pos = 0
    kept = 0
    offsets[0] = 0
    for q in range((n + 7) >> 3):
        bits = 0
        for b in range(min(8, n - 8 * q)):
            i = 8 * q + b
            j = idx[i]
            if j >= 0:
                for t in range(text_off[j], text_off[j + 1]):
                    data[pos] = text[t]
                    pos += 1
                bits |= 1 << b
                kept += 1
            offsets[i + 1] = pos
        valid[q] = bits
    return kept


@njit(cache=True)  # type: ignore[misc]
def _fixed_width_buffers(idx, table, width, offsets, data):  # type: ignore[no-untyped-def]
    # the same when every text is one word of ``width`` bytes. Every row, null or not, takes
    # one word (Arrow lets a null slot hold bytes, its validity bit says it is null), so row i's
    # offset is i * width and nothing depends on the rows before: both loops vectorise
    _wide_vectors()
    for i in range(offsets.shape[0]):
        offsets[i] = i * width
    for i in range(idx.shape[0]):
        data[i] = table[max(idx[i], 0)]


@njit(cache=True)  # type: ignore[misc]
def _short_texts(idx, words, ends, data_addr, pos):  # type: ignore[no-untyped-def]
    # row i's text when every text is shorter than an 8-byte word but their lengths differ
    # (an artifact's adverse and no-information codes, "PR01" and "PR01N"): each row stores
    # its text's whole word at data_addr + pos, and the next row's word overwrites the bytes
    # past its text's end (the data has a word of room past the last text). A word's top byte
    # holds its text's length (one table read a row, not two); entry 0 is the null row's: no
    # bytes. ends[i] gets row i's end offset; returns the position after the last row
    for i in range(idx.shape[0]):
        w = words[np.int64(idx[i]) + 1]
        _store_word(data_addr + pos, w)
        pos += np.int64(w >> _LENGTH_SHIFT)
        ends[i] = pos
    return pos


@njit(cache=True)  # type: ignore[misc]
def _status_texts(okm, words, chars, ends, row0):  # type: ignore[no-untyped-def]
    # "NS" (words[0]) or "OK" (words[1]) as one two-byte word a row, without a branch; row i
    # is row row0 + i of the column, so its text ends at 2 (row0 + i + 1)
    _wide_vectors()
    ns = np.int64(words[0])
    step = np.int64(words[1]) - ns
    for i in range(okm.shape[0]):
        chars[i] = ns + np.int64(okm[i]) * step
        ends[i] = 2 * (row0 + i + 1)


_WORDS: Final = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}
_WORD: Final = 8


def string_buffers(
    idx: npt.NDArray[Any], texts: tuple[bytes, ...]
) -> tuple[npt.NDArray[np.uint8] | None, npt.NDArray[np.int32], npt.NDArray[Any], int]:
    """The Arrow buffers of a string array whose row ``i`` is ``texts[idx[i]]`` (null if < 0).

    Returns the validity bitmap (None without nulls), the int32 offsets, the character data and
    the null count, for ``pyarrow.Array.from_buffers``: several times faster than ``take`` on a
    string array. Large buffers come from Arrow's memory pool (see :func:`kernel_outputs`).
    When all texts are one word long ("OK"/"NS"), a null row's slot holds a word too, which
    Arrow allows; the values (and ``to_pylist``, ``equals``, Parquet) are the same. Texts of
    up to seven bytes but of different lengths (reason codes: "PR01" and "PR01N") are stored a
    word per row, each overlapping the unused end of the one before.
    """
    n = idx.shape[0]
    longest = max((len(t) for t in texts), default=0)
    if n * longest >= 2**31:
        msg = f"{n} rows of text up to {longest} bytes exceed an Arrow string array's 2 GiB."
        raise ValueError(msg)
    offsets = _pool_empty((n + 1,), np.int32)
    word = _WORDS.get(longest)
    if texts and word is not None and all(len(t) == longest for t in texts):
        present = idx >= 0
        nulls = n - int(np.count_nonzero(present))
        table = np.frombuffer(b"".join(texts), dtype=word)
        words = _pool_empty((n,), word)
        _fixed_width_buffers(idx, table, longest, offsets, words)
        valid = np.packbits(present, bitorder="little") if nulls else None
        return valid, offsets, words.view(np.uint8), nulls
    if texts and longest < _WORD:
        present = idx >= 0
        nulls = n - int(np.count_nonzero(present))
        chars = _pool_empty((n * longest + _WORD,), np.uint8)
        offsets[0] = 0
        _short_texts(idx, _short_words(texts), offsets[1:], chars.ctypes.data, 0)
        valid = np.packbits(present, bitorder="little") if nulls else None
        return valid, offsets, chars[: offsets[n]], nulls
    valid_bits = _pool_empty(((n + 7) >> 3,), np.uint8)
    text_off = np.zeros(len(texts) + 1, dtype=np.int64)
    text_off[1:] = np.cumsum([len(t) for t in texts])
    text = np.frombuffer(b"".join(texts) + b"\0", dtype=np.uint8)
    chars = _pool_empty((n * longest + 1,), np.uint8)
    kept = _string_buffers(idx, text_off, text, offsets, chars, valid_bits)
    nulls = n - int(kept)
    return (valid_bits if nulls else None), offsets, chars[: offsets[n]], nulls


_NO_TEXTS: Final = text_outputs(0, None)  # what run_kernel passes when it writes no text
