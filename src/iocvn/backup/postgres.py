"""Backup and restore of a PostgreSQL database with ``pg_dump`` / ``pg_restore`` (custom format).

``pg_dump`` runs in a snapshot exported by the connection that counted the rows, and the dump's
table of contents and the rows in its COPY blocks are counted against those counts.
Passwords reach the client tools through a private passfile, never their command line.
Works on files given to it: choosing the temporary file, renaming it into place and telling
which kind of backup a file is are the package's (``iocvn.backup``), not this module's.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from iocvn.backup.common import (
    REQUIRED_TABLES,
    BackupError,
    BackupInvalidError,
    RestoreFailedError,
    RestoreTargetNotEmptyError,
    is_empty,
    quote,
)
from iocvn.config import get_settings

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
        name: int(conn.execute(text(f"SELECT count(*) FROM {quote(name)}")).scalar_one())  # noqa: S608
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


def backup(url: str, tmp: Path) -> tuple[dict[str, int], str | None]:
    """pg_dump the database at ``url`` into ``tmp`` and check the dump; counts and revision."""
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


def restore(url: str, path: Path, *, force: bool) -> tuple[dict[str, int], str | None]:
    """pg_restore the dump at ``path`` into the database at ``url``; counts and revision."""
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
                if not is_empty(tables, lambda q: conn.execute(text(q)).scalar()):
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
