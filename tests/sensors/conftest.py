"""Fixtures of the sensor tests: what ingestion keeps in memory (the device directory, when
``last_seen_at`` was written) is forgotten around every test, whose tables are emptied."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from iocvn.sensors import directory, ingest
from tests.factories.sensors import units


@pytest.fixture(autouse=True)
def _fresh_directory() -> Iterator[None]:
    directory.invalidate()
    ingest.forget_seen()
    yield
    directory.invalidate()
    ingest.forget_seen()


@pytest.fixture
def org(session: Session) -> Session:
    """The province, two wards and two agencies (no boundaries: every point is accepted)."""
    return units(session)
