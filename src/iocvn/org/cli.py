"""Command line of the organisation domain: ``iocvn org …``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from iocvn.core.clitools import cli_actor, fail
from iocvn.core.errors import IocError
from iocvn.db import transaction
from iocvn.org import boundaries, service
from iocvn.org.official import list_provinces

app = typer.Typer(
    help="Đơn vị hành chính, cơ quan. / Org units and agencies.", no_args_is_help=True
)


@app.command("import-boundaries")
def import_boundaries_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Load a province's boundary GeoJSON: match by official code, then by name; print what did
    not match."""
    try:
        with transaction() as session:
            report = boundaries.import_boundaries(
                session, file.read_bytes(), cli_actor(), source=f"import {file.name}"
            )
    except IocError as exc:
        fail(exc)
    typer.echo(
        f"{report.features} đối tượng / features: {report.matched_by_code} khớp mã / by code, "
        f"{report.matched_by_name} khớp tên / by name, {report.updated} cập nhật / updated, "
        f"{report.unchanged} không đổi / unchanged"
    )
    for item in report.unmatched:
        where = f"dòng / line {item.line}" if item.line else f"#{item.index}"
        props = json.dumps(item.properties, ensure_ascii=False)[:160]
        typer.echo(f"  KHÔNG KHỚP / UNMATCHED {where}: {item.reason} {props}")
    if report.units_without_boundary:
        names = ", ".join(f"{u.name} ({u.code})" for u in report.units_without_boundary)
        typer.echo(f"  Đơn vị chưa có ranh giới / units without boundary: {names}")


@app.command("provinces")
def provinces_cmd() -> None:
    """List the 34 provinces with their official codes."""
    for p in list_provinces():
        typer.echo(f"{p.code}  {p.name:<32} {p.commune_count:>4} xã/phường")


@app.command("list")
def list_cmd(
    level: Annotated[str | None, typer.Option(help="province, commune or agency")] = None,
    q: Annotated[str | None, typer.Option(help="Name or code, accents optional")] = None,
) -> None:
    """List the installed org units."""
    try:
        with transaction() as session:
            for u in service.list_org_units(session, level=level, q=q, limit=5000):
                typer.echo(f"{u.code:<10} {u.level:<9} {u.name}")
    except IocError as exc:
        fail(exc)


@app.command("old-name")
def old_name_cmd(
    name: str, province: Annotated[str | None, typer.Option(help="Province code")] = None
) -> None:
    """Which current commune a pre-2025 unit became (part of)."""
    with transaction() as session:
        rows = service.old_to_new(session, name, province)
    if not rows:
        typer.echo("Không tìm thấy / not found")
        raise typer.Exit(1)
    for r in rows:
        typer.echo(f"{r.old}  →  {r.new_name} ({r.new_code})")
