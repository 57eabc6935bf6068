"""Backup and restore of the whole iocvn database: an SQLite file or a PostgreSQL database.

A backup is built in a temporary file beside its destination, checked, and only then renamed
into place, so a failed or interrupted backup never leaves a file that looks like a backup.
Checks: SQLite — ``PRAGMA integrity_check`` and per-table row counts of the copy equal the
source's in one read snapshot; PostgreSQL — ``pg_dump`` runs in an exported snapshot, and the
dump's table of contents and the rows in its COPY blocks are counted against that snapshot.
A restore checks the file first and, afterwards, that the row counts equal the backup's and
that the audit chain verifies (reported, not repaired).

Not here: schedules, retention, encryption or shipping backups elsewhere (operations' tools).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

import iocvn
from iocvn.audit.service import Verification, verify
from iocvn.config import get_settings
from iocvn.core.errors import IocError
from iocvn.core.i18n import register
from iocvn.core.timeutil import utcnow

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# Tables every iocvn database has; a file without them is not an iocvn backup.
REQUIRED_TABLES = frozenset({"alembic_version", "audit_log", "audit_head"})
# Present and filled in a freshly migrated, still empty database.
BOOKKEEPING_TABLES = frozenset({"alembic_version", "audit_head"})
# pg_restore/pg_dump output is read as a stream; one restore can run for hours.
CHUNK = 1 << 20


# --- errors --------------------------------------------------------------------------------


class BackupError(IocError):
    """A backup or restore could not be made or checked; nothing was put in place."""

    status = 500
    code = "backup_failed"


class BackupNotFoundError(BackupError):
    """The backup file does not exist."""

    status = 404
    code = "backup_not_found"


class BackupInvalidError(BackupError):
    """The file is not an iocvn backup for this kind of database (or is damaged)."""

    status = 422
    code = "backup_invalid"


class BackupExistsError(BackupError):
    """The destination file exists and overwriting it was not asked for."""

    status = 409
    code = "backup_exists"


class RestoreTargetNotEmptyError(BackupError):
    """The target database holds data and ``force`` was not given."""

    status = 409
    code = "restore_target_not_empty"


class RestoreFailedError(BackupError):
    """The restore ran but the result does not match the backup, or the restore tool failed."""

    status = 500
    code = "restore_failed"


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
            tables, revision = _sqlite_backup(_sqlite_file(url), path, tmp)
        else:
            tables, revision = _pg_backup(url, tmp)
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
        tables, revision = _sqlite_restore(_sqlite_file(url), path, force=force)
    else:
        tables, revision = _pg_restore(url, path, force=force)
    return RestoreReport(path, dialect, tables, revision, _verify_audit(url))


# --- shared helpers ------------------------------------------------------------------------


def _unsupported(**details: str) -> BackupError:
    return BackupError("backup_unsupported_database", status=422, details=details)


def _dialect(url: str) -> str:
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError as exc:
        raise _unsupported(problem="not a database URL") from exc
    if backend not in ("sqlite", "postgresql"):
        raise _unsupported(dialect=backend)
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


def _is_empty(tables: set[str], scalar: Callable[[str], Any]) -> bool:
    """No tables, or only iocvn's bookkeeping rows (schema revision, audit head at genesis)."""
    for name in sorted(tables - BOOKKEEPING_TABLES):
        if scalar(f"SELECT EXISTS (SELECT 1 FROM {_quote(name)})"):  # noqa: S608 (catalog name)
            return False
    if "audit_head" in tables:
        return not scalar("SELECT EXISTS (SELECT 1 FROM audit_head WHERE last_seq > 0)")
    return True


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _verify_audit(url: str) -> Verification:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with Session(engine) as session:
            return verify(session)
    finally:
        engine.dispose()


# --- SQLite --------------------------------------------------------------------------------


def _sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise _unsupported(database=database or "")
    return Path(database)


def _sqlite_tables(con: sqlite3.Connection) -> set[str]:
    rows = con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    return {str(r[0]) for r in rows}


def _sqlite_counts(con: sqlite3.Connection) -> dict[str, int]:
    return {
        name: int(con.execute(f"SELECT count(*) FROM {_quote(name)}").fetchone()[0])  # noqa: S608
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


def _sqlite_backup(db_file: Path, path: Path, tmp: Path) -> tuple[dict[str, int], str | None]:
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


def _sqlite_restore(db_file: Path, path: Path, *, force: bool) -> tuple[dict[str, int], str | None]:
    expected, revision = _inspect_sqlite_backup(path)
    try:
        if db_file.exists() and not force:
            con = sqlite3.connect(db_file, timeout=30)
            try:
                empty = _is_empty(_sqlite_tables(con), lambda q: con.execute(q).fetchone()[0])
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


# --- PostgreSQL ----------------------------------------------------------------------------

# Tables of the current schema that belong to iocvn, not to an extension (PostGIS's
# spatial_ref_sys has rows of its own and pg_dump does not dump them).
PG_TABLES = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname = current_schema()
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
"""
TOC_TABLE_DATA = re.compile(r"^\d+; \d+ \d+ TABLE DATA (\S+) (\S+) ")
COPY_HEADER = re.compile(
    rb"^COPY (?:(?:\"(?:[^\"]|\"\")*\"|[^\s.\"]+)\.)?(\"(?:[^\"]|\"\")*\"|\S+) "
)


def _pg_tables(conn: Connection) -> set[str]:
    return {str(name) for name in conn.execute(text(PG_TABLES)).scalars()}


def _pg_counts(conn: Connection, tables: set[str]) -> dict[str, int]:
    return {
        name: int(conn.execute(text(f"SELECT count(*) FROM {_quote(name)}")).scalar_one())  # noqa: S608
        for name in sorted(tables)
    }


@contextlib.contextmanager
def _libpq(url: str) -> Iterator[str]:
    """A libpq URL for pg_dump/pg_restore; a password goes into a private passfile, never onto
    the command line (where ``ps`` shows it to every user of the host)."""
    sa_url = make_url(url)
    plain = URL.create(  # (URL.set(password=None) would keep the password)
        "postgresql",
        username=sa_url.username,
        host=sa_url.host,
        port=sa_url.port,
        database=sa_url.database,
        query=sa_url.query,
    )
    if sa_url.password is None:
        yield plain.render_as_string(hide_password=False)
        return
    with tempfile.TemporaryDirectory(prefix="iocvn-pg-") as tmp:
        passfile = Path(tmp) / "pgpass"
        secret = str(sa_url.password).replace("\\", "\\\\").replace(":", "\\:")
        fd = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"*:*:*:*:{secret}\n")
        with_passfile = plain.update_query_dict({"passfile": str(passfile)})
        yield with_passfile.render_as_string(hide_password=False)


def _tool_missing(tool: str) -> BackupError:
    return BackupError("backup_tool_missing", tool=tool, details={"tool": tool})


def _run(args: list[str], error: type[BackupError]) -> subprocess.CompletedProcess[bytes]:
    """Run a PostgreSQL client tool; a failure raises ``error`` with the end of its stderr."""
    try:
        done = subprocess.run(args, capture_output=True, check=False)  # noqa: S603 (no shell)
    except FileNotFoundError as exc:
        raise _tool_missing(args[0]) from exc
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace").strip().splitlines()[-20:]
        raise error(details={"tool": Path(args[0]).name, "exit": done.returncode, "stderr": stderr})
    return done


def _pg_toc_tables(path: Path, error: type[BackupError]) -> set[str]:
    """Tables whose data the dump holds, from ``pg_restore --list``."""
    listing = _run([get_settings().pg_restore, "--list", str(path)], error)
    tables = set()
    for line in listing.stdout.decode("utf-8", "replace").splitlines():
        match = TOC_TABLE_DATA.match(line)
        if match:
            tables.add(match.group(2))
    return tables


def _unquote(name: bytes) -> str:
    raw = name.decode("utf-8", "replace")
    if raw.startswith('"') and raw.endswith('"'):
        return raw[1:-1].replace('""', '"')
    return raw


def _pg_dump_counts(path: Path, error: type[BackupError]) -> dict[str, int]:
    """Rows per table in the dump, counted in the COPY blocks ``pg_restore`` replays.

    COPY's text format escapes newlines inside values, so one line is one row.
    """
    args = [get_settings().pg_restore, "--data-only", "--file=-", str(path)]
    counts: dict[str, int] = {}
    table: str | None = None
    # stderr goes to a file: a full stderr pipe nobody reads would stall pg_restore.
    with tempfile.TemporaryFile() as errors:
        try:
            proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errors)  # noqa: S603
        except FileNotFoundError as exc:
            raise _tool_missing(args[0]) from exc
        assert proc.stdout is not None
        with proc:
            for line in proc.stdout:
                if table is not None:
                    if line in (b"\\.\n", b"\\.\r\n"):
                        table = None
                    else:
                        counts[table] += 1
                    continue
                match = COPY_HEADER.match(line)
                if match and line.rstrip().endswith(b"FROM stdin;"):
                    table = _unquote(match.group(1))
                    counts[table] = 0
        if proc.returncode != 0:
            errors.seek(0)
            stderr = errors.read().decode("utf-8", "replace").strip().splitlines()[-20:]
            raise error(details={"tool": "pg_restore", "exit": proc.returncode, "stderr": stderr})
    return counts


def _pg_engine(url: str) -> Engine:
    return create_engine(url, poolclass=NullPool)


def _pg_backup(url: str, tmp: Path) -> tuple[dict[str, int], str | None]:
    engine = _pg_engine(url)
    try:
        with engine.connect() as raw, _libpq(url) as conninfo:
            conn = raw.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                # pg_dump reads the very snapshot our counts were taken in.
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                tables = _pg_tables(conn)
                if not tables >= REQUIRED_TABLES:
                    raise BackupError(
                        "database_not_initialised",
                        details={"missing": sorted(REQUIRED_TABLES - tables)},
                    )
                counts = _pg_counts(conn, tables)
                revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                _run(
                    [
                        get_settings().pg_dump,
                        "--format=custom",
                        "--no-owner",
                        f"--snapshot={snapshot}",
                        f"--file={tmp}",
                        f"--dbname={conninfo}",
                    ],
                    BackupError,
                )
    except SQLAlchemyError as exc:
        raise BackupError("database_unreachable", details={"problem": _first_line(exc)}) from exc
    finally:
        engine.dispose()
    missing = sorted(tables - _pg_toc_tables(tmp, BackupError))
    if missing:
        raise BackupError(details={"problem": "tables missing from the dump", "tables": missing})
    dumped = _pg_dump_counts(tmp, BackupError)
    dumped = {name: dumped.get(name, 0) for name in counts}
    if dumped != counts:
        raise BackupError(details={"source": counts, "dump": dumped})
    return counts, str(revision) if revision is not None else None


def _pg_restore(url: str, path: Path, *, force: bool) -> tuple[dict[str, int], str | None]:
    toc = _pg_toc_tables(path, BackupInvalidError)
    if not toc >= REQUIRED_TABLES:
        raise BackupInvalidError(
            details={"path": str(path), "missing_tables": sorted(REQUIRED_TABLES - toc)}
        )
    expected = _pg_dump_counts(path, BackupInvalidError)
    expected = {name: expected.get(name, 0) for name in toc}
    engine = _pg_engine(url)
    try:
        if not force:
            with engine.connect() as conn:
                tables = _pg_tables(conn)
                if not _is_empty(tables, lambda q: conn.execute(text(q)).scalar()):
                    raise RestoreTargetNotEmptyError(details={"database": make_url(url).database})
        with _libpq(url) as conninfo:
            _run(
                [
                    get_settings().pg_restore,
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    f"--dbname={conninfo}",
                    str(path),
                ],
                RestoreFailedError,
            )
        with engine.connect() as conn:
            restored = _pg_counts(conn, set(expected))
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as exc:
        raise RestoreFailedError(
            "database_unreachable", details={"problem": _first_line(exc)}
        ) from exc
    finally:
        engine.dispose()
    if restored != expected:
        raise RestoreFailedError(details={"backup": expected, "restored": restored})
    return restored, str(revision) if revision is not None else None


def _first_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__
