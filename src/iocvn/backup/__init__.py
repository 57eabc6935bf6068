"""Backup and restore of the whole iocvn database: an SQLite file or a PostgreSQL database.

A backup is built in a temporary file beside its destination, checked, and only then renamed
into place, so a failed or interrupted backup never leaves a file that looks like a backup.
Checks: SQLite — ``PRAGMA integrity_check`` and per-table row counts of the copy equal the
source's in one read snapshot; PostgreSQL — ``pg_dump`` runs in an exported snapshot, and the
dump's table of contents and the rows in its COPY blocks are counted against that snapshot.
A restore checks the file first and, afterwards, that the row counts equal the backup's and
that the audit chain verifies (reported, not repaired).

This package's ``__init__`` is the public API (``backup``, ``restore``, the reports, the
errors) and owns the temporary file, the atomic rename and telling the kinds of backup apart;
``sqlite`` and ``postgres`` make and check the copy for their database, ``common`` holds what
both share (errors, required tables, the emptiness check).

Not here: schedules, retention, encryption or shipping backups elsewhere (operations' tools).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

import iocvn
from iocvn.audit.service import Verification, verify
from iocvn.backup import postgres, sqlite
from iocvn.backup.common import (
    BackupError,
    BackupExistsError,
    BackupInvalidError,
    BackupNotFoundError,
    RestoreFailedError,
    RestoreTargetNotEmptyError,
    unsupported,
)
from iocvn.backup.postgres import _libpq as _libpq  # re-exported: tests/test_backup.py uses it
from iocvn.core.i18n import register
from iocvn.core.timeutil import utcnow

__all__ = [
    "BackupError",
    "BackupExistsError",
    "BackupInvalidError",
    "BackupNotFoundError",
    "BackupReport",
    "RestoreFailedError",
    "RestoreReport",
    "RestoreTargetNotEmptyError",
    "backup",
    "restore",
]

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# Read size when hashing a backup file.
CHUNK = 1 << 20


register(
    {
        "error.backup_failed": ("Sao lưu không thành công.", "The backup failed."),
        "error.backup_not_found": (
            "Không tìm thấy tệp sao lưu.",
            "The backup file does not exist.",
        ),
        "error.backup_invalid": (
            "Tệp này không phải bản sao lưu iocvn hợp lệ cho loại cơ sở dữ liệu này.",
            "This file is not a valid iocvn backup for this kind of database.",
        ),
        "error.backup_exists": (
            "Tệp sao lưu đã tồn tại; chọn tên khác hoặc cho phép ghi đè.",
            "The backup file already exists; choose another name or allow overwriting.",
        ),
        "error.restore_target_not_empty": (
            "Cơ sở dữ liệu đích đã có dữ liệu; chỉ khôi phục đè khi dùng --force.",
            "The target database holds data; restore over it only with --force.",
        ),
        "error.restore_failed": (
            "Khôi phục không thành công hoặc kết quả không khớp bản sao lưu.",
            "The restore failed or its result does not match the backup.",
        ),
        "error.backup_unsupported_database": (
            "Chỉ sao lưu được tệp SQLite hoặc cơ sở dữ liệu PostgreSQL.",
            "Only an SQLite file or a PostgreSQL database can be backed up.",
        ),
        "error.backup_tool_missing": (
            "Không tìm thấy công cụ {tool}; cài postgresql-client hoặc đặt IOCVN_PG_DUMP.",
            "{tool} was not found; install postgresql-client or set IOCVN_PG_DUMP.",
        ),
        "error.database_not_initialised": (
            "Cơ sở dữ liệu chưa được khởi tạo (chưa chạy migration).",
            "The database is not initialised (migrations have not run).",
        ),
        "error.database_unreachable": (
            "Không kết nối được cơ sở dữ liệu.",
            "Cannot connect to the database.",
        ),
        "error.backup_destination_is_database": (
            "Không thể ghi bản sao lưu đè lên chính cơ sở dữ liệu.",
            "The backup cannot be written over the database itself.",
        ),
    }
)


# --- reports -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupReport:
    """What a backup holds: row counts per table, checksum, version and schema revision."""

    path: Path
    dialect: str
    tables: dict[str, int]
    sha256: str
    size_bytes: int
    iocvn_version: str
    alembic_revision: str | None
    created_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class RestoreReport:
    """What a restore put in place and whether its audit chain verifies."""

    path: Path
    dialect: str
    tables: dict[str, int]
    alembic_revision: str | None
    audit: Verification


# --- entry points --------------------------------------------------------------------------


def backup(url: str, path: Path, *, overwrite: bool = False) -> BackupReport:
    """Write a checked backup of the database at ``url`` to ``path`` (atomically)."""
    path = Path(path)
    dialect = _dialect(url)
    if path.exists() and not overwrite:
        raise BackupExistsError(details={"path": str(path)})
    if path.exists() and not path.is_file():
        raise BackupError(details={"path": str(path), "problem": "not a regular file"})
    if not path.parent.is_dir():
        raise BackupError(details={"path": str(path), "problem": "directory does not exist"})
    with _temporary_beside(path) as tmp:
        if dialect == "sqlite":
            tables, revision = sqlite.backup(sqlite.database_file(url), path, tmp)
        else:
            tables, revision = postgres.backup(url, tmp)
        digest, size = _sha256(tmp)
        _fsync(tmp)
        os.replace(tmp, path)
    _fsync_dir(path.parent)
    return BackupReport(path, dialect, tables, digest, size, iocvn.__version__, revision)


def restore(url: str, path: Path, *, force: bool = False) -> RestoreReport:
    """Put the backup at ``path`` into the database at ``url``; refuse a non-empty target."""
    path = Path(path)
    dialect = _dialect(url)
    found = _backup_kind(path)
    if found != dialect:
        raise BackupInvalidError(details={"path": str(path), "expected": dialect, "found": found})
    if dialect == "sqlite":
        tables, revision = sqlite.restore(sqlite.database_file(url), path, force=force)
    else:
        tables, revision = postgres.restore(url, path, force=force)
    return RestoreReport(path, dialect, tables, revision, _verify_audit(url))


# --- helpers -------------------------------------------------------------------------------


def _dialect(url: str) -> str:
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError as exc:
        raise unsupported(problem="not a database URL") from exc
    if backend not in ("sqlite", "postgresql"):
        raise unsupported(dialect=backend)
    return backend


def _backup_kind(path: Path) -> str:
    """``sqlite`` or ``postgresql`` from the file's first bytes; raise when it is neither."""
    if not path.exists():
        raise BackupNotFoundError(details={"path": str(path)})
    if not path.is_file():
        raise BackupInvalidError(details={"path": str(path), "problem": "not a regular file"})
    with path.open("rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupInvalidError(details={"path": str(path), "problem": "unknown file format"})


@contextlib.contextmanager
def _temporary_beside(path: Path) -> Iterator[Path]:
    """A temporary file in ``path``'s directory (same filesystem: the rename is atomic).

    Removed with its SQLite side files unless it was renamed into place.
    """
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        for leftover in (tmp, *(Path(f"{tmp}{s}") for s in ("-journal", "-wal", "-shm"))):
            leftover.unlink(missing_ok=True)


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be fsynced
        _fsync(directory)


def _verify_audit(url: str) -> Verification:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with Session(engine) as session:
            return verify(session)
    finally:
        engine.dispose()
