"""The purpose guard, and the refusal of negative lists."""

from __future__ import annotations

from typing import Any, NoReturn

from trustscore.exceptions import PurposeError
from trustscore.safeguards import check_purpose_approvable, refuse_blacklist
from trustscore.scoring._artifact import ScorecardArtifact

__all__ = ["check_purpose", "negative_list"]


def check_purpose(artifact: ScorecardArtifact, purpose: str) -> str:
    """Return ``purpose`` if ``artifact`` may be used for it; raise otherwise.

    Three checks, in order: the purpose is not one that can never be approved; it is a known,
    approvable purpose; and the model card of this artifact lists it.

    Parameters
    ----------
    artifact : ScorecardArtifact
        The model whose scores would be used.
    purpose : str
        What the scores would be used for, e.g. ``"credit_pricing"``.

    Returns
    -------
    str
        ``purpose``, unchanged.

    Raises
    ------
    NeverApprovablePurposeError
        For education, employment, travel, venue access, public services or housing
        eligibility, with the reason.
    PurposeError
        For an unknown purpose (listing the approvable ones), or a purpose the model card does
        not list (naming the model version and the purposes it is approved for).

    Examples
    --------
    >>> from trustscore.scoring._artifact import ScorecardArtifact, example_artifact_dict
    >>> art = ScorecardArtifact.from_dict(example_artifact_dict())
    >>> check_purpose(art, "credit_pricing")
    'credit_pricing'
    >>> check_purpose(art, "deposit_waiver")
    Traceback (most recent call last):
    ...
    trustscore.exceptions.PurposeError: Model example-1 is not approved for 'deposit_waiver'...
    >>> check_purpose(art, "travel")
    Traceback (most recent call last):
    ...
    trustscore.exceptions.NeverApprovablePurposeError: The purpose 'travel' can never be...
    """
    check_purpose_approvable(purpose)
    approved = artifact.approved_purposes
    if purpose not in approved:
        listed = ", ".join(approved) if approved else "none"
        msg = (
            f"Model {artifact.model_version} is not approved for {purpose!r}: its model card "
            f"lists the approved purposes as: {listed}. Use a model approved for {purpose!r}, "
            "or have this model reviewed and its model card amended."
        )
        raise PurposeError(
            msg, purpose=purpose, model_version=artifact.model_version, approved=list(approved)
        )
    return purpose


def negative_list(*_args: Any, **_kwargs: Any) -> NoReturn:
    """Refuse to publish a list of subjects by low score. Always raises.

    Raises
    ------
    BlacklistError
        Always: subject-level negative lists are never published.

    Examples
    --------
    >>> negative_list(threshold=400)
    Traceback (most recent call last):
    ...
    trustscore.exceptions.BlacklistError: Refused: publishing a list of subjects with low...
    """
    refuse_blacklist("a list of subjects with low scores")
    raise AssertionError  # pragma: no cover - refuse_blacklist always raises
