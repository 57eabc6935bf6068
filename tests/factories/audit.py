"""Test helpers for the audit log: append entries, and tamper with stored rows the way an
attacker with database superuser rights would (on PostgreSQL by lifting the append-only guard).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, text, update

from iocvn.audit.models import AuditEntry
from iocvn.audit.service import GENESIS, record
from iocvn.core.context import Actor
from iocvn.db import transaction

AUDIT_FIELDS = (
    "seq",
    "id",
    "at",
    "actor",
    "actor_org",
    "action",
    "target_type",
    "target_id",
    "before",
    "after",
    "request_id",
    "ip",
    "prev_hash",
    "hash",
)


def add_entries(engine: Engine, count: int, *, actor: str = "nguyen.van.a") -> list[AuditEntry]:
    """Append ``count`` committed entries, one transaction for all, and return them."""
    with transaction(engine) as session:
        return [
            record(
                session,
                Actor(actor, org_code="20", request_id=f"req-{i}", ip="10.0.0.1"),
                f"org.unit.update.{i}",
                target_type="org_unit",
                target_id=f"20.{i:03d}",
                before={"tên": f"Xã cũ {i}"},
                after={"tên": f"Phường mới {i}", "số": i},
            )
            for i in range(1, count + 1)
        ]


@contextmanager
def unguarded(engine: Engine, *, keep: bool = True) -> Iterator[Connection]:
    """A connection on which audit_log rows may be changed; commits when ``keep`` else rolls back.

    On PostgreSQL the append-only trigger is disabled inside the same transaction, so it is on
    again for everyone else whatever happens (``ALTER TABLE`` is transactional).
    """
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            if engine.dialect.name == "postgresql":
                conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            yield conn
            if engine.dialect.name == "postgresql":
                conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
            if keep:
                trans.commit()
            else:
                trans.rollback()
        except BaseException:
            trans.rollback()
            raise


def set_field(conn: Connection, seq: int, /, **values: Any) -> None:
    """Overwrite columns of the stored entry ``seq`` (bypassing the service)."""
    table = AuditEntry.__table__
    result = conn.execute(update(table).where(table.c.seq == seq).values(**values))
    assert result.rowcount == 1, f"no audit entry with seq {seq}"


def delete_entry(conn: Connection, seq: int) -> None:
    """Remove the stored entry ``seq``."""
    conn.execute(text("DELETE FROM audit_log WHERE seq = :seq"), {"seq": seq})


def swap_entries(conn: Connection, a: int, b: int) -> None:
    """Exchange the positions (seq) of two stored entries."""
    conn.execute(text("UPDATE audit_log SET seq = -1 WHERE seq = :a"), {"a": a})
    conn.execute(text("UPDATE audit_log SET seq = :a WHERE seq = :b"), {"a": a, "b": b})
    conn.execute(text("UPDATE audit_log SET seq = :b WHERE seq = -1"), {"b": b})


def wipe_audit(engine: Engine) -> None:
    """Empty the log and reset the head to genesis (for property tests that loop in one test)."""
    with unguarded(engine) as conn:
        conn.execute(text("DELETE FROM audit_log"))
        conn.execute(
            text("UPDATE audit_head SET last_seq = 0, last_hash = :h WHERE id = 1"), {"h": GENESIS}
        )
