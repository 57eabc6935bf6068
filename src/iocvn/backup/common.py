"""What the SQLite and PostgreSQL halves of backup/restore share: the error classes, the tables
that make a database an iocvn database, and the emptiness check a restore makes first.

Imports nothing from the rest of ``iocvn.backup``, so every module of the package can import it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from iocvn.core.errors import IocError

# Tables every iocvn database has; a file without them is not an iocvn backup.
REQUIRED_TABLES = frozenset({"alembic_version", "audit_log", "audit_head"})
# Present and filled in a freshly migrated, still empty database.
BOOKKEEPING_TABLES = frozenset({"alembic_version", "audit_head"})


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


# --- helpers -------------------------------------------------------------------------------


def unsupported(**details: str) -> BackupError:
    """The error for a database URL that names neither an SQLite file nor PostgreSQL."""
    return BackupError("backup_unsupported_database", status=422, details=details)


def is_empty(tables: set[str], scalar: Callable[[str], Any]) -> bool:
    """No tables, or only iocvn's bookkeeping rows (schema revision, audit head at genesis)."""
    for name in sorted(tables - BOOKKEEPING_TABLES):
        if scalar(f"SELECT EXISTS (SELECT 1 FROM {quote(name)})"):  # noqa: S608 (catalog name)
            return False
    if "audit_head" in tables:
        return not scalar("SELECT EXISTS (SELECT 1 FROM audit_head WHERE last_seq > 0)")
    return True


def quote(identifier: str) -> str:
    """``identifier`` as a double-quoted SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'
