"""Fixtures of the organisation tests."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.factories.org import seed


@pytest.fixture
def lang_son(session: Session) -> Session:
    """Lạng Sơn seeded and committed: the province, 65 communes, 17 agencies."""
    seed(session)
    return session
