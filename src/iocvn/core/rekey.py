"""Re-encrypting data at rest under the current data key, so an old key can be retired.

``IOCVN_DATA_KEYS`` lists keys, the first encrypts and every key decrypts: a new key put
first protects what is written from then on, and what was written before stays readable
while the old key is listed. To retire the old key, every value it encrypted is opened and
encrypted again under the first key (:func:`rekey`), blind indexes beside it recomputed,
then :func:`survey` shows nothing left under an older key.

Each domain declares its encrypted columns as :class:`Encrypted` (the domains know what
they store; this module knows how to re-key any of them). A row is rewritten with one
``UPDATE … WHERE id = ? AND column = <old ciphertext>``: a value the application changed
meanwhile (written under the current key anyway) is left alone, and a run interrupted
half-way is simply run again. Values no configured key opens are counted, never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from sqlalchemy import RowMapping, Table, select, update
from sqlalchemy.orm import Session

from iocvn.core import crypto, pii

State = Literal["current", "older", "unreadable"]
IndexOf = Callable[[str, Mapping[Any, Any], str], str]


@dataclass(frozen=True)
class Encrypted:
    """A column of ``model`` (a mapped class) holding ciphertext under ``IOCVN_DATA_KEYS``.

    ``scheme`` is ``fernet`` (:mod:`.crypto`) or ``sealed`` (:mod:`.pii`, with ``field`` as
    its associated data). ``index`` names a column holding a blind index of the plaintext,
    recomputed by ``index_of(plaintext, row, keys)``; ``reads`` are the other columns of
    the row it needs."""

    model: type[Any]
    column: str
    scheme: Literal["fernet", "sealed"]
    field: str = ""
    index: str | None = None
    index_of: IndexOf | None = None
    reads: tuple[str, ...] = ()

    @property
    def table(self) -> Table:
        return cast(Table, self.model.__table__)

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column}"


@dataclass
class Tally:
    """What a survey or a re-key found in one column."""

    current: int = 0  # already under the first key
    older: int = 0  # under another configured key (re-encrypted by a re-key)
    unreadable: int = 0  # no configured key opens it
    changed: int = 0  # rewritten by the application during the re-key (left alone)
    failures: list[str] = field(default_factory=list)  # row ids of the unreadable


def state(enc: Encrypted, token: str, keys: str) -> State:
    """Which key ``token`` is under: the first, another configured one, or none."""
    if enc.scheme == "sealed":
        current = pii.sealed_with_current_key(token, keys)
    else:
        current = crypto.encrypted_with_current_key(token, keys)
    if current:
        return "current"
    try:
        _open(enc, token, keys)
    except crypto.KeyMissing:
        return "unreadable"
    return "older"


def _open(enc: Encrypted, token: str, keys: str) -> str:
    if enc.scheme == "sealed":
        return pii.open_sealed(token, keys, enc.field)
    return crypto.decrypt(token, keys)


def _close(enc: Encrypted, plaintext: str, keys: str) -> str:
    if enc.scheme == "sealed":
        return pii.seal(plaintext, keys, enc.field)
    return crypto.encrypt(plaintext, keys)


def _rows(session: Session, enc: Encrypted, after: Any, limit: int) -> list[RowMapping]:
    (pk,) = enc.table.primary_key.columns
    column = enc.table.c[enc.column]
    wanted = [pk, column, *(enc.table.c[name] for name in enc.reads)]
    query = select(*wanted).where(column.is_not(None)).order_by(pk).limit(limit)
    if after is not None:
        query = query.where(pk > after)
    return [row._mapping for row in session.execute(query)]


def _batches(session: Session, enc: Encrypted, batch: int) -> Iterator[list[RowMapping]]:
    (pk,) = enc.table.primary_key.columns
    after = None
    while rows := _rows(session, enc, after, batch):
        yield rows
        after = rows[-1][pk.name]


def survey(session: Session, enc: Encrypted, keys: str, batch: int = 1000) -> Tally:
    """Count the column's values by the key they are under (reads only)."""
    tally = Tally()
    (pk,) = enc.table.primary_key.columns
    for rows in _batches(session, enc, batch):
        for row in rows:
            found = state(enc, row[enc.column], keys)
            setattr(tally, found, getattr(tally, found) + 1)
            if found == "unreadable":
                tally.failures.append(str(row[pk.name]))
    return tally


def rekey(
    unit_of_work: Callable[[], AbstractContextManager[Session]],
    enc: Encrypted,
    keys: str,
    batch: int = 500,
) -> Tally:
    """Re-encrypt every value of the column not under the first key, one transaction per
    ``batch`` rows (opened by ``unit_of_work``, committing on success)."""
    tally = Tally()
    table = enc.table
    (pk,) = table.primary_key.columns
    column = table.c[enc.column]
    # A re-key is not an edit: columns that stamp themselves on update keep their value.
    keep = {c.name: c for c in table.columns if c.onupdate is not None}
    after = None
    while True:
        with unit_of_work() as session:
            rows = _rows(session, enc, after, batch)
            for row in rows:
                token = row[enc.column]
                found = state(enc, token, keys)
                if found != "older":
                    setattr(tally, found, getattr(tally, found) + 1)
                    if found == "unreadable":
                        tally.failures.append(str(row[pk.name]))
                    continue
                plaintext = _open(enc, token, keys)
                values: dict[str, Any] = {enc.column: _close(enc, plaintext, keys), **keep}
                if enc.index and enc.index_of:
                    values[enc.index] = enc.index_of(plaintext, row, keys)
                done = session.execute(
                    update(table).where(pk == row[pk.name], column == token).values(values)
                )
                if done.rowcount:  # type: ignore[attr-defined]
                    tally.older += 1
                else:
                    tally.changed += 1
        if len(rows) < batch:
            return tally
        after = rows[-1][pk.name]
