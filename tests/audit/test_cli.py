"""``iocvn audit verify`` and ``iocvn audit list`` against the test database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from sqlalchemy import Engine
from typer.testing import CliRunner

from iocvn.audit import cli as audit_cli
from iocvn.config import get_settings
from iocvn.core.timeutil import to_local, utcnow
from tests.factories.audit import add_entries, delete_entry, set_field, unguarded

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    """Invoke the audit CLI; its exit code and everything it printed."""
    result = runner.invoke(audit_cli.app, list(args))
    return result.exit_code, result.output


def test_verify_on_an_empty_log_is_intact(db: Engine) -> None:
    code, out = run("verify")
    assert code == 0, out
    assert "Nhật ký kiểm toán toàn vẹn: 0 bản ghi / Audit log intact: 0 entries" in out


def test_verify_counts_the_intact_entries(db: Engine) -> None:
    add_entries(db, 4)
    code, out = run("verify")
    assert code == 0, out
    assert "Nhật ký kiểm toán toàn vẹn: 4 bản ghi / Audit log intact: 4 entries" in out


def test_verify_reports_the_first_altered_entry(db: Engine) -> None:
    entries = add_entries(db, 4)
    with unguarded(db) as conn:
        set_field(conn, 3, actor="ke.gian")
    code, out = run("verify")
    assert code == 1, out
    assert "bản ghi số 3" in out
    assert "entry 3" in out
    assert entries[2].id in out
    assert "ke.gian" in out
    assert entries[2].action in out
    assert "altered_entry" in out
    assert "entry content was altered" in out


def test_verify_reports_a_removed_entry(db: Engine) -> None:
    add_entries(db, 4)
    with unguarded(db) as conn:
        delete_entry(conn, 2)
    code, out = run("verify")
    assert code == 1, out
    assert re.search(r"seq:\s+2$", out, re.MULTILINE)
    assert "missing_entry" in out
    assert "Entry 2 is no longer in the database" in out


@pytest.fixture
def unmigrated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Settings pointing at an empty SQLite file (no iocvn tables)."""
    monkeypatch.setenv("IOCVN_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.mark.usefixtures("db", "unmigrated")
def test_verify_says_when_the_log_cannot_be_read() -> None:
    code, out = run("verify")
    assert code == 2
    assert "Cannot read the audit log" in out
    assert "audit_" in out  # the missing table is named


def test_list_shows_newest_first_with_local_times(db: Engine) -> None:
    entries = add_entries(db, 3)
    code, out = run("list")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].split()[0] == "seq"
    assert [line.split()[0] for line in lines[2:]] == ["3", "2", "1"]
    assert to_local(entries[0].at).strftime("%d/%m/%Y %H:%M:%S") in out
    assert "org_unit:20.001" in out


def test_list_filters_by_actor_action_and_limit(db: Engine) -> None:
    add_entries(db, 2, actor="le.thi.c")
    add_entries(db, 2, actor="pham.van.d")
    _, out = run("list", "--actor", "le.thi.c")
    assert "le.thi.c" in out
    assert "pham.van.d" not in out
    _, out = run("list", "--action", "org.unit.update.2")
    assert [line.split()[0] for line in out.splitlines()[2:]] == ["4", "2"]
    _, out = run("list", "--limit", "1")
    assert len(out.splitlines()) == 3


def test_list_since_accepts_vietnamese_and_iso_days(db: Engine) -> None:
    add_entries(db, 2)
    today = to_local(utcnow()).date()
    tomorrow = today + timedelta(days=1)
    for day in (today.strftime("%d/%m/%Y"), today.isoformat()):
        code, out = run("list", "--since", day)
        assert code == 0, out
        assert len(out.splitlines()) == 4
    code, out = run("list", "--since", tomorrow.strftime("%d/%m/%Y"))
    assert code == 0
    assert "No entries." in out


def test_list_refuses_a_bad_day(db: Engine) -> None:
    code, out = run("list", "--since", "31/02/2026")
    assert code == 2
    assert "dd/mm/yyyy" in out


def test_parse_day_is_midnight_in_vietnam() -> None:
    assert audit_cli.parse_day("01/07/2025") == datetime(2025, 6, 30, 17, tzinfo=UTC)
    assert audit_cli.parse_day("2025-07-01") == datetime(2025, 6, 30, 17, tzinfo=UTC)
    assert audit_cli.parse_day(None) is None
    with pytest.raises(typer.BadParameter):
        audit_cli.parse_day("hôm qua")
