"""Backup and restore of an SQLite database file through SQLite's online backup API.

The copy and its row counts come from one read snapshot of the source, so writers may go on
meanwhile; the copy is then checked with ``PRAGMA integrity_check`` and recounted.
Works on files given to it: choosing the temporary file, renaming it into place and telling
which kind of backup a file is are the package's (``iocvn.backup``), not this module's.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from iocvn.backup.common import (
    REQUIRED_TABLES,
    BackupError,
    BackupInvalidError,
    RestoreFailedError,
    RestoreTargetNotEmptyError,
    is_empty,
    quote,
    unsupported,
)


def database_file(url: str) -> Path:
    """The database file an ``sqlite:///`` URL names; raise for in-memory or URI databases."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise unsupported(database=database or "")
    return Path(database)


def _sqlite_tables(con: sqlite3.Connection) -> set[str]:
    rows = con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    return {str(r[0]) for r in rows}


def _sqlite_counts(con: sqlite3.Connection) -> dict[str, int]:
    return {
        name: int(con.execute(f"SELECT count(*) FROM {quote(name)}").fetchone()[0])  # noqa: S608
        for name in sorted(_sqlite_tables(con))
    }


def _sqlite_revision(con: sqlite3.Connection) -> str | None:
    row = con.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else None


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)


def _inspect_sqlite_backup(path: Path) -> tuple[dict[str, int], str | None]:
    """Counts and revision of an SQLite backup; raise BackupInvalidError when it is not one."""
    try:
        con = _read_only(path)
        try:
            check = con.execute("PRAGMA integrity_check").fetchall()
            if check != [("ok",)]:
                problems = [str(r[0]) for r in check[:10]]
                raise BackupInvalidError(details={"path": str(path), "integrity_check": problems})
            missing = REQUIRED_TABLES - _sqlite_tables(con)
            if missing:
                raise BackupInvalidError(
                    details={"path": str(path), "missing_tables": sorted(missing)}
                )
            return _sqlite_counts(con), _sqlite_revision(con)
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise BackupInvalidError(details={"path": str(path), "problem": str(exc)}) from exc


def backup(db_file: Path, path: Path, tmp: Path) -> tuple[dict[str, int], str | None]:
    """Copy ``db_file`` into ``tmp`` (bound for ``path``) and check it; counts and revision."""
    if not db_file.is_file():
        raise BackupError("database_not_initialised", details={"database": str(db_file)})
    if path.resolve() == db_file.resolve():
        raise BackupError("backup_destination_is_database", status=422)
    try:
        src = sqlite3.connect(db_file, timeout=30)
        try:
            # One read snapshot for the counts and the copy (the backup API reuses it), so
            # writers may go on meanwhile and the counts still describe the copy exactly.
            src.execute("BEGIN")
            tables = _sqlite_tables(src)
            if not tables >= REQUIRED_TABLES:
                raise BackupError("database_not_initialised", details={"database": str(db_file)})
            source_counts = _sqlite_counts(src)
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
                # A backup is one self-contained file, not a WAL database with side files.
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
            src.rollback()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(details={"database": str(db_file), "problem": str(exc)}) from exc
    try:
        copy_counts, revision = _inspect_sqlite_backup(tmp)
    except BackupInvalidError as exc:
        raise BackupError(details=exc.details) from exc
    if copy_counts != source_counts:
        raise BackupError(details={"source": source_counts, "copy": copy_counts})
    return copy_counts, revision


def restore(db_file: Path, path: Path, *, force: bool) -> tuple[dict[str, int], str | None]:
    """Replace the content of ``db_file`` with the backup at ``path``; counts and revision."""
    expected, revision = _inspect_sqlite_backup(path)
    try:
        if db_file.exists() and not force:
            con = sqlite3.connect(db_file, timeout=30)
            try:
                empty = is_empty(_sqlite_tables(con), lambda q: con.execute(q).fetchone()[0])
            finally:
                con.close()
            if not empty:
                raise RestoreTargetNotEmptyError(details={"database": str(db_file)})
        src = _read_only(path)
        dst = sqlite3.connect(db_file, timeout=30)
        try:
            src.backup(dst)  # replaces the whole content, under the target's write lock
            restored = _sqlite_counts(dst)
        finally:
            dst.close()
            src.close()
    except sqlite3.Error as exc:
        raise RestoreFailedError(details={"database": str(db_file), "problem": str(exc)}) from exc
    if restored != expected:
        raise RestoreFailedError(details={"backup": expected, "restored": restored})
    return restored, revision
