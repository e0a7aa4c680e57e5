"""Scores, decisions and files for one subject at a time, from a workspace: the service's source.

:class:`WorkspaceProvider` is what the REST service calls (it satisfies
``trustscore.service.SubjectProvider``). Every answer is computed from the record store as of the
workspace's date with the current model, so it can be replayed later from the same records and
the model version the ledger recorded.

The online path does not run a query per request: the provider computes the features and scores
of every subject at once (one DuckDB pass over the store), keeps them in memory and answers from
there, for as long as the store's state is the one they were computed from. What can change an
answer is watched on every request with a few ``stat`` calls: the workspace's as-of date, its
model registry (``models/registry.json``, rewritten on every move of a champion), a new batch
(the store's ``_batches/``: everything is recomputed, unless every new batch is a dispute's
correction) and a new suppression or correction (``_suppressions/``, or a batch
from ``_corrections/``: only the subjects of those records are recomputed, each with the same
per-subject query a replay runs). Records or suppressions dated in the future of the last
computation make it expire at that moment. So the answer always equals what
:func:`score_subject` computes at the time of the request, and a rescore after a suppression
sees the suppression.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from trustscore import ledger as lg
from trustscore.decisions import check_purpose, decide_one, policy_for, referral
from trustscore.exceptions import NotFoundError, PurposeError
from trustscore.features import (
    DEFAULT_CONSENT_CATEGORIES,
    bills_without_consent,
    compute_features,
)
from trustscore.ledger import ConsentEvent, IdentityChange, Suppression
from trustscore.pipeline._consents import apply_consents
from trustscore.pipeline._identity_changes import apply_identity_change
from trustscore.pipeline._registry import (
    artifact_subject_kind,
    champion_artifact,
    registered_artifact,
)
from trustscore.pipeline._resolutions import apply_resolution
from trustscore.pipeline._workspace import Workspace
from trustscore.records import (
    DELETE,
    DISPUTABLE_KINDS,
    SUPPRESSION_SCHEMA,
    BatchManifest,
    RecordStore,
    check_correction,
    consents_dir,
    current_rows,
    read_consents,
    version_order,
)
from trustscore.safeguards import APPROVABLE_PURPOSES, check_purpose_approvable
from trustscore.scoring import ScorecardArtifact, describe_flags, score

__all__ = ["WorkspaceProvider", "feature_hash", "score_subject"]


#: Significant digits of a float feature in :func:`feature_hash` (see there).
#: A folder modified less than this long before it was listed may change again within the same
#: tick of the file system clock without its modification time changing: list it again.
_SETTLE_S: Final = 1.0


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def feature_hash(row: dict[str, Any]) -> str:
    """A stable hash of one subject's feature values: equal features, equal hash.

    Features are bit-identical however they were computed (whole store or one subject, any row
    order: amount sums are exact decimals), so the hash needs no rounding.

    Examples
    --------
    >>> a = feature_hash({"subject_id": "s1", "ratio": 0.031714817009021484, "n": None})
    >>> a == feature_hash({"n": None, "ratio": 0.031714817009021484, "subject_id": "s1"})
    True
    >>> a == feature_hash({"subject_id": "s1", "ratio": 0.03171481700902148, "n": None})
    False
    """
    text = json.dumps(row, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _result(
    art: ScorecardArtifact, subject_id: str, as_of: dt.date, row: dict[str, Any],
    scored: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """The service's ``ScoreResult`` of one subject from its feature row and its scored row."""
    reasons = []
    for i in range(1, 5):
        code = scored[f"reason_{i}"]
        if code:
            text, improve = art.reason_text(code, row)
            reasons.append({"code": code, "text": text, "improve": improve})
    return {
        "subject_id": subject_id,
        "as_of": as_of.isoformat(),
        "model_version": art.model_version,
        "model_hash": art.content_hash,
        "score": scored["score"],
        "status": scored["status"],
        "subscores": {d: scored[d] for d in art.dimension_names},
        "reasons": reasons,
        "feature_hash": feature_hash(row),
        "quality": [
            {
                "characteristic": f.characteristic,
                "kind": f.kind,
                "value": _json_value(f.value),
                "text": f.text,
            }
            for f in describe_flags(art, row)
        ],
        "score_range": _range(art.score_range),
        "subscore_ranges": {d: _range(art.dimension_range(d)) for d in art.dimension_names},
    }


def _json_value(v: Any) -> Any:
    """A flagged value for JSON: NaN and infinities (which JSON cannot hold) as text."""
    return str(v) if isinstance(v, float) and not math.isfinite(v) else v


def _range(lo_hi: tuple[int, int]) -> dict[str, int]:
    return {"min": lo_hi[0], "max": lo_hi[1]}


def score_subject(
    store: RecordStore,
    art: ScorecardArtifact,
    subject_id: str,
    as_of: dt.date,
    *,
    known_at: dt.datetime | None = None,
    consent_categories: Collection[str] = DEFAULT_CONSENT_CATEGORIES,
) -> dict[str, Any]:
    """Score one subject as of a date, with what was known at ``known_at`` (default: now).

    One DuckDB query over the store for this subject: what a replay runs. The dict has the
    shape of the service's ``ScoreResult``. Bills of ``consent_categories`` count only with a
    consent in force (see :mod:`trustscore.features._consent`).
    """
    known_at = known_at or dt.datetime.now(dt.UTC)
    kind = artifact_subject_kind(art)  # a model scores one kind, from that kind's features
    features = compute_features(
        store, as_of, subjects=[subject_id], known_at=known_at,
        consent_categories=consent_categories, subject_kind=kind,
    )  # fmt: skip
    if features.num_rows == 0:
        other = subject_kind(store, subject_id)
        if other is not None and other != kind:
            msg = (
                f"Subject {subject_id!r} is an {other}"
                if other[0] in "aeiou"
                else f"Subject {subject_id!r} is a {other}"
            )
            msg += (
                f"; model {art.model_version} scores {kind}s. Persons and organisations are "
                "scored by separate models: use the champion of the subject's kind."
            )
            raise PurposeError(msg, subject_id=subject_id)
        raise _unknown(subject_id, as_of)
    row = features.to_pylist()[0]
    scored = score(art, features).to_pylist()[0]
    return _result(art, subject_id, as_of, row, scored)


def subject_kind(store: RecordStore, subject_id: str) -> str | None:
    """The kind (``person``, ``organisation``) of the subject's latest subject record; None
    for an unknown subject."""
    rows = store.read("subject", subjects=[subject_id]).to_pylist()
    return str(sorted(rows, key=version_order)[-1]["kind"]) if rows else None


def _unknown(subject_id: str, as_of: dt.date) -> NotFoundError:
    msg = f"No subject {subject_id!r} is known as of {as_of}."
    return NotFoundError(msg, subject_id=subject_id)


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return None


def _listing(folder: Path, suffix: str) -> frozenset[str]:
    try:
        return frozenset(
            e.name
            for e in os.scandir(folder)
            if e.name.endswith(suffix) and not e.name.startswith(".")
        )
    except FileNotFoundError:
        return frozenset()


_Mtimes = tuple[int | None, int | None, int | None, int | None, int | None]


@dataclass(frozen=True)
class _State:
    """What an answer depends on besides the subject, as cheap to read as a few stat calls."""

    as_of: dt.date
    clock: int | None  # workspace.json mtime
    model: int | None  # models/registry.json mtime
    batches: int | None  # store/_batches mtime
    suppressions: int | None  # store/_suppressions mtime
    consents: int | None  # store/_consents mtime

    @property
    def mtimes(self) -> _Mtimes:
        return (self.clock, self.model, self.batches, self.suppressions, self.consents)

    def newest_ns(self) -> int:
        return max(t for t in (*self.mtimes, 0) if t)


@dataclass
class _Scores:
    """Every subject's features and scored row for one state of the store."""

    state: _State
    art: ScorecardArtifact
    batch_files: frozenset[str]
    suppression_files: frozenset[str]
    consent_files: frozenset[str]
    features: dict[str, dict[str, Any]]
    scored: dict[str, dict[str, Any]]
    valid_until: dt.datetime | None  # the first record or suppression dated after computing
    settled: bool  # listed long enough after the last change that the mtimes can be trusted
    results: dict[str, dict[str, Any]] = field(default_factory=dict)

    def current(self, state: _State, now: dt.datetime) -> bool:
        return (
            self.settled
            and state == self.state
            and (self.valid_until is None or now < self.valid_until)
        )

    def current_at(self, mtimes: _Mtimes, now: dt.datetime) -> bool:
        """:meth:`current` from the mtimes alone (an unchanged clock file keeps the as-of)."""
        return (
            self.settled
            and mtimes == self.state.mtimes
            and (self.valid_until is None or now < self.valid_until)
        )

    def result(self, subject_id: str) -> dict[str, Any]:
        """The subject's ``ScoreResult`` (built once per subject and state, then kept)."""
        result = self.results.get(subject_id)
        if result is None:
            # a rescore may drop a subject from these dicts meanwhile: look each up once
            row, points = self.features.get(subject_id), self.scored.get(subject_id)
            if row is None or points is None:
                raise _unknown(subject_id, self.state.as_of)
            result = _result(self.art, subject_id, self.state.as_of, row, points)
            self.results[subject_id] = result
        return _copy(result)


def _copy(result: dict[str, Any]) -> dict[str, Any]:
    return {
        **result,
        "subscores": dict(result["subscores"]),
        "reasons": [dict(r) for r in result["reasons"]],
        "quality": [dict(q) for q in result.get("quality", ())],
    }


class WorkspaceProvider:
    """Answers the service's questions about subjects from one workspace.

    Scores come from memory (see the module's docstring); :meth:`warm` computes them ahead of
    the first request. Safe to call from many threads.

    A score or decision for a purpose uses only that purpose's champion in ``registry`` (the
    workspace's own ledger by default): a purpose without one is refused. Every subject's
    score is kept in memory for one model, the champion of the first purpose that has one
    (credit pricing, when it has one), which also gives the subject's own file its score; the
    champion of another purpose, where it is another model, scores the subject on request.
    With ``shadow_challengers``, a purpose's challenger also scores each request, written to
    ``workspace/shadow/<purpose>.jsonl`` beside the champion's answer, which it never changes.

    Examples
    --------
    >>> import tempfile
    >>> provider = WorkspaceProvider(tempfile.mkdtemp())
    >>> provider.record_inquiry("s1", "Bank", "credit_limit", dt.datetime.now(dt.UTC)) is None
    True
    """

    def __init__(
        self,
        workspace: Workspace | str,
        *,
        consent_categories: Collection[str] = DEFAULT_CONSENT_CATEGORIES,
        clock: Callable[[], dt.datetime] | None = None,
        registry: lg.Ledger | None = None,
        shadow_challengers: bool = False,
    ) -> None:
        self.workspace = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
        self._registry = registry
        #: score each request with the purpose's challenger too, into workspace/shadow/
        self.shadow_challengers = shadow_challengers
        self._shadow_lock = threading.Lock()
        self._challengers: tuple[int | None, dict[str, ScorecardArtifact]] | None = None
        #: the champion of each purpose that has one, as of one state of models/registry.json
        self._champions: tuple[int | None, dict[str, ScorecardArtifact]] | None = None
        #: The current UTC time: what is known "now" (tests pass a clock they move by hand).
        self.now: Callable[[], dt.datetime] = clock or _utc_now
        self.store = RecordStore(self.workspace.store_dir)
        #: bill categories that count only with the subject's consent
        self.consent_categories = tuple(consent_categories)
        self._lock = threading.Lock()
        self._artifact: tuple[int | None, ScorecardArtifact] | None = None
        self._scores: _Scores | None = None
        self._as_of: tuple[int | None, dt.date] | None = None
        # the files watched on every answer, as strings: building the Paths costs more than
        # the stat calls
        self._watched = tuple(
            os.fspath(p)
            for p in (
                self.workspace.clock_path,
                self.workspace.registry_path,
                self.store.batches_dir,
                self.store.suppressions_dir,
                consents_dir(self.store),
            )
        )

    # -- what the answers depend on -----------------------------------------------------------
    def _mtimes(self) -> _Mtimes:
        clock, model, batches, suppressions, consents = self._watched
        return (
            _mtime(clock), _mtime(model), _mtime(batches), _mtime(suppressions), _mtime(consents)
        )  # fmt: skip

    def _state(self) -> _State:
        clock, model, batches, suppressions, consents = self._mtimes()
        cached = self._as_of
        if cached is None or cached[0] != clock or clock is None:
            cached = (clock, self.workspace.as_of())
            self._as_of = cached
        return _State(
            as_of=cached[1], clock=clock, model=model, batches=batches, suppressions=suppressions,
            consents=consents,
        )  # fmt: skip

    @property
    def registry(self) -> lg.Ledger:
        """The ledger whose registry names each purpose's champion."""
        if self._registry is None:
            ledger = lg.Ledger(self.workspace.ledger_url)
            ledger.upgrade()
            self._registry = ledger
        return self._registry

    def _load_champions(self, model_mtime: int | None) -> dict[str, ScorecardArtifact]:
        if self._champions is None or self._champions[0] != model_mtime:
            found: dict[str, ScorecardArtifact] = {}
            loaded: dict[str, ScorecardArtifact] = {}
            for purpose in APPROVABLE_PURPOSES:
                model = lg.champion(self.registry, purpose)
                if model is not None:
                    if model.model_hash not in loaded:
                        loaded[model.model_hash] = registered_artifact(self.workspace, model)
                    found[purpose] = loaded[model.model_hash]
            self._champions = (model_mtime, found)
            if self.shadow_challengers:
                self._challengers = (model_mtime, {
                    purpose: registered_artifact(self.workspace, model)
                    for purpose in APPROVABLE_PURPOSES
                    if (model := lg.challenger(self.registry, purpose)) is not None
                })  # fmt: skip
        return self._champions[1]

    def _challenger(self, scores: _Scores, purpose: str) -> ScorecardArtifact | None:
        """The challenger of ``purpose`` when shadow scoring is on (loaded with the champions)."""
        if not self.shadow_challengers:
            return None
        self._champion(scores, purpose)  # loads both for this registry state
        cached = self._challengers
        return None if cached is None else cached[1].get(purpose)

    def _shadow(self, scores: _Scores, purpose: str, answer: dict[str, Any]) -> None:
        """Score the subject with the purpose's challenger and write the pair to shadow/."""
        chall = self._challenger(scores, purpose)
        if chall is None:
            return
        subject_id = str(answer["subject_id"])
        shadow = self._score_with(scores, chall, subject_id)

        def part(result: dict[str, Any]) -> dict[str, Any]:
            reasons = result["reasons"]
            return {
                "model_version": result["model_version"], "model_hash": result["model_hash"],
                "score": result["score"], "status": result["status"],
                "reason_1": reasons[0]["code"] if reasons else None,
            }  # fmt: skip

        line = {
            "at": self.now().isoformat(), "purpose": purpose, "subject_id": subject_id,
            "as_of": answer["as_of"], "champion": part(answer), "challenger": part(shadow),
        }  # fmt: skip
        folder = self.workspace.shadow_dir
        with self._shadow_lock:
            folder.mkdir(parents=True, exist_ok=True)
            with (folder / f"{purpose}.jsonl").open("a", encoding="utf-8") as out:
                out.write(json.dumps(line, sort_keys=True) + "\n")

    def _load_artifact(self, model_mtime: int | None) -> ScorecardArtifact:
        if self._artifact is None or self._artifact[0] != model_mtime:
            champions = self._load_champions(model_mtime)
            if not champions:
                msg = (
                    f"No model is approved and promoted for any purpose in the registry of "
                    f"{self.workspace.root}: nothing may be scored (trustscore model promote)."
                )
                raise PurposeError(msg)
            self._artifact = (model_mtime, next(iter(champions.values())))
        return self._artifact[1]

    def _champion(self, scores: _Scores, purpose: str) -> ScorecardArtifact:
        """The champion of ``purpose`` in the registry state ``scores`` was computed from."""
        check_purpose_approvable(purpose)
        cached = self._champions
        if cached is None or cached[0] != scores.state.model:
            with self._lock:
                champions = self._load_champions(scores.state.model)
        else:
            champions = cached[1]
        art = champions.get(purpose)
        if art is None:
            msg = (
                f"No model is approved and promoted for {purpose!r}: nothing may score for it. "
                "A validator approves a registered model and promotes it (trustscore model "
                "approve, trustscore model promote)."
            )
            raise PurposeError(msg, purpose=purpose)
        check_purpose(art, purpose)
        return art

    @property
    def artifact(self) -> ScorecardArtifact:
        """The model every subject's score is kept in memory for (see the class docstring)."""
        with self._lock:
            return self._load_artifact(_mtime(self._watched[1]))

    def _current(self) -> _Scores:
        now = self.now()
        state = self._state()
        scores = self._scores
        if scores is not None and scores.current(state, now):
            return scores
        with self._lock:
            return self._refresh(now)

    def _refresh(self, now: dt.datetime) -> _Scores:
        state = self._state()  # again, under the lock
        old = self._scores
        if old is not None and old.current(state, now):
            return old
        batch_files = _listing(self.store.batches_dir, ".json")
        suppression_files = _listing(self.store.suppressions_dir, ".parquet")
        consent_files = _listing(consents_dir(self.store), ".parquet")
        settled = (now.timestamp() * 1e9 - state.newest_ns()) > _SETTLE_S * 1e9
        corrections = (
            None
            if old is None or not old.batch_files <= batch_files
            else self._corrections(batch_files - old.batch_files)
        )
        same_base = (
            old is not None
            and (old.state.as_of, old.state.clock, old.state.model)
            == (state.as_of, state.clock, state.model)
            and corrections is not None
            and (old.valid_until is None or now < old.valid_until)
            and old.suppression_files <= suppression_files
            and old.consent_files <= consent_files
        )
        if old is not None and corrections is not None and same_base:
            added = suppression_files - old.suppression_files
            consented = consent_files - old.consent_files
            if added or corrections or consented:
                self._patch(old, added, corrections, now, consented)
            old.state, old.suppression_files, old.settled = state, suppression_files, settled
            old.batch_files, old.consent_files = batch_files, consent_files
            return old
        self._scores = self._build(
            state, batch_files, suppression_files, consent_files, settled, now
        )
        return self._scores

    def _build(
        self, state: _State, batch_files: frozenset[str], suppression_files: frozenset[str],
        consent_files: frozenset[str], settled: bool, now: dt.datetime,
    ) -> _Scores:  # fmt: skip
        """Every subject's features and score, computed in one pass at ``now``."""
        art = self._load_artifact(state.model)
        features = compute_features(
            self.store, state.as_of, known_at=now, consent_categories=self.consent_categories
        )
        scored = score(art, features)
        ids = features.column("subject_id").to_pylist()
        later = [m.ingested_at for m in self.store.batches() if m.ingested_at > now]
        later += [
            t for t in self.store.suppressions().column("suppressed_at").to_pylist() if t > now
        ]
        consents = read_consents(self.store)
        for name in ("effective_at", "recorded_at"):
            # a consent event dated later (a few, among many) makes the answers expire then
            column = consents.column(name)
            soonest = pc.min(column.filter(pc.greater(column, pa.scalar(now, column.type))))
            if soonest.is_valid:
                later.append(soonest.as_py())
        rows = dict(zip(ids, features.to_pylist(), strict=True))
        points = dict(zip(ids, scored.to_pylist(), strict=True))
        return _Scores(
            state=state,
            art=art,
            batch_files=batch_files,
            suppression_files=suppression_files,
            consent_files=consent_files,
            features=rows,
            scored=points,
            valid_until=min(later, default=None),
            settled=settled,
            # built now, not one by one as requests come: the answers then allocate nothing
            # that lives on, and a process can freeze them out of the collector's sight
            results={
                sid: _result(art, sid, state.as_of, row, points[sid]) for sid, row in rows.items()
            },
        )

    def _corrections(self, names: frozenset[str]) -> list[BatchManifest] | None:
        """The manifests of new batch files if each is a dispute's correction, else None."""
        folder = (self.store.root / "_corrections").resolve()
        found = []
        for name in sorted(names):
            manifest = self.store.batch(name.removesuffix(".json"))
            if Path(manifest.file).resolve().parent != folder:
                return None  # a furnisher's batch: everything is recomputed
            found.append(manifest)
        return found

    def _patch(
        self,
        scores: _Scores,
        added: frozenset[str],
        corrections: list[BatchManifest],
        now: dt.datetime,
        consented: frozenset[str] = frozenset(),
    ) -> None:
        """Recompute the subjects of newly suppressed or corrected records, and of new consents."""
        folder = self.store.suppressions_dir
        rows = [
            r
            for name in sorted(added)
            for r in pq.read_table(folder / name, schema=SUPPRESSION_SCHEMA).to_pylist()
        ]
        subjects: set[str] = set()
        for m in corrections:
            if m.ingested_at > now:
                until = scores.valid_until
                scores.valid_until = m.ingested_at if until is None else min(until, m.ingested_at)
            for part in m.parts:
                ids = pq.read_table(self.store.kind_dir(m.kind) / part, columns=["subject_id"])
                subjects.update(str(v) for v in ids.column("subject_id").to_pylist())
        for r in rows:
            if r["suppressed_at"] > now:
                until = scores.valid_until
                scores.valid_until = (
                    r["suppressed_at"] if until is None else min(until, r["suppressed_at"])
                )
            try:
                subjects.add(str(self.store.record(r["kind"], r["record_id"])["subject_id"]))
            except NotFoundError:
                continue  # a suppression of a record that is not stored changes nothing
        for name in sorted(consented):
            events = pq.read_table(consents_dir(self.store) / name)
            subjects.update(str(v) for v in events.column("subject_id").to_pylist())
            for column in ("effective_at", "recorded_at"):
                for t in events.column(column).to_pylist():
                    if t > now:
                        until = scores.valid_until
                        scores.valid_until = t if until is None else min(until, t)
        if not subjects:
            return
        fresh = compute_features(
            self.store, scores.state.as_of, subjects=sorted(subjects), known_at=now,
            consent_categories=self.consent_categories,
        )  # fmt: skip
        scored = score(scores.art, fresh)
        for row, points in zip(fresh.to_pylist(), scored.to_pylist(), strict=True):
            sid = row["subject_id"]
            scores.features[sid], scores.scored[sid] = row, points
            scores.results.pop(sid, None)
        for sid in subjects - set(fresh.column("subject_id").to_pylist()):
            scores.features.pop(sid, None)
            scores.scored.pop(sid, None)
            scores.results.pop(sid, None)

    def features_of(self, subject_id: str) -> tuple[ScorecardArtifact, dt.date, dict[str, Any]]:
        """The model, the as-of date and the features the subject's current score is from."""
        scores = self._current()
        row = scores.features.get(subject_id)
        if row is None:
            raise _unknown(subject_id, scores.state.as_of)
        return scores.art, scores.state.as_of, dict(row)

    def warm(self) -> None:
        """Compute every subject's score now rather than on the first request."""
        self._current()

    # -- the SubjectProvider protocol ---------------------------------------------------------
    def current_score(self, subject_id: str) -> dict[str, Any]:
        """The subject's score now, as :func:`score_subject` would compute it."""
        return self._current().result(subject_id)

    def score(self, subject_id: str, purpose: str) -> dict[str, Any]:
        scores = self._current()
        org = self._organisation_champion(scores, purpose, subject_id)
        if org is not None:
            return self._score_with(scores, org, subject_id)
        result = self._score_with(scores, self._champion(scores, purpose), subject_id)
        self._shadow(scores, purpose, result)
        return result

    def _organisation_champion(
        self, scores: _Scores, purpose: str, subject_id: str
    ) -> ScorecardArtifact | None:
        """The champion of ``purpose`` for organisations if the subject is one, else None.

        Persons' scores are kept in memory (see the class docstring); an organisation is scored
        per request by the champion of its own kind (one query, as a replay), never by the
        persons' model, and without a shadow score.
        """
        if subject_id in scores.features or subject_kind(self.store, subject_id) != "organisation":
            return None
        check_purpose_approvable(purpose)
        art = champion_artifact(self.registry, self.workspace, purpose, subject_kind="organisation")
        check_purpose(art, purpose)
        return art

    def _score_with(
        self, scores: _Scores, art: ScorecardArtifact, subject_id: str
    ) -> dict[str, Any]:
        """The subject's score by ``art``: from memory if it is the kept model, else computed."""
        if art.content_hash == scores.art.content_hash:
            return scores.result(subject_id)
        return score_subject(
            self.store, art, subject_id, scores.state.as_of, known_at=self.now(),
            consent_categories=self.consent_categories,
        )  # fmt: skip

    def decide(self, subject_id: str, purpose: str) -> dict[str, Any]:
        scores = self._current()
        decision = self._decide(scores, subject_id, purpose)
        if subject_id in scores.features:  # persons' challengers shadow persons only
            self._shadow(scores, purpose, decision["score"])  # after the decision, never into it
        return decision

    # -- the same answers without blocking, when they are in memory ---------------------------
    def _current_nowait(self) -> _Scores | None:
        """The scores if they are current, from four ``stat`` calls; None if they need work."""
        scores = self._scores
        if scores is None or not scores.current_at(self._mtimes(), self.now()):
            return None
        return scores

    def score_nowait(self, subject_id: str, purpose: str) -> dict[str, Any] | None:
        """:meth:`score` if it can answer from memory now, else None (call :meth:`score`).

        It never computes or reads the store, so an event loop may call it.
        """
        scores = self._current_nowait()
        if scores is None or subject_id not in scores.features:
            return None  # an organisation (or an unknown subject): answered off the event loop
        art = self._champion(scores, purpose)
        if art.content_hash != scores.art.content_hash:
            return None  # another purpose's champion: scored per subject, off the event loop
        if self._challenger(scores, purpose) is not None:
            return None  # a shadow score to compute and write: off the event loop
        return scores.result(subject_id)

    def decide_nowait(self, subject_id: str, purpose: str) -> dict[str, Any] | None:
        """:meth:`decide` if it can answer from memory now, else None (call :meth:`decide`)."""
        scores = self._current_nowait()
        if (
            scores is None
            or subject_id not in scores.features
            or self._champion(scores, purpose).content_hash != scores.art.content_hash
            or self._challenger(scores, purpose) is not None
        ):
            return None
        return self._decide(scores, subject_id, purpose)

    def record_inquiry_nowait(
        self, subject_id: str, requester: str, purpose: str, at: dt.datetime
    ) -> bool:
        """:meth:`record_inquiry`, which stores nothing and so never blocks: always True."""
        self.record_inquiry(subject_id, requester, purpose, at)
        return True

    def _decide(self, scores: _Scores, subject_id: str, purpose: str) -> dict[str, Any]:
        art = self._organisation_champion(scores, purpose, subject_id) or self._champion(
            scores, purpose
        )
        result = self._score_with(scores, art, subject_id)
        row: dict[str, Any] = {
            "subject_id": subject_id,
            "score": result["score"],
            "status": result["status"],
        }
        for i, reason in enumerate(result["reasons"], start=1):
            row[f"reason_{i}"] = reason["code"]
        policy = policy_for(purpose, art.model_version, scaling=art.scaling)
        decision = decide_one(policy, art, row)
        return {
            "policy": decision.policy,
            "outcome": decision.outcome,
            "adverse": decision.adverse,
            "notice": None if decision.notice is None else decision.notice.to_dict(),
            "score": result,
            # whether a person must decide first, and the policy's bounds for a review
            "review": referral(
                policy, outcome=decision.outcome, score=decision.score, status=decision.status,
                review=decision.review, quality=result.get("quality"),
            ),
        }  # fmt: skip

    def file(self, subject_id: str) -> dict[str, Any]:
        subjects = self.store.read("subject", subjects=[subject_id])
        if subjects.num_rows == 0:
            msg = f"No subject {subject_id!r}."
            raise NotFoundError(msg, subject_id=subject_id)
        records: dict[str, list[dict[str, Any]]] = {}
        suppressed = {(r["kind"], r["record_id"]) for r in self.store.suppressions().to_pylist()}
        for kind in DISPUTABLE_KINDS:
            # the records whose latest version is theirs (not those an identity change moved)
            table: pa.Table = current_rows(self.store, kind, subject_id)
            records[kind] = [
                {**r, "suppressed": (kind, r["record_id"]) in suppressed}
                for r in record_histories(table.to_pylist())
            ]
        latest_subject = sorted(subjects.to_pylist(), key=version_order)[-1]
        current = self.current_score(subject_id)
        left_out = bills_without_consent(
            self.store, dt.date.fromisoformat(current["as_of"]), subjects=[subject_id],
            known_at=dt.datetime.now(dt.UTC), consent_categories=self.consent_categories,
        ).column("record_id").to_pylist()  # fmt: skip
        unconsented = set(left_out)
        for bill in records.get("obligation", []):
            bill["left_out_for_consent"] = bill["record_id"] in unconsented
        events = read_consents(self.store, subjects=[subject_id]).to_pylist()
        return {
            "subject": _jsonable(latest_subject),
            "records": records,
            "current_score": current,
            "consent": {
                "categories_needing_consent": list(self.consent_categories),
                "events": [_jsonable(e) for e in sorted(events, key=_consent_order)],
                "bills_left_out": left_out,
            },
        }

    def record_owner(self, kind: str, record_id: str) -> str:
        if kind not in DISPUTABLE_KINDS:
            kinds = ", ".join(DISPUTABLE_KINDS)
            msg = f"Records of kind {kind!r} cannot be disputed; kinds are {kinds}."
            raise NotFoundError(msg, kind=kind)
        return str(self.store.record(kind, record_id)["subject_id"])

    def record_inquiry(
        self,
        subject_id: str,  # noqa: ARG002 - the protocol's signature
        requester: str,  # noqa: ARG002
        purpose: str,  # noqa: ARG002
        at: dt.datetime,  # noqa: ARG002
    ) -> None:
        # The ledger's access log is the inquiry the subject sees (who, for what, when); it is
        # written by the service in the same request. Inquiry *records* that feed the features
        # arrive from furnishers' inquiry files, so nothing is stored here twice.
        return None

    def suppress(self, kind: str, record_id: str, reason: str) -> None:
        self.store.suppress(kind, [record_id], reason=reason, at=self.now())
        with self._lock:
            # look at the store again on the next answer, whatever its folders' mtimes say
            if self._scores is not None:
                self._scores.settled = False

    def check_correction(
        self, kind: str, record_id: str, correction: dict[str, Any], dispute_id: str
    ) -> None:
        """Refuse a correction that would not make a valid record (before it is recorded)."""
        check_correction(
            self.store, kind, record_id, correction, dispute_id=dispute_id, at=self.now(),
        )  # fmt: skip

    def apply_resolution(self, suppression: Suppression) -> str | None:
        """Carry a ledger suppression or correction into the store; the corrected record's id.

        Idempotent (see :mod:`trustscore.pipeline._resolutions`).
        """
        new_id = apply_resolution(self.store, suppression)
        with self._lock:
            if self._scores is not None:
                self._scores.settled = False
        return new_id

    def apply_consent(self, event: ConsentEvent) -> None:
        """Carry a ledger consent event into the store (idempotent); the next answer sees it."""
        apply_consents(self.store, [event])
        with self._lock:
            if self._scores is not None:
                self._scores.settled = False

    def apply_identity_change(self, change: IdentityChange) -> None:
        """Carry a ledger identity change into the stores (idempotent); the next answer sees it.

        The moved records' new versions are a batch of their own, so every answer is rebuilt.
        """
        apply_identity_change(self.store, change)
        with self._lock:
            if self._scores is not None:
                self._scores.settled = False

    def rescore(self, subject_id: str) -> dict[str, Any]:
        return self.current_score(subject_id)


def record_histories(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per record from the stored rows of its versions: the latest version's values,
    ``deleted`` (its furnisher withdrew it), and ``versions``, oldest first, each with its values,
    the furnisher that sent it, its batch and when it was ingested.

    Examples
    --------
    >>> at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    >>> rows = [
    ...     {"record_id": "o1", "furnisher": "power", "paid_date": None, "action": None,
    ...      "batch_id": "b1", "ingested_at": at},
    ...     {"record_id": "o1", "furnisher": "power", "paid_date": dt.date(2024, 12, 20),
    ...      "action": None, "batch_id": "b2", "ingested_at": at + dt.timedelta(days=3)}]
    >>> [entry] = record_histories(rows)
    >>> entry["paid_date"], entry["deleted"], len(entry["versions"])
    ('2024-12-20', False, 2)
    >>> [(v["version"], v["furnisher"], v["ingested_at"]) for v in entry["versions"]]
    [(1, 'power', '2025-01-01T00:00:00+00:00'), (2, 'power', '2025-01-04T00:00:00+00:00')]
    """
    by_id: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=version_order):
        by_id.setdefault(str(row["record_id"]), []).append(row)
    out = []
    for versions in by_id.values():
        latest = _jsonable(versions[-1])
        latest["deleted"] = latest.get("action") == DELETE
        latest["versions"] = [
            {"version": i, **_jsonable(v)} for i, v in enumerate(versions, start=1)
        ]
        out.append(latest)
    return out


def _consent_order(event: dict[str, Any]) -> tuple[Any, ...]:
    return (event["effective_at"], event["recorded_at"], event["consent_id"])


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in row.items():
        out[k] = v.isoformat() if isinstance(v, dt.date | dt.datetime) else v
    return out
