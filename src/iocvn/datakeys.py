"""``iocvn data-keys new | status | rekey``: rotating the keys that encrypt data at rest.

Rotation, as docs/operations.md tells it: put a new key (``iocvn data-keys new``) first in
``IOCVN_DATA_KEYS``, keeping the old one after it, and restart; run ``iocvn data-keys
rekey`` (the server may keep running); when ``iocvn data-keys status`` shows nothing under
an older key, drop the old key. Backups taken before still need the old key: keep it with
them.
"""

from __future__ import annotations

from typing import Annotated

import typer

from iocvn.alerts import contacts
from iocvn.audit import service as audit
from iocvn.auth import credentials
from iocvn.config import get_settings
from iocvn.core import pii, rekey
from iocvn.core.clitools import cli_actor
from iocvn.core.crypto import new_data_key
from iocvn.db import session_factory, transaction
from iocvn.feedback import intake
from iocvn.notify import service as notify

#: Every column encrypted under IOCVN_DATA_KEYS, by the domain that writes it.
ENCRYPTED: tuple[rekey.Encrypted, ...] = (
    *intake.ENCRYPTED,
    *notify.ENCRYPTED,
    *contacts.ENCRYPTED,
    *credentials.ENCRYPTED,
)

app = typer.Typer(
    help="Khóa mã hóa dữ liệu (IOCVN_DATA_KEYS): tạo, kiểm tra, mã hóa lại. / "
    "Data-encryption keys: new, status, re-encrypt.",
    no_args_is_help=True,
)


def _keys_line(keys: str) -> str:
    ids = pii.key_ids(keys)
    older = ", ".join(ids[1:]) or "—"
    return f"Khóa hiện tại / current key: {ids[0]}; khóa cũ / older keys: {older}"


def _table(tallies: dict[str, rekey.Tally], older_label: str) -> None:
    width = max(len(name) for name in tallies)
    typer.echo(
        f"{'Cột / column':<{width}}  {'khóa hiện tại / current':>24}  {older_label:>24}"
        f"  {'không mở được / unreadable':>26}"
    )
    for name, tally in tallies.items():
        typer.echo(
            f"{name:<{width}}  {tally.current:>24}  {tally.older:>24}  {tally.unreadable:>26}"
        )


def _unreadable(tallies: dict[str, rekey.Tally]) -> bool:
    bad = {name: t.failures[:10] for name, t in tallies.items() if t.unreadable}
    for name, ids in bad.items():
        typer.echo(
            f"Lỗi / Error: {name}: {tallies[name].unreadable} giá trị không khóa nào mở được "
            f"(khóa đã mã hóa chúng không còn trong IOCVN_DATA_KEYS) / values no configured "
            f"key opens (the key that encrypted them is no longer listed); ids: {', '.join(ids)}",
            err=True,
        )
    return bool(bad)


@app.command("new")
def new() -> None:
    """Print a fresh key, to put first in IOCVN_DATA_KEYS (the old ones after it)."""
    typer.echo(new_data_key())


@app.command("status")
def status() -> None:
    """Count each encrypted column's values by key: what a re-key still has to do."""
    keys = get_settings().data_keys
    typer.echo(_keys_line(keys))
    with session_factory()() as session:
        tallies = {enc.name: rekey.survey(session, enc, keys) for enc in ENCRYPTED}
    _table(tallies, "khóa cũ / older key")
    if _unreadable(tallies):
        raise typer.Exit(1)
    left = sum(t.older for t in tallies.values())
    if left:
        typer.echo(f"→ {left} giá trị cần mã hóa lại / values to re-encrypt: iocvn data-keys rekey")
    else:
        typer.echo("✓ Mọi giá trị dùng khóa hiện tại / every value is under the current key")


@app.command("rekey")
def rekey_cmd(
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="Rows per transaction.")] = 500,
) -> None:
    """Re-encrypt every value under an older key with the current (first) key (audited
    ``data_keys.rekey``); safe to run while serving, and to run again."""
    keys = get_settings().data_keys
    typer.echo(_keys_line(keys))
    tallies = {enc.name: rekey.rekey(transaction, enc, keys, batch) for enc in ENCRYPTED}
    with transaction() as session:
        audit.record(
            session, cli_actor(), "data_keys.rekey", target_type="data_keys",
            target_id=pii.key_ids(keys)[0],
            after={name: {"rekeyed": t.older, "unreadable": t.unreadable, "changed": t.changed}
                   for name, t in tallies.items()},
        )  # fmt: skip
    _table(tallies, "đã mã hóa lại / re-encrypted")
    if _unreadable(tallies):
        raise typer.Exit(1)
    done = sum(t.older for t in tallies.values())
    typer.echo(f"✓ Đã mã hóa lại / re-encrypted: {done}")
