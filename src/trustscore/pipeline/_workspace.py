"""Where a workspace keeps each stage's output (docs/architecture.md, "Workspace layout")."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Workspace"]


@dataclass(frozen=True)
class Workspace:
    """The folder one run of the chain works in.

    Examples
    --------
    >>> ws = Workspace("trustscore-demo")
    >>> ws.registry_path.name, ws.store_dir.name
    ('registry.json', 'store')
    """

    root: Path

    def __init__(self, root: str | Path) -> None:
        object.__setattr__(self, "root", Path(root))

    @property
    def synth_dir(self) -> Path:
        return self.root / "synth"

    @property
    def store_dir(self) -> Path:
        return self.root / "store"

    @property
    def features_path(self) -> Path:
        return self.root / "features.parquet"

    @property
    def scores_path(self) -> Path:
        return self.root / "scores.parquet"

    @property
    def decisions_path(self) -> Path:
        return self.root / "decisions.parquet"

    @property
    def report_path(self) -> Path:
        return self.root / "report.html"

    @property
    def monitoring_dir(self) -> Path:
        """The monitoring runs (``trustscore monitor --out``), which the service's
        ``/v1/monitoring/runs`` reads."""
        return self.root / "monitoring"

    @property
    def validation_report_path(self) -> Path:
        """The report a validator reads before approving the demo's model."""
        return self.root / "validation.html"

    def kind_path(self, path: Path, subject_kind: str) -> Path:
        """Where the file ``path`` of persons is kept for ``subject_kind``: the persons' own
        path, or ``<stem>.organisation<suffix>`` beside it (``scores.organisation.parquet``).

        Examples
        --------
        >>> ws = Workspace("w")
        >>> ws.kind_path(ws.scores_path, "organisation").name
        'scores.organisation.parquet'
        """
        return (
            path
            if subject_kind == "person"
            else path.with_name(f"{path.stem}.{subject_kind}{path.suffix}")
        )

    @property
    def ledger_path(self) -> Path:
        return self.root / "ledger.sqlite"

    @property
    def ledger_url(self) -> str:
        return f"sqlite:///{self.ledger_path.resolve()}"

    @property
    def models_dir(self) -> Path:
        """The model registry's storage: every registered artifact, by version."""
        return self.root / "models"

    def model_path_for(self, model_version: str) -> Path:
        return self.models_dir / f"{model_version}.json"

    @property
    def shadow_dir(self) -> Path:
        """Challengers' shadow scores of service requests, one JSON-lines file per purpose."""
        return self.root / "shadow"

    @property
    def registry_path(self) -> Path:
        """``models/registry.json``: rewritten on every registry move (see pipeline._registry)."""
        return self.models_dir / "registry.json"

    @property
    def clock_path(self) -> Path:
        """``workspace.json``: the workspace's as-of date when its data is history, not today."""
        return self.root / "workspace.json"

    def as_of(self) -> dt.date:
        """The date the workspace scores as of: its recorded clock, else today (UTC)."""
        if self.clock_path.is_file():
            data = json.loads(self.clock_path.read_text(encoding="utf-8"))
            return dt.date.fromisoformat(str(data["as_of"]))
        return dt.datetime.now(dt.UTC).date()

    def set_as_of(self, as_of: dt.date) -> None:
        self.clock_path.write_text(
            json.dumps({"as_of": as_of.isoformat()}) + "\n", encoding="utf-8"
        )

    def create(self) -> Workspace:
        self.root.mkdir(parents=True, exist_ok=True)
        return self
