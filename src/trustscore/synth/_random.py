"""Counter-based random numbers: every draw is a hash of (seed, subject, stream, counters).

A draw depends only on the seed, the subject's index in the population and the names of the
draw, never on how the population is cut into chunks, so the same seed gives the same subjects
whatever the chunk size, and the first ``n`` subjects of a larger population are the same ``n``
subjects. The hash is splitmix64's finaliser, which passes BigCrush as a counter-based generator
(Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014).

Examples
--------
>>> import numpy as np
>>> keys = SubjectKeys.create(seed=7, start=0, stop=3)
>>> u = keys.uniform("late")
>>> u.shape, bool(((u > 0) & (u < 1)).all())
((3,), True)
>>> bool((u == SubjectKeys.create(seed=7, start=0, stop=3).uniform("late")).all())
True
>>> tail = SubjectKeys.create(seed=7, start=1, stop=3)
>>> bool((keys.uniform("late")[1:] == tail.uniform("late")).all())
True
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "SubjectKeys",
    "box_muller",
    "p_90_days_late",
    "poisson_from_uniform",
    "row_normal",
    "row_uniform",
    "row_uniform2",
    "sigmoid",
]

F64 = npt.NDArray[np.float64]
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TO_UNIT = 2.0**-53
_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_TO_UNIT32 = 2.0**-32


def _mix(x: U64) -> U64:
    """splitmix64's finaliser, in place on a fresh array (uint64 arithmetic wraps)."""
    x = x ^ (x >> _S30)
    x *= _M1
    x ^= x >> _S27
    x *= _M2
    x ^= x >> _S31
    return x


def _name_key(name: str) -> np.uint64:
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "little"))


@dataclass(frozen=True)
class SubjectKeys:
    """The random keys of a contiguous range of subjects ``[start, stop)``."""

    base: U64

    @classmethod
    def create(cls, *, seed: int, start: int, stop: int) -> SubjectKeys:
        index = np.arange(start, stop, dtype=np.uint64)
        seed_key = _mix(np.array([seed], dtype=np.uint64) + _name_key("trustscore.synth"))
        return cls(_mix(index * _GOLDEN ^ seed_key))

    def bits(self, name: str, *counters: int | npt.NDArray[np.integer]) -> U64:
        """64 random bits per subject and per combination of counters.

        The counters (scalars or arrays) are broadcast against one another; the result has the
        subject axis first, then the broadcast shape of the counters.
        """
        x = _mix(self.base ^ _name_key(name))
        if not counters:
            return x
        arrays = [np.asarray(c).astype(np.uint64) for c in counters]
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
        x = x.reshape(x.shape + (1,) * len(shape))
        with np.errstate(over="ignore"):  # uint64 arithmetic wraps by design
            for c in arrays:
                x = _mix(x + (c + np.uint64(1)) * _GOLDEN)
        return x

    def uniform(self, name: str, *counters: int | npt.NDArray[np.integer]) -> F64:
        """Uniform draws on the open interval (0, 1)."""
        return ((self.bits(name, *counters) >> _S11).astype(np.float64) + 0.5) * _TO_UNIT

    def uniform2(self, name: str, *counters: int | npt.NDArray[np.integer]) -> tuple[F64, F64]:
        """Two independent uniforms with 32-bit resolution from one hash."""
        return _two_uniforms(self.bits(name, *counters))

    def normal(self, name: str, *counters: int | npt.NDArray[np.integer]) -> F64:
        """Standard normal draws (Box-Muller)."""
        return box_muller(*self.uniform2(name, *counters))


def sigmoid(x: F64) -> F64:
    """The logistic function."""
    out: F64 = 1.0 / (1.0 + np.exp(-x))
    return out


def p_90_days_late(
    r: F64, late: tuple[float, float], days: tuple[float, float], never: tuple[float, float]
) -> F64:
    """Probability that a payment with risk ``r`` ends 90+ days late (or beyond terms).

    Late with probability ``sigmoid(late[0] + late[1] * r)`` by an exponential number of days
    of mean ``days[0] * exp(days[1] * r)``, or never paid with ``sigmoid(never[0] + never[1] *
    r)``: the model bills and invoices share, with their own constants.
    """
    p_late = sigmoid(late[0] + late[1] * r)
    p_never = sigmoid(never[0] + never[1] * r)
    mean = days[0] * np.exp(days[1] * r)
    out: F64 = p_never + (1.0 - p_never) * p_late * np.exp(-89.0 / mean)
    return out


def poisson_from_uniform(u: F64, lam: F64, cap: int) -> I64:
    """Poisson(``lam``) counts by inversion of ``u``, truncated at ``cap``."""
    p = np.exp(-lam)
    cdf = p.copy()
    count = np.zeros(u.shape, dtype=np.int64)
    for k in range(1, cap + 1):
        count += u > cdf
        p = p * lam / k
        cdf = cdf + p
    return count


def row_uniform(keys: SubjectKeys, name: str, pos: I64, counter: I64) -> F64:
    """Uniform draws for rows: ``pos`` indexes the subject, ``counter`` the row within it.

    Equal to ``keys.uniform(name, c)[pos]`` for a scalar counter ``c``, without building the
    full subject-by-counter grid.
    """
    x = _row_bits(keys, name, pos, counter)
    return ((x >> _S11).astype(np.float64) + 0.5) * _TO_UNIT


def _row_bits(keys: SubjectKeys, name: str, pos: I64, counter: I64) -> U64:
    with np.errstate(over="ignore"):
        x = _mix(keys.base[pos] ^ _name_key(name))
        return _mix(x + (counter.astype(np.uint64) + np.uint64(1)) * _GOLDEN)


def _two_uniforms(x: U64) -> tuple[F64, F64]:
    high = ((x >> _S32).astype(np.float64) + 0.5) * _TO_UNIT32
    low = ((x & _LOW32).astype(np.float64) + 0.5) * _TO_UNIT32
    return high, low


def row_uniform2(keys: SubjectKeys, name: str, pos: I64, counter: I64) -> tuple[F64, F64]:
    """Two independent uniforms per row, on (0, 1) with 32-bit resolution, from one hash."""
    return _two_uniforms(_row_bits(keys, name, pos, counter))


def box_muller(u1: F64, u2: F64) -> F64:
    """A standard normal from two independent uniforms."""
    out: F64 = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    return out


def row_normal(keys: SubjectKeys, name: str, pos: I64, counter: I64) -> F64:
    """Standard normal draws for rows (see :func:`row_uniform`)."""
    return box_muller(*row_uniform2(keys, name, pos, counter))
