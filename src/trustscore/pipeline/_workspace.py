"""Where a workspace keeps each stage's output (docs/architecture.md, "Workspace layout")."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["Workspace"]


@dataclass(frozen=True)
class Workspace:
    """The folder one run of the chain works in.

    Examples
    --------
    >>> ws = Workspace("trustscore-demo")
    >>> ws.model_path.name, ws.store_dir.name
    ('model.json', 'store')
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
    def model_path(self) -> Path:
        return self.root / "model.json"

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
    def ledger_path(self) -> Path:
        return self.root / "ledger.sqlite"

    @property
    def ledger_url(self) -> str:
        return f"sqlite:///{self.ledger_path.resolve()}"

    def create(self) -> Workspace:
        self.root.mkdir(parents=True, exist_ok=True)
        return self
