"""Rows written with a Core statement of their own (``core.models.new_row``,
``attach_written``): the values the ORM would insert, and the object then persistent as if the
ORM had written it."""

from __future__ import annotations

from typing import cast

import pytest
from sqlalchemy import Engine, Table, func, insert, inspect, select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditHead
from iocvn.auth.models import ApiToken, User
from iocvn.core.models import attach_written, new_row
from iocvn.core.timeutil import utcnow
from iocvn.feedback.models import FeedbackEvent
from tests.factories.auth import add_units

USERS = cast("Table", User.__table__)


def test_new_row_fills_python_defaults_and_keeps_what_is_set() -> None:
    before = utcnow()
    user = User(username="canbo", role="viewer", org_code="20", display_name="Lê Văn Tám",
                failed_logins=3)  # fmt: skip
    row = new_row(user)
    assert set(row) == {c.key for c in USERS.columns}
    assert (row["username"], row["role"], row["org_code"]) == ("canbo", "viewer", "20")
    assert (row["display_name"], row["failed_logins"]) == ("Lê Văn Tám", 3)  # set over default
    assert (row["status"], row["mfa_enabled"]) == ("active", False)  # scalar defaults
    assert row["email"] is None and row["locked_until"] is None  # no default
    assert len(row["id"]) == 26 and before <= row["created_at"] <= utcnow()  # callables, called
    assert before <= row["updated_at"] <= utcnow()
    assert new_row(User(username="x", role="viewer", org_code="20"))["id"] != row["id"]
    assert inspect(user).transient and "status" not in inspect(user).dict  # object untouched


def test_new_row_gives_each_row_its_own_mutable_default() -> None:
    first, second = (new_row(FeedbackEvent(feedback_id="f", kind="received")) for _ in range(2))
    assert first["data"] == {} and first["data"] is not second["data"]
    token = new_row(ApiToken(user_id="u", token_hash="h", prefix="iocvn_abc"))
    assert token["scopes"] == [] and token["revoked_at"] is None


def test_attach_written_makes_the_inserted_row_persistent(
    session: Session, db: Engine, statements: list[str]
) -> None:
    add_units(session)
    user = User(username="canbo", role="viewer", org_code="20")
    row = new_row(user)
    session.execute(insert(USERS), row)
    attach_written(session, user, row)
    state = inspect(user)
    assert state.persistent and user in session
    assert not session.new and not session.dirty and not state.modified
    statements.clear()
    assert (user.id, user.status, user.created_at) == (row["id"], "active", row["created_at"])
    assert not state.expired_attributes and not state.unloaded
    session.flush()
    assert statements == []  # loaded as written, and not written a second time
    user.display_name = "Lê Văn Tám"  # tracked like any loaded object
    session.flush()
    assert [s.split()[0] for s in statements] == ["UPDATE"]
    assert session.get(User, row["id"]) is user  # from the identity map: no query
    assert len(statements) == 1
    session.commit()
    with Session(db) as other:
        stored = other.execute(select(User)).scalar_one()
        assert (stored.id, stored.status) == (row["id"], "active")
        assert stored.display_name == "Lê Văn Tám"
        assert other.execute(select(func.count()).select_from(User)).scalar_one() == 1


def test_new_row_refuses_a_value_the_database_would_choose() -> None:
    with pytest.raises(ValueError, match="chosen by the database"):
        new_row(AuditHead(last_seq=0, last_hash="0" * 64))  # its key is left to the database
    assert new_row(AuditHead(id=1, last_seq=0, last_hash="0" * 64))["id"] == 1
