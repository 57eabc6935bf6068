"""Command line of citizen feedback: ``iocvn feedback seed | train | run-jobs |
erase-personal-data | calendar``.

Every command acts in one transaction as the CLI user (audited as ``cli:<os user>``) and
prints a line in Vietnamese and English; a refused input exits 1 with the reason.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from iocvn.config import get_settings
from iocvn.core.clitools import cli_actor, fail
from iocvn.core.errors import Invalid, IocError
from iocvn.core.i18n import register
from iocvn.core.timeutil import parse_day, to_local, utcnow
from iocvn.db import transaction
from iocvn.feedback import catalogue, clock, jobs, routing, stats, suggest
from iocvn.org.geo import installed_province

app = typer.Typer(
    help="Phản ánh, kiến nghị: danh mục, mô hình phân loại, tác vụ định kỳ, lịch làm việc. / "
    "Citizen feedback: catalogue, classifier, periodic jobs, working calendar.",
    no_args_is_help=True,
)
calendar_app = typer.Typer(help="Lịch làm việc (ngày nghỉ, làm bù). / Working calendar.")
app.add_typer(calendar_app, name="calendar")

register({})


def seed_defaults() -> tuple[int, int]:
    """The default categories and sector routing rules (missing ones only)."""
    with transaction() as session:
        province = installed_province(session)
        added = catalogue.seed_categories(session, cli_actor())
        rules = routing.seed_rules(session, cli_actor(), province)
    return added, rules


@app.command("seed")
def seed() -> None:
    """Add the default category tree and sector routing rules (the province's edits kept)."""
    try:
        added, rules = seed_defaults()
    except IocError as exc:
        fail(exc)
    typer.echo(f"✓ Lĩnh vực / categories: {added} mới / new; phân công / routing rules: {rules}")


@app.command("train")
def train() -> None:
    """Train the category classifier on every case a person labelled; report its accuracy."""
    try:
        with transaction() as session:
            row = suggest.retrain_from_history(session, cli_actor())
            report = dict(row.report)
    except IocError as exc:
        fail(exc)
    typer.echo(
        f"✓ Mô hình / model: {report['n_cases']} phản ánh / cases; độ chính xác trên tập giữ lại "
        f"/ held-out accuracy {report['accuracy']:.1%} ({report['n_test']} mẫu / examples)"
    )


@app.command("run-jobs")
def run_jobs() -> None:
    """Escalate overdue cases, close unanswered resolved ones, erase expired personal data."""
    with transaction() as session:
        done = jobs.run_all(session, utcnow(), get_settings().feedback_retention_days)
    typer.echo(
        f"✓ Nâng cấp / escalated {done.escalated}; đóng / closed {done.closed}; "
        f"xoá dữ liệu cá nhân / personal data erased {done.erased}"
    )


@app.command("erase-personal-data")
def erase_personal_data(
    days: Annotated[int | None, typer.Option(help="Retention in days (default: setting)")] = None,
) -> None:
    """Erase reporters' details of cases closed longer ago than the retention period."""
    retention = get_settings().feedback_retention_days if days is None else days
    if retention < 0:
        fail(Invalid("calendar_file", line=0, reason="days < 0"))
    with transaction() as session:
        erased = jobs.erase_personal_data(session, utcnow(), retention)
    typer.echo(f"✓ Đã xoá / erased: {erased}")


@calendar_app.command("show")
def calendar_show(year: Annotated[int, typer.Argument(min=2000, max=2100)]) -> None:
    """The year's days off and worked weekend days: the defaults with the province's edits."""
    with transaction() as session:
        days = clock.year_days(session, year)
    for d in days:
        source = "tỉnh / province" if d.edited else "mặc định / default"
        typer.echo(f"{d.day:%d/%m/%Y}\t{d.kind}\t{d.name}\t{source}")


@calendar_app.command("set")
def calendar_set(
    year: Annotated[int, typer.Argument(min=2000, max=2100)],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Replace the province's edits of ``year`` with a CSV ``date,kind,name`` (kind: holiday
    or workday; dates dd/mm/yyyy or yyyy-mm-dd)."""
    days: dict[date, tuple[str, str]] = {}
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            for line, row in enumerate(csv.reader(handle), start=1):
                if not row or (line == 1 and row[0].strip().lower() in ("date", "ngay", "ngày")):
                    continue
                days[_day(row, line, year)] = (_kind(row, line), (row[2] if len(row) > 2 else ""))
        with transaction() as session:
            count = clock.set_days(session, cli_actor(), days, year=year)
    except IocError as exc:
        fail(exc)
    typer.echo(f"✓ {count} ngày / days ({year})")


def _day(row: list[str], line: int, year: int) -> date:
    text = row[0].strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            day = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if day.year != year:
            raise Invalid("calendar_file", line=line, reason=f"{text} ∉ {year}")
        return day
    raise Invalid("calendar_file", line=line, reason=f"ngày không hợp lệ / bad date {text[:20]}")


def _kind(row: list[str], line: int) -> str:
    kind = row[1].strip().lower() if len(row) > 1 else ""
    if kind not in clock.DAY_KINDS:
        raise Invalid("calendar_file", line=line, reason=f"kind {kind[:20]!r} ∉ holiday, workday")
    return kind


# --- statistics → indicators (issue #4, feedback statistics) ---------------------------


@app.command("publish-stats")
def publish_stats(
    day: Annotated[
        str | None, typer.Option(help="Local day, YYYY-MM-DD or dd/mm/yyyy (default: yesterday)")
    ] = None,
) -> None:
    """Publish a day's counts (received, resolved, on time) to the indicators PAKN.RECEIVED,
    PAKN.RESOLVED and PAKN.ONTIME; running a day again replaces its values."""
    try:
        chosen = parse_day(day) if day else to_local(utcnow()).date() - timedelta(days=1)
    except ValueError:
        fail(Invalid("invalid_stats_range", details={"day": (day or "")[:20]},
                     days=stats.MAX_DAYS))  # fmt: skip
    try:
        with transaction() as session:
            done = stats.publish_daily(session, chosen)
            if not done.delivered:  # no listener, or it refused the counts (see the log)
                raise Invalid("stats_not_delivered", details={"day": chosen.isoformat()},
                              day=f"{chosen:%d/%m/%Y}")  # fmt: skip
    except IocError as exc:
        fail(exc)
    typer.echo(
        f"✓ {done.day:%d/%m/%Y}: {done.rows - 1} xã, phường + toàn tỉnh / communes + province "
        f"→ PAKN.RECEIVED, PAKN.RESOLVED, PAKN.ONTIME"
    )
