"""Bearer tokens remembered for a few seconds (``auth.live_tokens``): no query while an entry
is fresh, read again once it is ``SECONDS`` old, forgotten at once when this process changes a
token, an account or a unit; a change made behind the process's back shows within ``SECONDS``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, Table, inspect, update
from sqlalchemy.orm import Session
from starlette.requests import Request

from iocvn.auth import credentials, deps, live_tokens
from iocvn.auth import service as users
from iocvn.auth.models import ApiToken, User
from iocvn.core.timeutil import utcnow
from iocvn.org.models import OrgUnit
from tests.factories.auth import ADMIN_ACTOR, add_units, add_user

ME = "/api/v1/me"


@dataclass(frozen=True)
class Token:
    """A commune officer's API token, as an integration holds it."""

    plain: str
    id: str
    user: User

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.plain}"}


@pytest.fixture(autouse=True)
def _nothing_remembered() -> Iterator[None]:
    # Entries outlive a test (one process, one database URL): start and end with none.
    live_tokens.forget()
    yield
    live_tokens.forget()


def _token(session: Session, *, expires_days: int | None = None) -> Token:
    add_units(session)
    user = add_user(session, "canbo", "commune_officer", "05977", password=None)
    plain, row = credentials.create_token(
        session, ADMIN_ACTOR, user, name="trạm đo mưa", expires_days=expires_days
    )
    session.commit()
    return Token(plain, row.id, user)


@pytest.fixture
def officer(session: Session) -> Token:
    return _token(session)


def _on_tokens(statements: list[str]) -> list[str]:
    return [s for s in statements if "api_tokens" in s]


def _later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Move live_tokens' clock ``seconds`` ahead (its own only: the event loop keeps time)."""
    real = time.monotonic
    monkeypatch.setattr(live_tokens, "time", SimpleNamespace(monotonic=lambda: real() + seconds))


def test_a_token_read_a_moment_ago_costs_no_query(
    client: TestClient, officer: Token, statements: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert client.get(ME, headers=officer.headers).json()["username"] == "canbo"
    assert _on_tokens(statements)  # the first call reads the token (and notes its use)
    statements.clear()

    def _read_again(*_args: object) -> None:
        raise AssertionError("the token was read again")

    monkeypatch.setattr(credentials, "load_token", _read_again)
    _later(monkeypatch, live_tokens.SECONDS - 1)  # still fresh, just
    again = client.get(ME, headers=officer.headers)
    assert again.status_code == 200 and again.json()["username"] == "canbo"
    assert again.json()["scope"] == {"level": "commune", "org_unit": "05977", "province": "20"}
    assert _on_tokens(statements) == []


def test_an_entry_seconds_old_is_read_again(
    client: TestClient, officer: Token, statements: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert client.get(ME, headers=officer.headers).status_code == 200
    statements.clear()
    _later(monkeypatch, live_tokens.SECONDS)
    assert client.get(ME, headers=officer.headers).status_code == 200
    reads = [s for s in _on_tokens(statements) if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 1
    statements.clear()  # read again just now: fresh again
    assert client.get(ME, headers=officer.headers).status_code == 200
    assert _on_tokens(statements) == []


def _revoke_token(session: Session, token: Token) -> None:
    credentials.revoke_token(session, ADMIN_ACTOR, token.id)


def _lock_user(session: Session, token: Token) -> None:
    users.lock_user(session, ADMIN_ACTOR, token.user)


def _revoke_user(session: Session, token: Token) -> None:
    users.revoke_user(session, ADMIN_ACTOR, token.user)


def _update_statement(session: Session, token: Token) -> None:
    session.execute(update(ApiToken).where(ApiToken.id == token.id).values(revoked_at=utcnow()))


def _user_update_statement(session: Session, token: Token) -> None:
    session.execute(update(User).where(User.id == token.user.id).values(status="locked"))


@pytest.mark.parametrize(
    "change",
    [_revoke_token, _lock_user, _revoke_user, _update_statement, _user_update_statement],
)
def test_a_change_made_here_stops_the_token_on_the_next_call(
    client: TestClient,
    session: Session,
    officer: Token,
    change: Callable[[Session, Token], None],
) -> None:
    assert client.get(ME, headers=officer.headers).status_code == 200  # remembered now
    change(session, officer)
    session.commit()
    refused = client.get(ME, headers=officer.headers)  # no wait for the entry to age
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"


def test_a_new_role_shows_on_the_next_call(
    client: TestClient, session: Session, officer: Token
) -> None:
    assert client.get(ME, headers=officer.headers).json()["role"] == "commune_officer"
    users.update_user(session, ADMIN_ACTOR, officer.user, role="viewer")
    session.commit()
    assert client.get(ME, headers=officer.headers).json()["role"] == "viewer"


def test_a_change_to_a_unit_forgets_entries(
    client: TestClient, session: Session, officer: Token
) -> None:
    assert client.get(ME, headers=officer.headers).status_code == 200
    assert live_tokens.remembered(session, officer.plain) is not None
    unit = session.get(OrgUnit, "05977")
    assert unit is not None
    unit.name = "Phường Đông Kinh (mới)"
    session.flush()
    assert live_tokens.remembered(session, officer.plain) is None
    session.commit()
    assert client.get(ME, headers=officer.headers).json()["org_unit_name"] == unit.name


def test_a_change_behind_the_process_s_back_shows_within_seconds(
    client: TestClient, db: Engine, officer: Token, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ≤ ``SECONDS`` staleness of decision 0012: another process (here a plain
    connection, which no Session event sees) revokes the token; this process keeps trusting
    its entry until the entry is ``SECONDS`` old, then reads the token again and refuses it."""
    assert client.get(ME, headers=officer.headers).status_code == 200
    with db.begin() as conn:
        table = cast("Table", ApiToken.__table__)
        conn.execute(update(table).where(table.c.id == officer.id).values(revoked_at=utcnow()))
    assert client.get(ME, headers=officer.headers).status_code == 200  # still trusted
    _later(monkeypatch, live_tokens.SECONDS - 1)
    assert client.get(ME, headers=officer.headers).status_code == 200  # still trusted
    _later(monkeypatch, live_tokens.SECONDS)
    refused = client.get(ME, headers=officer.headers)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"


def test_an_expired_token_is_refused_while_its_entry_is_fresh(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = _token(session, expires_days=1)
    assert client.get(ME, headers=token.headers).status_code == 200
    assert live_tokens.remembered(session, token.plain) is not None
    after_expiry = utcnow() + timedelta(days=1, minutes=1)
    monkeypatch.setattr(live_tokens, "utcnow", lambda: after_expiry)
    assert live_tokens.remembered(session, token.plain) is None  # fresh, but past its expiry
    monkeypatch.setattr(credentials, "utcnow", lambda: after_expiry)
    refused = client.get(ME, headers=token.headers)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"


def test_noting_a_token_s_use_keeps_entries(
    client: TestClient, session: Session, officer: Token
) -> None:
    assert client.get(ME, headers=officer.headers).status_code == 200
    # That call noted the token's use (last_used_at was empty) and kept what it read.
    assert live_tokens.remembered(session, officer.plain) is not None
    row = session.get(ApiToken, officer.id)
    assert row is not None
    row.last_used_at = utcnow()
    session.flush()
    assert live_tokens.remembered(session, officer.plain) is not None
    row.name = "trạm đo mực nước"  # any other change of a token forgets
    session.flush()
    assert live_tokens.remembered(session, officer.plain) is None


def _request(token: Token) -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": ME,
            "query_string": b"",
            "headers": [(b"authorization", f"Bearer {token.plain}".encode())],
            "client": ("203.0.113.9", 50000),
        }
    )


def test_the_caller_s_account_belongs_to_the_request_s_session(
    db: Engine, officer: Token, statements: list[str]
) -> None:
    with Session(db) as first:
        principal = asyncio.run(deps.current(_request(officer), first))
        assert principal.user in first  # read by this request
    holder = live_tokens.remembered(first, officer.plain)
    assert holder is not None and inspect(holder.user).detached
    statements.clear()
    with Session(db) as second:
        again = asyncio.run(deps.current(_request(officer), second))
        assert statements == []  # resolved without a query
        assert again.user is not holder.user and again.user in second
        assert inspect(again.user).persistent and not second.dirty
        assert (again.user.username, again.user.role) == ("canbo", "commune_officer")
        assert again.via == "token" and again.ip == "203.0.113.9"
        assert again.token_scopes == {"read", "write"}
        assert holder.user not in second and inspect(holder.user).detached
        again.user.display_name = "Lê Văn Tám"  # the request's copy, not the remembered one
        assert holder.user.display_name == "Canbo"


def test_a_call_during_a_revoking_transaction_does_not_outlive_its_commit(
    client: TestClient, session: Session, officer: Token
) -> None:
    assert client.get(ME, headers=officer.headers).status_code == 200  # its use noted now
    credentials.revoke_token(session, ADMIN_ACTOR, officer.id)  # flushed, not committed
    assert client.get(ME, headers=officer.headers).status_code == 200  # not revoked yet
    session.commit()
    assert client.get(ME, headers=officer.headers).status_code == 401
