"""Scores, decisions and files for one subject at a time, from a workspace: the service's source.

:class:`WorkspaceProvider` is what the REST service calls (it satisfies
``trustscore.service.SubjectProvider``). Every answer is computed from the record store as of the
workspace's date with the current model, so it can be replayed later from the same records and
the model version the ledger recorded.

The online path reads one row per request from the ledger's keyed table of latest scores
(``latest_scores``: score, sub-scores, reasons, quality flags and feature values per subject),
which the batch run fills for the whole population (:func:`trustscore.pipeline.publish_scores`,
``trustscore publish``, ``trustscore demo``). A row is the answer while the state of the store it
was computed from is the current one (:mod:`trustscore.pipeline._latest`): the same model and
as-of date, no batch since that may touch the subject, no suppression, correction, consent or
identity change of the subject since, and no event dated between its computation and now. What
can change an answer is watched on every request with a few ``stat`` calls: the workspace's
as-of date, its model registry (``models/registry.json``, rewritten on every move of a
champion), the store's ``_batches/``, ``_suppressions/`` and ``_consents/``. A row that is
missing or stale is computed with the per-subject query a replay runs (:func:`score_subject`)
and stored. So the answer always equals what :func:`score_subject` computes at the time of the
request, a rescore after a suppression sees the suppression, and the process holds no
subject's score: its memory does not depend on the population.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import math
import os
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from typing import Any, Final, TypeVar

import pyarrow as pa

from trustscore import ledger as lg
from trustscore.decisions import check_purpose, decide_one, policy_for, referral
from trustscore.exceptions import NotFoundError, PurposeError
from trustscore.features import (
    DEFAULT_CONSENT_CATEGORIES,
    SubjectBills,
    compute_features,
)
from trustscore.ledger import ConsentEvent, IdentityChange, Suppression
from trustscore.pipeline._consents import apply_consents
from trustscore.pipeline._identity_changes import apply_identity_change
from trustscore.pipeline._latest import (
    MAX_PATCHED,
    Listing,
    changes_in,
    event_times,
    new_base,
    patch_token,
    store_listing,
)
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
    RECORD_KINDS,
    RecordStore,
    check_correction,
    consents_dir,
    latest_rows,
    read_consents,
    subject_rows,
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
    return _features_and_result(store, art, subject_id, as_of, known_at, consent_categories)[1]


def _copy(result: dict[str, Any]) -> dict[str, Any]:
    return {
        **result,
        "subscores": dict(result["subscores"]),
        "reasons": [dict(r) for r in result["reasons"]],
        "quality": [dict(q) for q in result.get("quality", ())],
    }


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


#: a stored row as one of the ledger's reads gives it (with or without the features)
_Row = TypeVar("_Row", bound=lg.LatestAnswer)

_Mtimes = tuple[int | None, int | None, int | None, int | None, int | None]


@dataclass
class _View:
    """What every stored row is judged against: a state of the store, the model, the date."""

    mtimes: _Mtimes  # of the clock file, the registry, _batches, _suppressions, _consents
    settled: bool  # listed long enough after the last change that the mtimes can be trusted
    as_of: dt.date
    art: ScorecardArtifact
    base: lg.ScoreBase
    listing: Listing
    #: subject -> names of the files committed since the base that touch it
    patched: dict[str, tuple[str, ...]]
    #: every event time in the store later than the base's known_at, sorted
    times: tuple[dt.datetime, ...]

    def patch(self, subject_id: str) -> str:
        return patch_token(self.patched.get(subject_id, ()))

    def current(self, row: lg.LatestAnswer, now: dt.datetime) -> bool:
        """Whether ``row`` is the answer at ``now`` (see :mod:`trustscore.pipeline._latest`)."""
        if (
            row.base_id != self.base.base_id
            or row.model_hash != self.art.content_hash
            or row.as_of != self.as_of
            or row.patch != self.patch(row.subject_id)
        ):
            return False
        # no event between its computation and now, whichever is first (a clock moved by hand
        # may have computed it "later")
        lo, hi = sorted((row.computed_at, now))
        later = bisect.bisect_right(self.times, lo)
        return later == len(self.times) or self.times[later] > hi


def _features_and_result(
    store: RecordStore, art: ScorecardArtifact, subject_id: str, as_of: dt.date,
    known_at: dt.datetime, consent_categories: Collection[str],
) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    """One subject's feature row and ``ScoreResult``: the per-subject query a replay runs.

    A model scores one kind of subject from that kind's features: a subject of the other kind
    is refused (PurposeError), never scored by it.
    """
    kind = artifact_subject_kind(art)
    features = compute_features(
        store, as_of, subjects=[subject_id], known_at=known_at,
        consent_categories=consent_categories, subject_kind=kind,
    )  # fmt: skip
    if features.num_rows == 0:
        other = subject_kind(store, subject_id)
        if other is not None and other != kind:
            article = "an" if other[0] in "aeiou" else "a"
            msg = (
                f"Subject {subject_id!r} is {article} {other}; model {art.model_version} scores "
                f"{kind}s. Persons and organisations are scored by separate models: use the "
                "champion of the subject's kind."
            )
            raise PurposeError(msg, subject_id=subject_id)
        raise _unknown(subject_id, as_of)
    row = features.to_pylist()[0]
    scored = score(art, features).to_pylist()[0]
    return row, _result(art, subject_id, as_of, row, scored)


class WorkspaceProvider:
    """Answers the service's questions about subjects from one workspace.

    Scores come from the ledger's keyed table of latest scores, one row per request, computed
    and stored for a subject whose row is missing or stale (see the module's docstring); no
    subject's score is held in memory, so the memory does not depend on the population.
    Safe to call from many threads and processes.

    A score or decision for a purpose uses only that purpose's champion in ``registry`` (the
    workspace's own ledger by default, which also holds the latest scores): a purpose without
    one is refused. The table keeps one model's scores, the champion of the first purpose that
    has one (credit pricing, when it has one), which also gives the subject's own file its
    score; the champion of another purpose, where it is another model, scores the subject on
    request. With ``shadow_challengers``, a purpose's challenger also scores each request,
    written to ``workspace/shadow/<purpose>.jsonl`` beside the champion's answer, which it
    never changes.

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
        #: a subject's bills left out for lack of consent, for its file
        self._bills = SubjectBills(self.consent_categories)
        self._lock = threading.Lock()
        self._artifact: tuple[int | None, ScorecardArtifact] | None = None
        self._view: _View | None = None
        self._as_of: tuple[int | None, dt.date] | None = None
        #: ids of bases found in rows that this view cannot take up (bounded, see _adopt)
        self._foreign: set[str] = set()
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

    def _as_of_at(self, clock: int | None) -> dt.date:
        cached = self._as_of
        if cached is None or cached[0] != clock or clock is None:
            cached = (clock, self.workspace.as_of())
            self._as_of = cached
        return cached[1]

    @property
    def registry(self) -> lg.Ledger:
        """The ledger whose registry names each purpose's champion and holds the latest scores."""
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

    def _challenger(self, view: _View, purpose: str) -> ScorecardArtifact | None:
        """The challenger of ``purpose`` when shadow scoring is on (loaded with the champions)."""
        if not self.shadow_challengers:
            return None
        self._champion(view, purpose)  # loads both for this registry state
        cached = self._challengers
        return None if cached is None else cached[1].get(purpose)

    def _shadow(self, view: _View, purpose: str, answer: dict[str, Any]) -> None:
        """Score the subject with the purpose's challenger and write the pair to shadow/."""
        chall = self._challenger(view, purpose)
        if chall is None:
            return
        subject_id = str(answer["subject_id"])
        shadow = self._score_with(view, chall, subject_id)

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

    def _champion(self, view: _View, purpose: str) -> ScorecardArtifact:
        """The champion of ``purpose`` in the registry state of ``view``."""
        check_purpose_approvable(purpose)
        cached = self._champions
        if cached is None or cached[0] != view.mtimes[1]:
            with self._lock:
                champions = self._load_champions(view.mtimes[1])
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
        """The model the table of latest scores keeps (see the class docstring)."""
        with self._lock:
            return self._load_artifact(_mtime(self._watched[1]))

    # -- the state rows are judged against ----------------------------------------------------
    def _current(self) -> _View:
        view = self._view
        if view is not None and view.settled and view.mtimes == self._mtimes():
            return view
        with self._lock:
            return self._refresh(self.now())

    def _refresh(self, now: dt.datetime) -> _View:
        mtimes = self._mtimes()  # again, under the lock
        old = self._view
        if old is not None and old.settled and old.mtimes == mtimes:
            return old
        as_of = self._as_of_at(mtimes[0])
        art = self._load_artifact(mtimes[1])
        listing = store_listing(self.store)
        newest = max((t for t in mtimes if t), default=0)
        settled = (now.timestamp() * 1e9 - newest) > _SETTLE_S * 1e9
        found = None
        if old is not None and old.listing <= listing:
            found = self._extend(old.base, old.listing, old.patched, old.times, listing, as_of, now)
        else:
            found = self._from_stored_base(listing, as_of, now)
        base, patched, times = found
        self._view = _View(mtimes, settled, as_of, art, base, listing, patched, times)
        return self._view

    def _record_base(self, base: lg.ScoreBase) -> lg.ScoreBase:
        return lg.record_score_base(self.registry, base)

    def _extend(
        self, base: lg.ScoreBase, since: Listing, patched: dict[str, tuple[str, ...]],
        times: tuple[dt.datetime, ...], listing: Listing, as_of: dt.date, now: dt.datetime,
        *, rebase: bool = True,
    ) -> tuple[lg.ScoreBase, dict[str, tuple[str, ...]], tuple[dt.datetime, ...]]:  # fmt: skip
        """``base`` and what changed since, brought up to ``listing``; or a new base (every row
        before it stale) where a change's subjects are unknown, the date moved or too many
        subjects changed. With ``rebase=False`` a new base is not made: :class:`LookupError`."""
        new = listing - since
        changes = changes_in(self.store, new)
        merged_times = tuple(sorted({*times, *(t for t in changes.times if t > base.known_at)}))
        merged = patched
        if changes.subjects:
            merged = dict(patched)
            for sid, names in changes.subjects.items():
                merged[sid] = tuple(sorted({*merged.get(sid, ()), *names}))
        if changes.subjects is None or base.as_of != as_of or len(merged) > MAX_PATCHED:
            if not rebase:
                raise LookupError(base.base_id)
            fresh = self._record_base(new_base(as_of, listing, now, merged_times))
            return fresh, {}, fresh.times
        return base, merged, merged_times

    def _from_stored_base(
        self, listing: Listing, as_of: dt.date, now: dt.datetime
    ) -> tuple[lg.ScoreBase, dict[str, tuple[str, ...]], tuple[dt.datetime, ...]]:
        """Start from the newest stored base this state grew from (the batch run's, usually),
        or make one: the first start on a store no batch run filled reads every file's times."""
        for base in lg.latest_score_bases(self.registry):
            if Listing.of(base) <= listing:
                return self._extend(base, Listing.of(base), {}, base.times, listing, as_of, now)
        fresh = self._record_base(
            new_base(as_of, listing, now, event_times(self.store, listing, after=now))
        )
        return fresh, {}, fresh.times

    def _adopt(self, view: _View, base_id: str, now: dt.datetime) -> _View:
        """Take up a newer base a row was computed from (a batch run refilled the table), if
        the current state grew from it; otherwise remember not to look at it again."""
        with self._lock:
            if base_id in self._foreign or self._view is not view:
                return self._view or view
            base = lg.score_base(self.registry, base_id)
            usable = (
                base is not None
                and base.as_of == view.as_of
                and base.known_at > view.base.known_at
                and Listing.of(base) <= view.listing
            )
            if base is not None and usable:
                try:
                    found = self._extend(
                        base, Listing.of(base), {}, base.times, view.listing, view.as_of, now,
                        rebase=False,
                    )  # fmt: skip
                except LookupError:
                    pass
                else:
                    self._view = replace(view, base=found[0], patched=found[1], times=found[2])
                    return self._view
            if len(self._foreign) > 1000:
                self._foreign.clear()
            self._foreign.add(base_id)
            return view

    # -- one subject's latest score -----------------------------------------------------------
    def _stored(
        self, view: _View, row: lg.LatestAnswer | None, now: dt.datetime, *, adopt: bool = True
    ) -> tuple[_View, bool]:
        """Whether the subject's stored ``row`` is the answer at ``now`` (and the view, moved
        to a newer base the row was computed from)."""
        if row is None:
            return view, False
        if adopt and row.base_id != view.base.base_id and row.base_id not in self._foreign:
            view = self._adopt(view, row.base_id, now)
        return view, view.current(row, now)

    def _latest(
        self, subject_id: str, read: Callable[[lg.Ledger, str], _Row | None]
    ) -> _Row | lg.LatestScore:
        """The subject's latest score: its stored row as ``read`` reads it (with or without
        the features) if it is current, else computed now (with its features) and stored."""
        view = self._current()
        now = self.now()
        row = read(self.registry, subject_id)
        view, current = self._stored(view, row, now)
        if row is not None and current:
            return row
        return self._compute(view, subject_id, now)

    def _compute(self, view: _View, subject_id: str, now: dt.datetime) -> lg.LatestScore:
        """The subject's score and features computed now from the store, and stored."""
        features, result = _features_and_result(
            self.store, view.art, subject_id, view.as_of, now, self.consent_categories
        )
        row = lg.LatestScore(
            subject_id, view.base.base_id, view.patch(subject_id), view.art.content_hash,
            view.as_of, now, result, features,
        )  # fmt: skip
        lg.put_latest_scores(self.registry, [row])
        return row

    def features_of(self, subject_id: str) -> tuple[ScorecardArtifact, dt.date, dict[str, Any]]:
        """The model, the as-of date and the features the subject's current score is from."""
        row = self._latest(subject_id, lg.latest_score)
        return self._current().art, row.as_of, dict(row.features)

    def warm(self) -> None:
        """Read the state of the store and the model before the first request.

        It computes no score: the batch run filled the table, and a subject missing from it is
        computed on its first request.
        """
        self._current()

    # -- the SubjectProvider protocol ---------------------------------------------------------
    def current_score(self, subject_id: str) -> dict[str, Any]:
        """The subject's score now, as :func:`score_subject` would compute it (an
        organisation's by the organisations' model, computed per request)."""
        try:
            return _copy(self._latest(subject_id, lg.latest_answer).result)
        except PurposeError:
            org = self._organisation_served(subject_id)
            if org is None:
                raise
        return score_subject(
            self.store, org, subject_id, self._current().as_of, known_at=self.now(),
            consent_categories=self.consent_categories,
        )  # fmt: skip

    def score(self, subject_id: str, purpose: str) -> dict[str, Any]:
        view = self._current()
        org = self._organisation_champion(purpose, subject_id)
        if org is not None:
            return self._score_with(view, org, subject_id)  # no shadow: challengers are persons'
        result = self._score_with(view, self._champion(view, purpose), subject_id)
        self._shadow(view, purpose, result)
        return result

    def _organisation_champion(self, purpose: str, subject_id: str) -> ScorecardArtifact | None:
        """The champion of ``purpose`` for organisations if the subject is one, else None.

        The table of latest scores keeps persons' scores (an organisation's row is never
        stored: the persons' model refuses it); an organisation is scored per request by the
        champion of its own kind (one query, as a replay), never by the persons' model.
        """
        if lg.latest_answer(self.registry, subject_id) is not None:
            return None  # a stored row is a person's
        if subject_kind(self.store, subject_id) != "organisation":
            return None
        check_purpose_approvable(purpose)
        art = champion_artifact(self.registry, self.workspace, purpose, subject_kind="organisation")
        check_purpose(art, purpose)
        return art

    def _organisation_served(self, subject_id: str) -> ScorecardArtifact | None:
        """For an organisation, the champion of the first purpose that has one for its kind
        (what its own file shows, as the table's model does for persons); None for a person."""
        if subject_kind(self.store, subject_id) != "organisation":
            return None
        for purpose in APPROVABLE_PURPOSES:
            try:
                return champion_artifact(
                    self.registry, self.workspace, purpose, subject_kind="organisation"
                )
            except PurposeError:
                continue
        msg = (
            f"Subject {subject_id!r} is an organisation, and no model for organisations is "
            "approved and promoted for any purpose: nothing may score it."
        )
        raise PurposeError(msg, subject_id=subject_id)

    def _score_with(self, view: _View, art: ScorecardArtifact, subject_id: str) -> dict[str, Any]:
        """The subject's score by ``art``: from the table if it is the kept model, else computed."""
        if art.content_hash == view.art.content_hash:
            return self.current_score(subject_id)
        return score_subject(
            self.store, art, subject_id, view.as_of, known_at=self.now(),
            consent_categories=self.consent_categories,
        )  # fmt: skip

    def decide(self, subject_id: str, purpose: str) -> dict[str, Any]:
        view = self._current()
        org = self._organisation_champion(purpose, subject_id)
        art = org or self._champion(view, purpose)
        result = self._score_with(view, art, subject_id)
        decision = self._decide_with(view, purpose, result, art)
        if org is None:  # persons' challengers shadow persons only
            self._shadow(view, purpose, decision["score"])  # after the decision, never into it
        return decision

    # -- the same answers without blocking, when the stored row is current --------------------
    def _current_nowait(self) -> _View | None:
        """The view if it is current, from five ``stat`` calls; None if it needs work."""
        view = self._view
        if view is None or not view.settled or view.mtimes != self._mtimes():
            return None
        return view

    def _stored_nowait(self, view: _View, subject_id: str) -> dict[str, Any] | None:
        row = lg.latest_answer(self.registry, subject_id)
        _, current = self._stored(view, row, self.now(), adopt=False)
        return row.result if row is not None and current else None

    def score_nowait(self, subject_id: str, purpose: str) -> dict[str, Any] | None:
        """:meth:`score` if its row is stored and current, else None (call :meth:`score`).

        It reads one row by key and never computes or reads the record store, so an event
        loop may call it.
        """
        view = self._current_nowait()
        if view is None:
            return None
        art = self._champion(view, purpose)
        if art.content_hash != view.art.content_hash:
            return None  # another purpose's champion: scored per subject, off the event loop
        if self._challenger(view, purpose) is not None:
            return None  # a shadow score to compute and write: off the event loop
        return self._stored_nowait(view, subject_id)

    def decide_nowait(self, subject_id: str, purpose: str) -> dict[str, Any] | None:
        """:meth:`decide` if its row is stored and current, else None (call :meth:`decide`)."""
        view = self._current_nowait()
        if (
            view is None
            or self._champion(view, purpose).content_hash != view.art.content_hash
            or self._challenger(view, purpose) is not None
        ):
            return None
        result = self._stored_nowait(view, subject_id)
        return None if result is None else self._decide_with(view, purpose, result)

    def record_inquiry_nowait(
        self, subject_id: str, requester: str, purpose: str, at: dt.datetime
    ) -> bool:
        """:meth:`record_inquiry`, which stores nothing and so never blocks: always True."""
        self.record_inquiry(subject_id, requester, purpose, at)
        return True

    def _decide_with(
        self,
        view: _View,
        purpose: str,
        result: dict[str, Any],
        art: ScorecardArtifact | None = None,
    ) -> dict[str, Any]:
        art = art or self._champion(view, purpose)
        row: dict[str, Any] = {
            "subject_id": result["subject_id"],
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
        # Only what the subject needs is read: its bucket's parts of each kind (and the buckets
        # on the other side of its identity changes' moves), the suppressions of these records
        # and its own consent events; the bills left out for consent are computed from these
        # same rows (features.SubjectBills: the expression of bills_without_consent, compiled
        # once), not by listing and reading the store again.
        rows: dict[str, pa.Table] = {
            kind: subject_rows(self.store, kind, subject_id) for kind in DISPUTABLE_KINDS
        }
        ids = {
            str(i) for kind, t in rows.items()
            for i in t.column(RECORD_KINDS[kind].key[0]).to_pylist()
        }  # fmt: skip
        suppressions = self.store.suppressions(record_ids=ids)
        suppressed = {(r["kind"], r["record_id"]) for r in suppressions.to_pylist()}
        consents = read_consents(self.store, subjects=[subject_id])
        records: dict[str, list[dict[str, Any]]] = {}
        for kind in DISPUTABLE_KINDS:
            # the records whose latest version is theirs (not those an identity change moved)
            table = latest_rows(rows[kind], kind, subject_id)
            records[kind] = [
                {**r, "suppressed": (kind, r["record_id"]) in suppressed}
                for r in record_histories(table.to_pylist())
            ]
        latest_subject = sorted(subjects.to_pylist(), key=version_order)[-1]
        current = self.current_score(subject_id)
        left_out = self._bills(
            dt.date.fromisoformat(current["as_of"]), dt.datetime.now(dt.UTC),
            rows["obligation"], suppressions, consents,
        ).column("record_id").to_pylist()  # fmt: skip
        unconsented = set(left_out)
        for bill in records.get("obligation", []):
            bill["left_out_for_consent"] = bill["record_id"] in unconsented
        events = consents.to_pylist()
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
        self._unsettle()

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
        self._unsettle()
        return new_id

    def apply_consent(self, event: ConsentEvent) -> None:
        """Carry a ledger consent event into the store (idempotent); the next answer sees it."""
        apply_consents(self.store, [event])
        self._unsettle()

    def apply_identity_change(self, change: IdentityChange) -> None:
        """Carry a ledger identity change into the stores (idempotent); the next answer sees it.

        The moved records' new versions are a batch of their own, so every answer is rebuilt.
        """
        apply_identity_change(self.store, change)
        self._unsettle()

    def _unsettle(self) -> None:
        # list the store again on the next answer, whatever its folders' mtimes say
        with self._lock:
            if self._view is not None:
                self._view.settled = False

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
