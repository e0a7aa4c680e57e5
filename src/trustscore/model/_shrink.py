"""Editing a fitted card's points: shrink a characteristic towards its mean, cap its spread.

Two members of the less-discriminatory search's family (:mod:`trustscore.model._search`) are
not refits but edits of the default card's points:

- a *penalty* on a characteristic that proxies a protected attribute: its points are shrunk
  towards their mean over the training rows by a factor ``alpha`` in [0, 1]
  (``round(m + alpha * (p - m))``), so it moves the score less, and
- a *cap*: no characteristic may span more than a share of the card's attainable range; one
  that does is shrunk by the factor that brings it to the cap.

Shrinking keeps a characteristic's shape (so a declared direction still holds: the map is
increasing and rounding keeps the order), its points stay within its old least and most (so no
outcome goes below 0 and every attainable score stays in 0..1000), and the scaling record
still says what a score's odds are. The other characteristics are not refitted: the edit's
cost in accuracy is what the frontier shows. Interactions are left as they are.

Examples
--------
>>> from trustscore.scoring._artifact import example_artifact_dict
>>> d = shrink_points(example_artifact_dict(), {"on_time_rate": 0.5})
>>> [b["points"] for b in d["characteristics"][0]["bins"]]
[20, 33, 46]
>>> spreads(example_artifact_dict())
{'on_time_rate': 50, 'card_kind': 80}
>>> cap_factors(example_artifact_dict(), 0.3)
{'on_time_rate': 0.78, 'card_kind': 0.4875}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from trustscore.exceptions import ModelError
from trustscore.scoring._artifact import content_hash

__all__ = ["cap_factors", "shrink_points", "spreads"]


def _outcomes(c: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every outcome of a characteristic's artifact entry: bins, missing, special, other."""
    yield from c["bins"]
    yield c["missing"]
    yield from c.get("special", ())
    if c.get("other"):
        yield c["other"]


def spreads(d: Mapping[str, Any]) -> dict[str, int]:
    """Each characteristic's spread: its most points less its least, over all its outcomes."""
    out = {}
    for c in d["characteristics"]:
        pts = [int(o["points"]) for o in _outcomes(c)]
        out[str(c["name"])] = max(pts) - min(pts)
    return out


def cap_factors(d: Mapping[str, Any], share: float) -> dict[str, float]:
    """The shrink factor of each characteristic that spans more than ``share`` of the range.

    The range is the card's attainable one (the sum of the characteristics' spreads, which
    is the score range of a card without interactions).
    """
    if not 0.0 < share <= 1.0:
        msg = f"A cap's share of the score range must be in (0, 1]; got {share!r}."
        raise ModelError(msg, field="cap", value=share)
    s = spreads(d)
    cap = share * sum(s.values())
    return {k: cap / v for k, v in s.items() if v > cap}


def shrink_points(d: Mapping[str, Any], factors: Mapping[str, float]) -> dict[str, Any]:
    """A copy of the artifact dict ``d`` with the named characteristics' points shrunk.

    Each outcome's points ``p`` become ``round(m + alpha * (p - m))``, where ``m`` is the mean
    of the characteristic's points over the training rows (the outcomes' ``n``; a plain mean
    where no outcome has one) and ``alpha`` its factor in [0, 1]. The copy's
    ``content_hash`` is renewed; its model card is the caller's to renew.
    """
    names = {str(c["name"]) for c in d["characteristics"]}
    unknown = sorted(set(factors) - names)
    if unknown:
        msg = f"Cannot shrink {unknown}: not characteristics of the card ({sorted(names)})."
        raise ModelError(msg, field="factors", value=unknown[0])
    for name, alpha in factors.items():
        if not 0.0 <= float(alpha) <= 1.0:
            msg = f"The shrink factor of {name!r} must be in [0, 1]; got {alpha!r}."
            raise ModelError(msg, field=name, value=alpha)
    out: dict[str, Any] = _copy(d)
    for c in out["characteristics"]:
        factor = factors.get(str(c["name"]))
        if factor is None:
            continue
        outs = list(_outcomes(c))
        pts = np.array([float(o["points"]) for o in outs])
        n = np.array([float(o.get("n") or 0) for o in outs])
        m = float(n @ pts / n.sum()) if n.sum() > 0 else float(pts.mean())
        new = np.rint(m + float(factor) * (pts - m)).astype(np.int64)
        # rounding may not leave the old range (m lies within it), so no outcome goes below 0
        new = np.clip(new, int(pts.min()), int(pts.max()))
        for o, p in zip(outs, new.tolist(), strict=True):
            o["points"] = int(p)
    out.pop("content_hash", None)
    out["content_hash"] = content_hash(out)
    return out


def _copy(x: Any) -> Any:
    """A deep copy of JSON-like data (dicts, lists and plain values)."""
    if isinstance(x, Mapping):
        return {k: _copy(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_copy(v) for v in x]
    return x
