"""The event-loop path: providers that answer from memory are called on the loop, others not."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from trustscore import ledger as lg
from trustscore.service import create_app
from trustscore.service._provider import (
    NowaitProvider,
    provider_decide,
    provider_record_inquiry,
    provider_score,
)

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

AT = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


class Provider:
    """Records which thread each method ran on; ``ready`` says whether memory can answer."""

    def __init__(self, *, ready: bool) -> None:
        self.ready = ready
        self.calls: list[tuple[str, int]] = []
        self.warmed = 0

    def _called(self, name: str) -> None:
        self.calls.append((name, threading.get_ident()))

    def _result(self, subject_id: str) -> dict[str, Any]:
        return {
            "subject_id": subject_id, "as_of": "2026-02-28", "model_version": "1.0.0",
            "model_hash": "m" * 64, "score": 640, "status": "OK", "subscores": {"p": 640},
            "reasons": [], "feature_hash": "f" * 64,
        }  # fmt: skip

    def score(self, subject_id: str, purpose: str) -> dict[str, Any]:
        self._called("score")
        return self._result(subject_id)

    def decide(self, subject_id: str, purpose: str) -> dict[str, Any]:
        self._called("decide")
        return {"policy": "p", "outcome": "tier_1", "adverse": False, "notice": None,
                "score": self._result(subject_id)}  # fmt: skip

    def record_inquiry(self, subject_id: str, requester: str, purpose: str, at: Any) -> None:
        self._called("record_inquiry")

    def score_nowait(self, subject_id: str, purpose: str) -> dict[str, Any] | None:
        self._called("score_nowait")
        return self._result(subject_id) if self.ready else None

    def decide_nowait(self, subject_id: str, purpose: str) -> dict[str, Any] | None:
        self._called("decide_nowait")
        return self.decide(subject_id, purpose) if self.ready else None

    def record_inquiry_nowait(self, subject_id: str, requester: str, purpose: str, at: Any) -> bool:
        self._called("record_inquiry_nowait")
        return self.ready

    def warm(self) -> None:
        self.warmed += 1


def _run(provider: Provider) -> int:
    async def main() -> int:
        await provider_score(provider, "s1", "credit_limit")  # type: ignore[arg-type]
        await provider_decide(provider, "s1", "credit_limit")  # type: ignore[arg-type]
        await provider_record_inquiry(provider, "s1", "Bank", "credit_limit", AT)  # type: ignore[arg-type]
        return threading.get_ident()

    return asyncio.run(main())


def test_a_ready_provider_answers_on_the_event_loop() -> None:
    provider = Provider(ready=True)
    assert isinstance(provider, NowaitProvider)
    loop_thread = _run(provider)
    assert [name for name, _ in provider.calls] == [
        "score_nowait", "decide_nowait", "decide", "record_inquiry_nowait",
    ]  # fmt: skip
    assert {thread for _, thread in provider.calls} == {loop_thread}


def test_a_provider_that_would_block_is_called_in_a_thread() -> None:
    provider = Provider(ready=False)
    loop_thread = _run(provider)
    names = [name for name, _ in provider.calls]
    assert names == [
        "score_nowait", "score", "decide_nowait", "decide",
        "record_inquiry_nowait", "record_inquiry",
    ]  # fmt: skip
    threads = dict(provider.calls)
    assert threads["score_nowait"] == loop_thread
    assert threads["score"] != loop_thread
    assert threads["decide"] != loop_thread
    assert threads["record_inquiry"] != loop_thread


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("unfrozen")
def test_startup_warms_the_provider_then_freezes_what_lives() -> None:
    ledger = lg.Ledger("sqlite://")
    ledger.create_all()
    provider = Provider(ready=True)
    app = create_app(ledger=ledger, provider=provider)  # type: ignore[arg-type]
    assert gc.get_freeze_count() == 0
    with TestClient(app):
        assert provider.warmed == 1
        assert gc.get_freeze_count() > 0
    ledger.dispose()


@pytest.mark.usefixtures("unfrozen")
@pytest.mark.parametrize("ready", [True, False])
def test_the_score_route_answers_the_same_on_either_path(ready: bool) -> None:
    ledger = lg.Ledger("sqlite://")
    ledger.create_all()
    _, token = lg.create_client(ledger, "lender", ["credit_limit"], name="Bank")
    provider = Provider(ready=ready)
    with TestClient(create_app(ledger=ledger, provider=provider)) as api:  # type: ignore[arg-type]
        response = api.post(
            "/v1/scores", json={"subject_id": "s1", "purpose": "credit_limit"},
            headers={"Authorization": f"Bearer {token}"},
        )  # fmt: skip
    assert response.status_code == 200
    assert (response.json()["score"], response.json()["snapshot_id"]) == (640, 1)
    called = [name for name, _ in provider.calls]
    assert ("score" in called) is not ready  # the blocking method only when memory cannot
    assert [a.action for a in lg.accesses(ledger, "s1")] == ["score"]
    ledger.dispose()
