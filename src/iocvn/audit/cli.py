"""``iocvn audit …``: check the hash chain of the configured database and list entries.

Read-only: these commands never write to the log they inspect. Output is bilingual
(Vietnamese / English) because it lands in operators' terminals and in cron mail.
Exit codes of ``verify``: 0 intact, 1 broken, 2 the log could not be read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from iocvn.audit import service  # importing the package registers audit/messages.py
from iocvn.audit.models import AuditEntry
from iocvn.core import timeutil
from iocvn.core.i18n import t
from iocvn.core.timeutil import local_midnight, to_local
from iocvn.db import transaction

app = typer.Typer(
    help="Nhật ký kiểm toán / Audit log: verify the hash chain, list entries.",
    no_args_is_help=True,
)

EXIT_BROKEN = 1
EXIT_UNREADABLE = 2


def both(key: str, **params: object) -> str:
    """``vi / en`` text of one message."""
    return f"{t(key, 'vi', **params)} / {t(key, 'en', **params)}"


def local_time(value: datetime) -> str:
    """A timestamp as Vietnam's time, to the second (audit needs more than minutes)."""
    return to_local(value).strftime("%d/%m/%Y %H:%M:%S")


def parse_day(value: str | None) -> datetime | None:
    """``dd/mm/yyyy`` or ISO ``yyyy-mm-dd`` → the start of that day in Vietnam."""
    if value is None:
        return None
    try:
        return local_midnight(timeutil.parse_day(value))
    except ValueError:
        raise typer.BadParameter(both("audit.bad_date", value=value)) from None


def _fail(error: SQLAlchemyError) -> typer.Exit:
    cause = getattr(error, "orig", None) or error
    first_line = str(cause).strip().splitlines()[0] if str(cause).strip() else repr(cause)
    typer.echo(both("audit.db_error", error=first_line), err=True)
    return typer.Exit(EXIT_UNREADABLE)


@app.command()
def verify() -> None:
    """Recompute every hash; exit 0 when the log is intact, 1 at the first broken entry."""
    try:
        with transaction() as session:
            result = service.verify(session)
            bad = (
                session.get(AuditEntry, result.first_bad_seq)
                if result.first_bad_seq is not None
                else None
            )
    except SQLAlchemyError as exc:
        raise _fail(exc) from exc
    if result.ok:
        typer.echo(both("audit.intact", count=result.checked))
        return
    typer.echo(both("audit.broken", seq=result.first_bad_seq, checked=result.checked))
    lines = [("seq", str(result.first_bad_seq))]
    if bad is None:
        lines.append(("", both("audit.entry_gone", seq=result.first_bad_seq)))
    else:
        lines += [
            ("id", bad.id),
            ("at", local_time(bad.at)),
            ("actor", bad.actor),
            ("action", bad.action),
        ]
    lines.append(("reason", f"{result.reason}: {both(f'audit.reason.{result.reason}')}"))
    for label, value in lines:
        typer.echo(f"  {label + ':' if label else '':<8} {value}")
    raise typer.Exit(EXIT_BROKEN)


def _cell(value: str, width: int) -> str:
    return value if len(value) <= width else value[: width - 1] + "…"


def table(headers: list[str], rows: list[list[str]], max_width: int = 40) -> str:
    """Rows as an aligned plain-text table (no colours: output goes to files and mail)."""
    cells = [[_cell(c, max_width) for c in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    out = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


@app.command("list")
def list_entries(
    actor: Annotated[str | None, typer.Option(help="Người thực hiện / actor (exact).")] = None,
    action: Annotated[
        str | None, typer.Option(help="Hành động / action prefix, e.g. 'user.'.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Từ ngày / from day (Vietnam time): dd/mm/yyyy or yyyy-mm-dd."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Số dòng / rows.")] = 50,
) -> None:
    """Newest entries first, filtered by actor, action prefix and day."""
    since_at = parse_day(since)
    try:
        with transaction() as session:
            entries = service.search(
                session, actor=actor, action=action, since=since_at, limit=limit
            )
    except SQLAlchemyError as exc:
        raise _fail(exc) from exc
    if not entries:
        typer.echo(both("audit.no_entries"))
        return
    rows = [
        [
            str(e.seq),
            local_time(e.at),
            e.actor,
            e.actor_org,
            e.action,
            f"{e.target_type}:{e.target_id}" if e.target_type or e.target_id else "",
        ]
        for e in entries
    ]
    headers = ["seq", "thời gian / at", "actor", "org", "action", "target"]
    typer.echo(table(headers, rows))
