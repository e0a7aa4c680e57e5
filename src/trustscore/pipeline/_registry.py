"""A workspace's models under the ledger's registry: the one source of the model a purpose uses.

The ledger's registry (:mod:`trustscore.ledger._registry`) says which model, by content hash, is
the champion or challenger of each purpose, and since when; the workspace's ``models/`` folder
is the registry's storage, one artifact per version, checked against the registered hash on
every load. There is no other model file: scoring and decisions for a purpose load its champion
from here, and a replay the champion of the purpose at the time of the score.

Every registry move through these functions also rewrites ``models/registry.json`` (the
champions and challengers at that moment): the service watches its modification time to know,
with one ``stat`` call, that it must read the registry again. The ledger stays the truth; the
file only says when to look.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from trustscore import ledger as lg
from trustscore.exceptions import ArtifactError, PurposeError
from trustscore.pipeline._workspace import Workspace
from trustscore.safeguards import APPROVABLE_PURPOSES
from trustscore.scoring import ScorecardArtifact, load_artifact

__all__ = [
    "artifact_subject_kind",
    "challenger_artifact",
    "champion_artifact",
    "check_artifact_kind",
    "registered_artifact",
    "registry_moved",
    "store_and_register",
    "workspace_champion",
]


def store_and_register(
    ledger: lg.Ledger,
    workspace: Workspace,
    source: str | Path | Mapping[str, Any] | ScorecardArtifact,
    *,
    registered_by: str,
    now: dt.datetime | None = None,
    via: tuple[str, str] = ("CLI", "model register"),
) -> lg.RegisteredModel:
    """Copy an artifact into the workspace's ``models/`` and register it in the ledger.

    Refused: another artifact stored under the same version (two models must not share a
    version, or a replay could not tell them apart).
    """
    # the hash of the artifact as stored: a freshly fitted one may carry the hash of a dict
    # that serialises differently
    art = load_artifact(load_artifact(source).to_dict())
    path = workspace.model_path_for(art.model_version)
    if path.is_file():
        held = load_artifact(path)
        if held.content_hash != art.content_hash:
            msg = (
                f"{path} already holds another model of version {art.model_version} (content "
                f"hash {held.content_hash}, this one {art.content_hash}). Train it with another "
                "version."
            )
            raise ArtifactError(msg, file=str(path), model_version=art.model_version)
    else:
        workspace.models_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        art.to_json(tmp)
        tmp.replace(path)
    model = lg.register_model(
        ledger, art.content_hash, art.model_version, dict(art.model_card),
        registered_by=registered_by, now=now, via=via,
    )  # fmt: skip
    registry_moved(ledger, workspace)
    return model


def registered_artifact(workspace: Workspace, model: lg.RegisteredModel) -> ScorecardArtifact:
    """The stored artifact of a registered model, checked against its registered hash."""
    path = workspace.model_path_for(model.model_version)
    if not path.is_file():
        msg = (
            f"Model {model.model_version} is registered but its artifact is not in "
            f"{workspace.models_dir}; register the artifact again (trustscore model register)."
        )
        raise ArtifactError(msg, file=str(path), model_version=model.model_version)
    art = load_artifact(path)
    if art.content_hash != model.model_hash:
        msg = (
            f"{path} is not the model the registry holds: its content hash is "
            f"{art.content_hash}, the registered one {model.model_hash}."
        )
        raise ArtifactError(msg, file=str(path), model_version=model.model_version)
    return art


def champion_artifact(
    ledger: lg.Ledger,
    workspace: Workspace,
    purpose: str,
    *,
    at: dt.datetime | None = None,
    subject_kind: str = "person",
) -> ScorecardArtifact:
    """The champion of ``purpose`` for subjects of ``subject_kind`` (at the moment ``at``);
    PurposeError if there is none.

    Examples
    --------
    >>> import tempfile
    >>> ws = Workspace(tempfile.mkdtemp()); ledger = lg.Ledger("sqlite://"); ledger.create_all()
    >>> champion_artifact(ledger, ws, "credit_limit")
    Traceback (most recent call last):
    ...
    trustscore.exceptions.PurposeError: No model is approved and promoted for 'credit_limit'...
    """
    model = lg.champion(ledger, purpose, at=at, subject_kind=subject_kind)
    if model is None:
        when = "" if at is None else f" at {at.isoformat()}"
        whose = "" if subject_kind == "person" else f" for {subject_kind}s"
        msg = (
            f"No model is approved and promoted for {purpose!r}{whose}{when}: nothing may score "
            "for it. A validator approves a registered model and promotes it (trustscore model "
            "approve, trustscore model promote)."
        )
        raise PurposeError(msg, purpose=purpose)
    return check_artifact_kind(registered_artifact(workspace, model), subject_kind)


def artifact_subject_kind(art: ScorecardArtifact) -> str:
    """The kind of subject an artifact scores: its model card's ``subject_kind`` (``person``
    for a card that does not say, as every model before organisations had their own)."""
    return lg.model_subject_kind(dict(art.model_card))


def check_artifact_kind(art: ScorecardArtifact, subject_kind: str) -> ScorecardArtifact:
    """``art`` if it scores subjects of ``subject_kind``; an ArtifactError otherwise."""
    kind = artifact_subject_kind(art)
    if kind != subject_kind:
        msg = (
            f"Model {art.model_version} scores {kind}s, not {subject_kind}s: persons and "
            "organisations are scored by separate models, each from its own feature set."
        )
        raise ArtifactError(msg, model_version=art.model_version)
    return art


def workspace_champion(
    workspace: Workspace, purpose: str = "credit_pricing", *, subject_kind: str = "person"
) -> ScorecardArtifact:
    """The champion of ``purpose`` for ``subject_kind`` in the registry of the workspace's own
    ledger file."""
    ledger = lg.Ledger(workspace.ledger_url)
    try:
        return champion_artifact(ledger, workspace, purpose, subject_kind=subject_kind)
    finally:
        ledger.dispose()


def challenger_artifact(
    ledger: lg.Ledger, workspace: Workspace, purpose: str, *, subject_kind: str = "person"
) -> ScorecardArtifact | None:
    """The challenger of ``purpose`` for ``subject_kind``, scored in shadow only; None if it
    has none."""
    model = lg.challenger(ledger, purpose, subject_kind=subject_kind)
    return None if model is None else registered_artifact(workspace, model)


def _slots(ledger: lg.Ledger) -> dict[str, Any]:
    """Each purpose's slots (persons' models), and under ``organisation`` the organisations'."""
    out: dict[str, Any] = {}
    orgs: dict[str, Any] = {}
    for purpose in APPROVABLE_PURPOSES:
        for kind, into in (("person", out), ("organisation", orgs)):
            champ = lg.champion(ledger, purpose, subject_kind=kind)
            chall = lg.challenger(ledger, purpose, subject_kind=kind)
            if kind == "organisation" and champ is None and chall is None:
                continue
            into[purpose] = {
                "champion": None if champ is None else champ.model_hash,
                "challenger": None if chall is None else chall.model_hash,
            }
    if orgs:
        out["organisation"] = orgs
    return out


def registry_moved(ledger: lg.Ledger, workspace: Workspace) -> dict[str, Any]:
    """Rewrite ``models/registry.json`` from the ledger: readers of the registry look again."""
    slots = _slots(ledger)
    workspace.models_dir.mkdir(parents=True, exist_ok=True)
    path = workspace.registry_path
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(slots, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
    return slots


def purposes_of(ledger: lg.Ledger) -> Sequence[str]:
    """The purposes that have a champion now."""
    return [p for p in APPROVABLE_PURPOSES if lg.champion(ledger, p) is not None]
