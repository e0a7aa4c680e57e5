"""What a less-discriminatory search found: its frontier, its choice, and the evidence.

:class:`SearchResult` holds every alternative's held-out figures (JSON-ready), the Pareto
frontier of AUC against the adverse impact ratio at the median score, the choice and why, and
the alternatives' artifacts. :meth:`SearchResult.chosen_artifact` is the card to hand to a
validator: the chosen alternative (or the default, where none was found) with the search's
evidence in its model card, under ``less_discriminatory_search``.

Examples
--------
>>> pareto_front([("a", 0.80, 0.70), ("b", 0.79, 0.90), ("c", 0.78, 0.80), ("d", 0.80, 0.60)])
['a', 'b']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from trustscore.exceptions import ModelError
from trustscore.scoring._artifact import ScorecardArtifact, content_hash

__all__ = ["EVIDENCE_KEY", "SearchResult", "pareto_front"]

#: Where a card keeps the search's evidence.
EVIDENCE_KEY = "less_discriminatory_search"


def pareto_front(points: Sequence[tuple[str, float, float]]) -> list[str]:
    """The names of the points that no other point beats on both values (higher is better).

    A point is dominated when another is at least as good on both and better on one; equal
    points are all kept. Returned in the order given.
    """
    out = []
    for name, a, b in points:
        dominated = any(
            (a2 >= a and b2 >= b) and (a2 > a or b2 > b) for n2, a2, b2 in points if n2 != name
        )
        if not dominated:
            out.append(name)
    return out


@dataclass
class SearchResult:
    """The outcome of :func:`~trustscore.model.search_less_discriminatory`.

    Attributes
    ----------
    alternatives : list of dict
        One per card tried, the default first: ``name``, ``family``, ``description``, what
        changed (``drop``, ``params`` or ``shrink``), ``auc``, ``ks``, ``auc_loss`` (against
        the default), ``air_median`` (the searched-for group's AIR at the card's median score),
        ``air_cutoffs`` (its AIR at each policy cut-off), ``smd``, the same by group,
        ``within_loss`` and ``on_frontier``; ``failed`` instead of figures where a fit failed.
    frontier : list of str
        The Pareto set of AUC against ``air_median``, best AUC first.
    chosen : str or None
        The least discriminatory alternative within the AUC loss, or None (none found).
    why : str
        The choice in words.
    artifacts : dict
        Name -> the alternative's artifact.
    """

    alternatives: list[dict[str, Any]]
    frontier: list[str]
    chosen: str | None
    why: str
    attribute: str
    target_group: str
    max_auc_loss: float
    settings: dict[str, Any]
    proxies: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)
    artifacts: dict[str, ScorecardArtifact] = field(default_factory=dict, repr=False)
    default_name: str = "default"

    @classmethod
    def build(
        cls,
        rows: list[dict[str, Any]],
        artifacts: dict[str, ScorecardArtifact],
        *,
        attribute: str,
        target_group: str,
        max_auc_loss: float,
        settings: dict[str, Any],
        proxies: list[dict[str, Any]],
        warnings: list[str],
    ) -> SearchResult:
        """The frontier and the choice from the measured ``rows`` (the default first)."""
        base = rows[0]
        measured = [r for r in rows if "failed" not in r]
        for r in measured:
            r["auc_loss"] = base["auc"] - r["auc"]
            # a loss equal to the bound is within it; float noise must not decide that
            r["within_loss"] = r["auc_loss"] <= max_auc_loss + 1e-12
        front = pareto_front([(r["name"], r["auc"], r["air_median"]) for r in measured])
        for r in measured:
            r["on_frontier"] = r["name"] in front
        front = sorted(front, key=lambda n: -next(r["auc"] for r in measured if r["name"] == n))
        within = [r for r in measured if r["within_loss"]]
        order = {r["name"]: i for i, r in enumerate(rows)}
        best = max(within, key=lambda r: (r["air_median"], r["auc"], -order[r["name"]]))
        air0 = base["air_median"]
        if best["name"] != base["name"] and best["air_median"] > air0:
            chosen: str | None = best["name"]
            why = (
                f"{best['name']} ({best['description']}) has the highest adverse impact ratio "
                f"at the median score for group {target_group!r} of {attribute!r}, "
                f"{best['air_median']:.4f} against the default's {air0:.4f}, among the "
                f"{len(within)} cards whose held-out AUC is at most {max_auc_loss:g} below the "
                f"default's {base['auc']:.4f} (its AUC {best['auc']:.4f}, "
                + (
                    f"a loss of {best['auc_loss']:.4f})."
                    if best["auc_loss"] > 0
                    else f"no loss: {-best['auc_loss']:.4f} above it)."
                )
            )
        else:
            chosen = None
            why = (
                f"None found in the family searched: no card within {max_auc_loss:g} AUC of "
                f"the default ({base['auc']:.4f}) has a higher adverse impact ratio at the "
                f"median score for group {target_group!r} of {attribute!r} than the "
                f"default's {air0:.4f} ({len(measured) - 1} alternatives measured)."
            )
        return cls(
            alternatives=rows,
            frontier=front,
            chosen=chosen,
            why=why,
            attribute=attribute,
            target_group=target_group,
            max_auc_loss=max_auc_loss,
            settings=settings,
            proxies=proxies,
            warnings=warnings,
            artifacts=artifacts,
        )

    def alternative(self, name: str) -> dict[str, Any]:
        """The figures of the alternative called ``name``."""
        for r in self.alternatives:
            if r["name"] == name:
                return r
        msg = f"No alternative {name!r}; the search tried {[r['name'] for r in self.alternatives]}."
        raise ModelError(msg, field="name", value=name)

    def to_dict(self) -> dict[str, Any]:
        """Everything but the artifacts, JSON-ready (``search.json``)."""
        return {
            "attribute": self.attribute,
            "target_group": self.target_group,
            "max_auc_loss": self.max_auc_loss,
            "measure": "held-out AUC and KS; adverse impact ratio of the group searched for "
            "(approval rate over the highest group's) at each policy cut-off and at each "
            "card's median score; standardised mean difference against the largest group",
            "settings": dict(self.settings),
            "proxies": [dict(p) for p in self.proxies],
            "family": sorted({r["family"] for r in self.alternatives}),
            "alternatives": [dict(r) for r in self.alternatives],
            "frontier": list(self.frontier),
            "default": self.default_name,
            "chosen": self.chosen,
            "why": self.why,
            "model_versions": {k: a.model_version for k, a in self.artifacts.items()},
            "warnings": list(self.warnings),
        }

    def evidence(self) -> dict[str, Any]:
        """The card's ``less_discriminatory_search`` section: the family, the frontier, the
        default's and the chosen card's figures, and why (what a validator reads)."""
        keep = ("name", "family", "description", "auc", "ks", "air_median", "air_cutoffs",
                "smd", "auc_loss", "within_loss", "on_frontier")  # fmt: skip
        chosen = self.chosen or self.default_name

        def brief(r: Mapping[str, Any]) -> dict[str, Any]:
            return {k: r[k] for k in keep if k in r}

        return {
            "attribute": self.attribute,
            "target_group": self.target_group,
            "max_auc_loss": self.max_auc_loss,
            "found": self.chosen is not None,
            "chosen": chosen,
            "why": self.why,
            "default": brief(self.alternative(self.default_name)),
            "choice": brief(self.alternative(chosen)),
            "frontier": [brief(self.alternative(n)) for n in self.frontier],
            "family": [
                {k: r[k] for k in ("name", "family", "description")} for r in self.alternatives
            ],
            "failed": {r["name"]: r["failed"] for r in self.alternatives if "failed" in r},
            "settings": dict(self.settings),
            "proxies": [dict(p) for p in self.proxies],
            "default_model_version": self.artifacts[self.default_name].model_version,
        }

    def chosen_artifact(self) -> ScorecardArtifact:
        """The chosen card (the default where none was found) with the evidence in its card."""
        art = self.artifacts[self.chosen or self.default_name]
        d = art.to_dict()
        d["model_card"] = {**dict(d["model_card"]), EVIDENCE_KEY: self.evidence()}
        d.pop("content_hash", None)
        d["content_hash"] = content_hash(d)
        return ScorecardArtifact.from_dict(d)
