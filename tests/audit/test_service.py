"""The audit chain: appends link up, verify finds every kind of tampering, writers serialise."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry, AuditHead
from iocvn.audit.service import GENESIS, Verification, entry_hash, record, search, verify
from iocvn.core.context import Actor
from iocvn.core.ids import new_id
from iocvn.core.timeutil import utcnow
from iocvn.db import transaction
from tests.factories.audit import (
    AUDIT_FIELDS,
    add_entries,
    delete_entry,
    set_field,
    swap_entries,
    unguarded,
    wipe_audit,
)


def check(engine: Engine) -> Verification:
    """Verify in a fresh session, as ``iocvn audit verify`` would."""
    with Session(engine) as session:
        return verify(session)


def stored(engine: Engine) -> list[AuditEntry]:
    """Every stored entry in seq order."""
    with Session(engine) as session:
        return list(session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars())


# --- appending ---------------------------------------------------------------------------


def test_record_chains_each_entry_onto_the_previous(db: Engine) -> None:
    add_entries(db, 3)
    entries = stored(db)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS
    for prev, entry in itertools.pairwise(entries):
        assert entry.prev_hash == prev.hash
    for entry in entries:
        assert entry.hash == entry_hash(entry)
    with Session(db) as session:
        head = session.get(AuditHead, 1)
        assert head is not None
        assert (head.last_seq, head.last_hash) == (3, entries[-1].hash)


def test_entries_are_chained_at_commit_in_commit_order(db: Engine) -> None:
    first, second = Session(db), Session(db)
    try:
        early = record(first, Actor("a"), "test.early")
        record(second, Actor("b"), "test.late")
        assert early.seq is None  # nothing taken from the chain before the commit
        second.commit()
        first.commit()
    finally:
        first.close()
        second.close()
    assert [(e.seq, e.actor) for e in stored(db)] == [(1, "b"), (2, "a")]
    assert check(db) == Verification(True, 2)


class Undo(Exception):
    """Raised inside a transaction to roll it back."""


def _record_then_fail(session: Session, action: str) -> None:
    record(session, Actor("a"), action)
    raise Undo


def test_a_rolled_back_transaction_leaves_no_entry(db: Engine) -> None:
    with pytest.raises(Undo), transaction(db) as session:
        _record_then_fail(session, "test.undone")
    add_entries(db, 1)
    assert [e.seq for e in stored(db)] == [1]
    assert check(db) == Verification(True, 1)


def test_a_transaction_reads_its_own_entries(db: Engine) -> None:
    with transaction(db) as session:
        record(session, Actor("a"), "test.mine")
        assert session.scalars(select(AuditEntry.action)).all() == ["test.mine"]
        record(session, Actor("a"), "test.again")
        assert verify(session) == Verification(True, 2)
    assert check(db) == Verification(True, 2)


def test_a_rolled_back_savepoint_drops_only_its_own_entries(db: Engine) -> None:
    with transaction(db) as session:
        record(session, Actor("a"), "test.before")
        with pytest.raises(Undo), session.begin_nested():
            _record_then_fail(session, "test.inside")
        with session.begin_nested():
            record(session, Actor("a"), "test.kept")
    assert [e.action for e in stored(db)] == ["test.before", "test.kept"]
    assert check(db) == Verification(True, 2)


def test_record_keeps_unicode_and_what_is_hashed_is_what_is_stored(db: Engine) -> None:
    with transaction(db) as session:
        entry = record(
            session,
            Actor("trần.thị.bích", org_code="20.SYT"),
            "feedback.close",
            before={"trạng_thái": "đang xử lý", "ngày": utcnow().date()},  # date → str
            after={"trạng_thái": "đã xử lý", "ghi_chú": "Đường Nguyễn Huệ 🚧", 1: [1, 2]},
        )
    assert entry.after == {"trạng_thái": "đã xử lý", "ghi_chú": "Đường Nguyễn Huệ 🚧", "1": [1, 2]}
    assert stored(db)[0].after == entry.after
    assert check(db).ok


def test_record_replaces_lone_surrogates_instead_of_failing(db: Engine) -> None:
    with transaction(db) as session:
        entry = record(session, Actor("api"), "feedback.create", after={"text": "a\ud800b"})
    assert entry.after == {"text": "a\ufffdb"}
    assert check(db).ok


def test_search_filters_newest_first(db: Engine) -> None:
    add_entries(db, 3, actor="a")
    add_entries(db, 2, actor="b")
    with Session(db) as session:
        assert [e.seq for e in search(session, actor="a")] == [3, 2, 1]
        assert [e.seq for e in search(session, action="org.unit.update.1")] == [4, 1]
        assert [e.seq for e in search(session, limit=2)] == [5, 4]
        assert [e.seq for e in search(session, before_seq=3)] == [2, 1]


# --- verify ------------------------------------------------------------------------------


def test_verify_is_ok_on_an_empty_log(db: Engine) -> None:
    assert check(db) == Verification(True, 0)


def test_verify_is_ok_on_an_intact_log(db: Engine) -> None:
    add_entries(db, 5)
    assert check(db) == Verification(True, 5)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("actor", "ke.gian"),
        ("action", "user.delete"),
        ("after", {"tên": "Giả mạo"}),
        ("before", None),
        ("ip", "203.0.113.9"),
        ("hash", "f" * 64),
    ],
)
def test_verify_detects_a_changed_field(db: Engine, field: str, value: Any) -> None:
    add_entries(db, 5)
    with unguarded(db) as conn:
        set_field(conn, 3, **{field: value})
    assert check(db) == Verification(False, 2, 3, "altered_entry")


def test_verify_detects_a_changed_timestamp(db: Engine) -> None:
    entries = add_entries(db, 5)
    with unguarded(db) as conn:
        set_field(conn, 3, at=entries[2].at - timedelta(days=1))
    assert check(db) == Verification(False, 2, 3, "altered_entry")


def test_verify_detects_a_deleted_middle_entry(db: Engine) -> None:
    add_entries(db, 5)
    with unguarded(db) as conn:
        delete_entry(conn, 3)
    assert check(db) == Verification(False, 2, 3, "missing_entry")


def test_verify_detects_a_deleted_last_entry_through_the_head(db: Engine) -> None:
    add_entries(db, 5)
    with unguarded(db) as conn:
        delete_entry(conn, 5)
    assert check(db) == Verification(False, 4, 5, "truncated_tail")


def _forge(conn: Any, seq: int, prev_hash: str) -> None:
    """Insert a self-consistent entry, as an attacker who knows the algorithm would."""
    forged = AuditEntry(
        seq=seq,
        id=new_id(),
        at=utcnow(),
        actor="ke.gian",
        actor_org="20",
        action="user.grant_admin",
        target_type="user",
        target_id="ke.gian",
        before=None,
        after={"role": "admin"},
        request_id="",
        ip="",
        prev_hash=prev_hash,
    )
    forged.hash = entry_hash(forged)
    values = {name: getattr(forged, name) for name in AUDIT_FIELDS}
    conn.execute(insert(AuditEntry.__table__).values(**values))


def test_verify_detects_a_forged_entry_inserted_in_the_middle(db: Engine) -> None:
    entries = add_entries(db, 5)
    with unguarded(db) as conn:
        # Make room at seq 3 (two steps: PostgreSQL checks the key row by row).
        conn.execute(text("UPDATE audit_log SET seq = -seq WHERE seq >= 3"))
        conn.execute(text("UPDATE audit_log SET seq = 1 - seq WHERE seq < 0"))
        _forge(conn, 3, entries[1].hash)
        conn.execute(text("UPDATE audit_head SET last_seq = 6"))
    # The forged entry links correctly to seq 2; the chain breaks at the one after it.
    assert check(db) == Verification(False, 3, 4, "broken_link")


def test_verify_detects_a_forged_entry_appended_behind_the_head(db: Engine) -> None:
    entries = add_entries(db, 5)
    with unguarded(db) as conn:
        _forge(conn, 6, entries[-1].hash)
    assert check(db) == Verification(False, 5, 6, "entry_after_head")


def test_verify_detects_a_replaced_last_entry_through_the_head(db: Engine) -> None:
    entries = add_entries(db, 5)
    with unguarded(db) as conn:
        delete_entry(conn, 5)
        _forge(conn, 5, entries[3].hash)
    assert check(db) == Verification(False, 5, 5, "head_mismatch")


def test_verify_detects_swapped_entries(db: Engine) -> None:
    add_entries(db, 5)
    with unguarded(db) as conn:
        swap_entries(conn, 2, 3)
    assert check(db) == Verification(False, 1, 2, "broken_link")


def test_verify_detects_a_deleted_head(db: Engine) -> None:
    add_entries(db, 2)
    with db.begin() as conn:
        conn.execute(text("DELETE FROM audit_head"))
    assert check(db) == Verification(False, 0, 1, "head_missing")


def test_verify_reads_the_database_not_the_session_cache(db: Engine) -> None:
    with Session(db, expire_on_commit=False) as session:
        for i in range(3):
            record(session, Actor("a"), f"x.{i}")
        session.commit()
        mine = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        with unguarded(db) as conn:
            set_field(conn, 2, actor="ke.gian")
        # The session still holds entry 2 with the old actor; verify must not trust it.
        assert mine[1].actor == "a"
        assert verify(session) == Verification(False, 1, 2, "altered_entry")
        assert all(e in session for e in mine)  # and it left the caller's objects alone


# --- the database guard (PostgreSQL) -----------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'ke.gian' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 1",
        "TRUNCATE audit_log",
    ],
)
def test_postgres_refuses_to_change_the_log(db: Engine, statement: str) -> None:
    add_entries(db, 2)
    with pytest.raises(DBAPIError, match="append-only"), db.begin() as conn:
        conn.execute(text(statement))
    assert check(db) == Verification(True, 2)


# --- concurrency -------------------------------------------------------------------------


def test_concurrent_writers_produce_one_intact_chain(db: Engine) -> None:
    writers = 12
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            start.wait()
            with transaction(db) as session:
                record(session, Actor(f"writer.{i}"), "test.concurrent", after={"i": i})
        except BaseException as exc:  # reported below; a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    entries = stored(db)
    assert [e.seq for e in entries] == list(range(1, writers + 1))
    assert {e.actor for e in entries} == {f"writer.{i}" for i in range(writers)}
    assert check(db) == Verification(True, writers)


def test_verify_during_concurrent_appends_never_reports_a_healthy_log(db: Engine) -> None:
    done = threading.Event()

    def append() -> None:
        try:
            for i in range(30):
                with transaction(db) as session:
                    record(session, Actor("writer"), "test.live", after={"i": i})
        finally:
            done.set()

    writer = threading.Thread(target=append)
    writer.start()
    results = []
    while not done.is_set():
        results.append(check(db))
    writer.join()
    assert all(r.ok for r in results), [r for r in results if not r.ok][:3]
    assert check(db) == Verification(True, 30)


# --- property: any single change is found at exactly its seq ------------------------------

# PostgreSQL text columns cannot hold NUL; everything else in Unicode goes.
CHARS = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
TEXT = st.text(CHARS, max_size=20)
VIET = st.sampled_from(["Sở Y tế", "Phường Bến Thành", "xã Đắk Nông", "Ủy ban", "ấp Mỹ Hòa"])
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
    | VIET,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
SNAPSHOT = st.none() | st.dictionaries(TEXT | VIET, JSON_VALUES, max_size=4)
ENTRY = st.tuples(
    st.text(CHARS, min_size=1, max_size=64) | VIET,
    st.from_regex(r"[a-z_]{1,20}(\.[a-z_]{1,20}){0,2}", fullmatch=True),
    SNAPSHOT,
    SNAPSHOT,
)


def _changed(entry: AuditEntry, field: str) -> Any:
    """A value for ``field`` that differs from the entry's."""
    current = getattr(entry, field)
    if field == "seq":
        return 10_000 + current
    if field == "at":
        return current + timedelta(microseconds=1)
    if field in ("before", "after"):
        return {"giả_mạo": True} if current is None else {**current, "giả_mạo": True}
    if field in ("prev_hash", "hash"):
        return ("0" if current[0] != "0" else "1") + current[1:]
    if field == "id":
        return new_id()
    return current + "x"


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(entries=st.lists(ENTRY, min_size=1, max_size=6), data=st.data())
def test_property_any_single_change_fails_verify_at_its_seq(
    db: Engine, entries: list[tuple[str, str, Any, Any]], data: st.DataObject
) -> None:
    wipe_audit(db)
    with transaction(db) as session:
        for actor, action, before, after in entries:
            record(session, Actor(actor), action, before=before, after=after)
    assert check(db) == Verification(True, len(entries))

    seq = data.draw(st.integers(1, len(entries)), label="seq")
    field = data.draw(st.sampled_from(AUDIT_FIELDS), label="field")
    entry = next(e for e in stored(db) if e.seq == seq)
    with unguarded(db, keep=False) as conn:  # rolled back: the next example starts clean
        set_field(conn, seq, **{field: _changed(entry, field)})
        with Session(bind=conn) as session:
            result = verify(session)
    assert not result.ok
    assert result.first_bad_seq == seq
