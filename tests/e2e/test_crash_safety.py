"""Issue 15, step 5: jobs killed with SIGKILL at random points converge when run again.

Each job (ingest, the batch scoring run, the deadline job, a dispute resolution) is killed in
20 seeded trials over copies of the small demo; after each kill the job runs again, and the
workspace must hold exactly what a clean run leaves: no record, ledger row or file lost or
duplicated, no temporary file left, no half-written output, an audit log that verifies. See
``tests/crash_harness.py``; ``python -m benchmarks.crash`` runs 100 trials per job.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crash_harness import JOBS, prepare, run_trials

pytestmark = pytest.mark.slow

TRIALS = 20


@pytest.fixture(scope="module")
def templates(small_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return prepare(small_demo, tmp_path_factory.mktemp("crash-templates"))


@pytest.mark.parametrize("job", sorted(JOBS))
def test_a_killed_job_run_again_converges_to_a_clean_run(
    job: str, templates: dict[str, Path], tmp_path: Path
) -> None:
    report = run_trials(job, templates[job], tmp_path, trials=TRIALS, seed=15)
    assert report.trials == TRIALS
    assert report.failures == []
    assert (report.lost, report.duplicated, report.half_written, report.audit_broken) == (
        0, 0, 0, 0
    )  # fmt: skip
