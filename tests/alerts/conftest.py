"""Fixtures of the alert tests: what ingestion keeps in memory (the device directory, when
``last_seen_at`` was written) is forgotten around every test, whose tables are emptied; the
evaluation on ingestion listens, at a time the test sets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from iocvn.alerts import evaluation
from iocvn.sensors import directory, ingest
from tests.factories.sensors import NOW


@pytest.fixture(autouse=True)
def _fresh_directory() -> Iterator[None]:
    directory.invalidate()
    ingest.forget_seen()
    yield
    directory.invalidate()
    ingest.forget_seen()


class Clock:
    """The time of evaluations on ingestion (``evaluation.clock``), set by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """Evaluation on ingestion subscribed, at ``clock.now`` (``factories.sensors.NOW`` first)."""
    found = Clock(NOW)
    monkeypatch.setattr(evaluation, "clock", found)
    evaluation.subscribe()
    yield found
    evaluation.unsubscribe()
