"""Backup and restore: a round trip gives back every row of every table; bad input is refused
with a clear error and leaves nothing half-written behind."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from iocvn.audit.service import Verification, record
from iocvn.auth.models import User
from iocvn.backup import (
    BackupError,
    BackupExistsError,
    BackupInvalidError,
    BackupNotFoundError,
    RestoreTargetNotEmptyError,
    _libpq,
    backup,
    restore,
)
from iocvn.config import get_settings
from iocvn.core.context import Actor
from iocvn.db import migrate, transaction
from iocvn.migrations.metadata import metadata
from iocvn.org.models import OrgUnit
from tests.factories.audit import set_field, unguarded

UNITS = [
    OrgUnit(
        code="20",
        name="Tỉnh Lạng Sơn",
        level="province",
        province_code="20",
        valid_from=date(2025, 7, 1),
        geometry={"type": "Point", "coordinates": [106.76, 21.85]},
    ),
    OrgUnit(
        code="05977",
        name="Phường Đông Kinh",
        level="commune",
        parent_code="20",
        province_code="20",
        valid_from=date(2025, 7, 1),
        formed_from=["Phường Chi Lăng", "Xã Mai Pha"],
        lat=21.85,
        lon=106.76,
        area_km2=12.5,
    ),
    OrgUnit(
        code="20.SYT",
        name="Sở Y tế",
        level="agency",
        parent_code="20",
        province_code="20",
        valid_from=date(2025, 7, 1),
        sector="y tế",
        search_key="so y te\nsở y tế\t(dòng 2)",  # COPY escapes these: still one row
    ),
]


def seed(engine: Engine) -> None:
    """Org units, a user and their audit entries, as the services would leave them."""
    actor = Actor("quan.tri", org_code="20", ip="10.0.0.5")
    with transaction(engine) as session:
        for unit in UNITS:
            session.merge(unit)
            record(
                session,
                actor,
                "org.unit.create",
                target_type="org_unit",
                target_id=unit.code,
                after={"tên": unit.name},
            )
        session.add(
            User(
                username="nguyen.thi.lan",
                role="admin",
                org_code="20",
                display_name="Nguyễn Thị Lan",
            )
        )
        record(session, actor, "user.create", target_type="user", target_id="nguyen.thi.lan")


def contents(url: str) -> dict[str, list[Any]]:
    """Every row of every iocvn table (and the schema revision), ordered by primary key."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            out: dict[str, list[Any]] = {
                table.name: [
                    tuple(row)
                    for row in conn.execute(select(table).order_by(*table.primary_key.columns))
                ]
                for table in metadata.sorted_tables
            }
            out["alembic_version"] = list(conn.execute(text("SELECT * FROM alembic_version")))
            return out
    finally:
        engine.dispose()


def is_pg(url: str) -> bool:
    return url.startswith("postgresql")


@pytest.fixture
def target_url(empty_url: str) -> str:
    """A database to restore into that does not exist yet (SQLite) or is brand new (PG)."""
    return empty_url


@pytest.fixture
def backup_dir(tmp_path: Path) -> Path:
    """An empty directory for backup files."""
    directory = tmp_path / "backups"
    directory.mkdir()
    return directory


# --- the round trip ------------------------------------------------------------------------


def test_backup_reports_what_it_holds(db: Engine, db_url: str, backup_dir: Path) -> None:
    seed(db)
    path = backup_dir / "iocvn.backup"
    report = backup(db_url, path)
    assert report.path == path
    assert report.dialect == ("postgresql" if is_pg(db_url) else "sqlite")
    assert report.tables["org_units"] == 3
    assert report.tables["users"] == 1
    assert report.tables["audit_log"] == 4
    assert report.tables["audit_head"] == 1
    assert report.alembic_revision == contents(db_url)["alembic_version"][0][0]
    assert report.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert report.size_bytes == path.stat().st_size
    assert report.iocvn_version
    assert sorted(p.name for p in backup_dir.iterdir()) == ["iocvn.backup"]  # no temp files


def test_restore_into_a_new_database_gives_back_every_row(
    db: Engine, db_url: str, target_url: str, backup_dir: Path
) -> None:
    seed(db)
    made = backup(db_url, backup_dir / "iocvn.backup")
    report = restore(target_url, made.path)
    assert report.tables == made.tables
    assert report.alembic_revision == made.alembic_revision
    assert report.audit == Verification(True, 4)
    source = contents(db_url)
    assert source["org_units"]
    assert contents(target_url) == source


def test_restore_over_a_migrated_empty_sqlite_database(
    db: Engine, db_url: str, tmp_path: Path, backup_dir: Path
) -> None:
    if is_pg(db_url):
        pytest.skip("SQLite-specific target (the PG pass restores into a new database)")
    seed(db)
    made = backup(db_url, backup_dir / "iocvn.backup")
    target = f"sqlite:///{tmp_path / 'migrated.db'}"
    migrate(target)  # schema and the genesis audit head, no data: counts as empty
    assert restore(target, made.path).audit.ok
    assert contents(target) == contents(db_url)


def test_restored_postgres_still_refuses_changes_to_the_audit_log(
    db: Engine, db_url: str, target_url: str, backup_dir: Path
) -> None:
    if not is_pg(db_url):
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    seed(db)
    restore(target_url, backup(db_url, backup_dir / "iocvn.backup").path)
    engine = create_engine(target_url, poolclass=NullPool)
    try:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_log"))
    finally:
        engine.dispose()


def test_restore_reports_a_tampered_audit_log_in_the_backup(
    db: Engine, db_url: str, target_url: str, backup_dir: Path
) -> None:
    seed(db)
    with unguarded(db) as conn:
        set_field(conn, 2, actor="ke.gian")
    report = restore(target_url, backup(db_url, backup_dir / "iocvn.backup").path)
    assert report.audit == Verification(False, 1, 2, "altered_entry")


def test_backup_while_writers_append_is_a_consistent_snapshot(
    db: Engine, db_url: str, target_url: str, backup_dir: Path
) -> None:
    seed(db)
    stop = threading.Event()

    def append() -> None:
        while not stop.is_set():
            with transaction(db) as session:
                record(session, Actor("writer"), "test.during_backup")

    writer = threading.Thread(target=append)
    writer.start()
    try:
        made = backup(db_url, backup_dir / "iocvn.backup")  # checks its counts itself
    finally:
        stop.set()
        writer.join()
    report = restore(target_url, made.path)
    assert report.audit == Verification(True, made.tables["audit_log"])


# --- refusals ------------------------------------------------------------------------------


def test_restore_refuses_a_non_empty_target_unless_forced(
    db: Engine, db_url: str, target_url: str, backup_dir: Path
) -> None:
    seed(db)
    made = backup(db_url, backup_dir / "iocvn.backup")
    restore(target_url, made.path)
    with pytest.raises(RestoreTargetNotEmptyError) as caught:
        restore(target_url, made.path)
    assert caught.value.code == "restore_target_not_empty"
    assert caught.value.status == 409
    assert restore(target_url, made.path, force=True).tables == made.tables
    assert contents(target_url) == contents(db_url)


@pytest.mark.db  # restores into target_url: a new PostgreSQL database in the PG pass
def test_restore_of_a_missing_file(target_url: str, tmp_path: Path) -> None:
    with pytest.raises(BackupNotFoundError) as caught:
        restore(target_url, tmp_path / "none.backup")
    assert caught.value.code == "backup_not_found"
    assert caught.value.details == {"path": str(tmp_path / "none.backup")}


@pytest.mark.db  # restores into target_url (pg_restore on PostgreSQL)
@pytest.mark.parametrize("content", [b"", b"id,name\n1,x\n", b"PGDMP-not-really" + bytes(200)])
def test_restore_of_a_file_that_is_not_a_backup(
    target_url: str, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "junk.backup"
    path.write_bytes(content)
    with pytest.raises(BackupInvalidError) as caught:
        restore(target_url, path)
    assert caught.value.code == "backup_invalid"


def test_restore_of_an_sqlite_database_that_is_not_iocvn(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE notes (x)")
    con.close()
    with pytest.raises(BackupInvalidError) as caught:
        restore(f"sqlite:///{tmp_path / 'target.db'}", other)
    assert caught.value.details["missing_tables"] == ["alembic_version", "audit_head", "audit_log"]
    assert not (tmp_path / "target.db").exists()


def test_restore_of_a_damaged_backup(
    db: Engine, db_url: str, target_url: str, backup_dir: Path
) -> None:
    seed(db)
    path = backup(db_url, backup_dir / "iocvn.backup").path
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(BackupInvalidError):
        restore(target_url, path)


def test_restore_of_a_backup_of_the_other_kind(
    db: Engine, db_url: str, backup_dir: Path, tmp_path: Path
) -> None:
    seed(db)
    path = backup(db_url, backup_dir / "iocvn.backup").path
    other = f"sqlite:///{tmp_path / 'x.db'}" if is_pg(db_url) else "postgresql+psycopg://nobody@x/y"
    with pytest.raises(BackupInvalidError) as caught:
        restore(other, path)
    assert caught.value.details["found"] == ("postgresql" if is_pg(db_url) else "sqlite")


def test_backup_will_not_overwrite_unless_asked(db: Engine, db_url: str, backup_dir: Path) -> None:
    path = backup_dir / "iocvn.backup"
    path.write_bytes(b"an older backup")
    with pytest.raises(BackupExistsError):
        backup(db_url, path)
    assert path.read_bytes() == b"an older backup"
    seed(db)
    assert backup(db_url, path, overwrite=True).tables["org_units"] == 3


def test_backup_of_an_uninitialised_database_leaves_nothing(
    tmp_path: Path, backup_dir: Path
) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(BackupError) as caught:
        backup(f"sqlite:///{empty}", backup_dir / "iocvn.backup")
    assert caught.value.code == "database_not_initialised"
    assert list(backup_dir.iterdir()) == []


def test_backup_refuses_to_write_over_the_database_itself(db: Engine, db_url: str) -> None:
    if is_pg(db_url):
        pytest.skip("an SQLite file only")
    database = Path(make_url(db_url).database or "")
    with pytest.raises(BackupError) as caught:
        backup(db_url, database, overwrite=True)
    assert caught.value.code == "backup_destination_is_database"
    assert contents(db_url)["alembic_version"]


@pytest.mark.parametrize("url", ["mysql://u@h/db", "sqlite://", "sqlite:///:memory:"])
def test_backup_of_an_unsupported_database(url: str, backup_dir: Path) -> None:
    with pytest.raises(BackupError) as caught:
        backup(url, backup_dir / "x.backup")
    assert caught.value.code == "backup_unsupported_database"


# --- PostgreSQL specifics ------------------------------------------------------------------


@pytest.mark.postgres_only
def test_backup_without_pg_dump_says_so_and_leaves_nothing(
    db: Engine, db_url: str, backup_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "pg_dump", "/nonexistent/pg_dump")
    with pytest.raises(BackupError) as caught:
        backup(db_url, backup_dir / "iocvn.backup")
    assert caught.value.code == "backup_tool_missing"
    assert caught.value.details == {"tool": "/nonexistent/pg_dump"}
    assert list(backup_dir.iterdir()) == []


@pytest.mark.postgres_only
def test_a_password_goes_to_a_private_passfile_not_the_command_line() -> None:
    with _libpq("postgresql+psycopg://iocvn:s3:cr\\et@db.example:5433/ioc?sslmode=require") as url:
        parsed = make_url(url)
        assert parsed.password is None
        assert "s3" not in url
        assert parsed.query["sslmode"] == "require"
        passfile = Path(str(parsed.query["passfile"]))
        assert passfile.read_text() == "*:*:*:*:s3\\:cr\\\\et\n"
        assert passfile.stat().st_mode & 0o077 == 0
    assert not passfile.exists()
