"""Command line of data supply: ``iocvn indicators import FILE``.

By default the command acts as the CLI user with the province's scope (a data steward of the
province, audited as ``cli:<os user>``); ``--as USERNAME`` applies that account's role and
scope instead, so a file meant for one commune is checked as that commune would be.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.auth import service as users
from iocvn.auth.deps import Principal
from iocvn.auth.models import User
from iocvn.auth.scope import OrgScope
from iocvn.core.clitools import cli_actor, fail
from iocvn.core.errors import Forbidden, Invalid, IocError
from iocvn.core.i18n import register
from iocvn.db import transaction
from iocvn.indicators import importer
from iocvn.indicators.schemas_values import ImportReport
from iocvn.org.models import OrgUnit

app = typer.Typer(
    help="Chỉ số: nhập số liệu từ tệp. / Indicators: import data values.", no_args_is_help=True
)

register(
    {
        "error.no_province": (
            "Chưa cài đặt tỉnh nào; chạy iocvn init trước.",
            "No province is installed; run iocvn init first.",
        ),
    }
)


@app.callback()
def _group() -> None:
    """Indicators: data import (more commands join here)."""


def principal_for(session: Session, username: str | None) -> Principal:
    """The account ``username`` (active, allowed to enter data), or the province's CLI user."""
    if username:
        user = users.get_user(session, username)
        if user.status != "active":
            raise Forbidden("user_not_active")
        if not (unit := session.get(OrgUnit, user.org_code)):
            raise Forbidden("org_unit_missing")
        principal = Principal(user=user, scope=OrgScope.of(unit), via="token")
        if not principal.can("data.enter"):
            raise Forbidden(details={"permission": "data.enter"})
        return principal
    stmt = select(OrgUnit).where(OrgUnit.level == "province").order_by(OrgUnit.code).limit(1)
    province = session.execute(stmt).scalar_one_or_none()
    if province is None:
        raise Invalid("no_province")
    # Never added to the session: a stand-in account carrying the CLI user's name.
    user = User(username=cli_actor().name, role="data_steward", org_code=province.code)
    return Principal(user=user, scope=OrgScope.of(province), via="token")


def _print(report: ImportReport, saved: bool) -> None:
    typer.echo(
        f"{report.rows} dòng / rows: {report.created} tạo mới / created, "
        f"{report.updated} cập nhật / updated, {report.unchanged} không đổi / unchanged, "
        f"{report.failed} lỗi / errors"
    )
    for e in report.errors:
        typer.echo(
            f"  dòng / line {e.line} [{e.field}] {e.error}: {e.text('vi')} / {e.text('en')}",
            err=True,
        )
    if report.failed > len(report.errors):
        typer.echo(f"  … {report.failed - len(report.errors)} lỗi khác / more errors", err=True)
    if not saved:
        typer.echo("Không lưu dòng nào / nothing was saved.", err=True)


@app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    partial: Annotated[
        bool, typer.Option("--partial", help="Save the valid lines, report the others")
    ] = False,
    as_user: Annotated[
        str | None, typer.Option("--as", help="Act as this account (its role and scope)")
    ] = None,
    status: Annotated[
        str, typer.Option(help="Status of the values: draft, submitted or approved")
    ] = "submitted",
) -> None:
    """Import data values from CSV or XLSX (indicator,org_unit,period,value[,comment])."""
    try:
        with transaction() as session:
            principal = principal_for(session, as_user)
            checked = importer.check_file(
                session, principal, file.read_bytes(), file.name, status=status
            )
            if checked.report.failed and not partial:
                _print(checked.report, saved=False)
                raise typer.Exit(1)
            report = importer.write(session, principal, checked)
    except IocError as exc:
        fail(exc)
    _print(report, saved=True)
