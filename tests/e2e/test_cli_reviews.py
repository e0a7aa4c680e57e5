"""``trustscore reviews``: the demo's review cases listed, and overdue ones escalated once."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import trustscore.ledger as lg
from trustscore.cli import app


@pytest.fixture
def demo_ledger(small_demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[
    lg.Ledger
]:  # fmt: skip
    """A copy of the small demo as the CLI's workspace, and its ledger (with the demo's cases)."""
    from trustscore.settings import get_settings

    root = Path(shutil.copytree(small_demo, tmp_path / "ws"))
    monkeypatch.setenv("TRUSTSCORE_WORKSPACE", str(root))
    monkeypatch.delenv("TRUSTSCORE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    ledger = lg.Ledger(f"sqlite:///{root}/ledger.sqlite")
    ledger.upgrade()
    try:
        yield ledger
    finally:
        ledger.dispose()
        get_settings.cache_clear()


def test_the_demo_opened_cases_and_the_deadline_job_escalates_the_overdue_once(
    demo_ledger: lg.Ledger,
) -> None:
    demo_cases = lg.review_cases(demo_ledger)
    assert demo_cases
    assert {c.kind for c in demo_cases} <= {"near_cutoff", "unscorable", "flagged_input"}
    assert {c.opened_by for c in demo_cases} == {"demo"}
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    [late] = lg.open_review_cases(demo_ledger, [lg.ReviewOpening(
        "cli-test|late", "unscorable", "s-late", "credit_pricing", "tiers", "refer",
        [{"outcome": "C", "adverse": False}], review_days=5)], long_ago)  # fmt: skip
    runner = CliRunner()
    listed = runner.invoke(app, ["reviews", "list"])
    assert listed.exit_code == 0, listed.output
    assert f"{len(demo_cases) + 1} case(s)" in listed.output
    assert listed.output.splitlines()[0].startswith(late.case_id)  # the earliest deadline first
    first = runner.invoke(app, ["reviews", "run-deadlines"])
    assert first.exit_code == 0, first.output
    assert "1 overdue review case(s) escalated" in first.output
    assert lg.get_review_case(demo_ledger, late.case_id).state == "escalated"
    again = runner.invoke(app, ["reviews", "run-deadlines"])
    assert "0 overdue review case(s) escalated" in again.output
    bad = runner.invoke(app, ["reviews", "list", "--state", "lost"])
    assert bad.exit_code != 0
    assert "--state must be open, escalated, decided or pending" in bad.output
    assert "Traceback" not in bad.output


def test_the_demo_report_counts_its_review_cases_by_reason(demo_ledger: lg.Ledger) -> None:
    from trustscore.pipeline import Workspace
    from trustscore.settings import get_settings

    html = Workspace(get_settings().workspace).report_path.read_text(encoding="utf-8")
    cases = lg.review_cases(demo_ledger)
    assert f'<span id="n-review-cases">{len(cases):,}</span>' in html
    section = html[html.index('<table id="review-kinds">') :]
    section = section[: section.index("</table>")]
    for kind in {c.kind for c in cases}:
        n = sum(1 for c in cases if c.kind == kind)
        row = f'<tr><td>{kind}</td><td class="num">{n:,}</td>'
        assert row in section, (kind, section)
