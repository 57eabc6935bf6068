"""Command line of sensors: ``iocvn sensors import | list | key | maintain | mqtt``.

Every command acts in one transaction as the CLI user (audited as ``cli:<os user>``) and
prints in Vietnamese and English; a refused input exits 1 with the reason (an import: every
wrong line with its number, and nothing stored).
"""

from __future__ import annotations

import csv
import os
import stat
import time
from pathlib import Path
from typing import Annotated

import typer

from iocvn.config import Settings, get_settings
from iocvn.core.clitools import cli_actor, fail
from iocvn.core.errors import IocError
from iocvn.core.logs import configure as configure_logs
from iocvn.core.timeutil import format_datetime, utcnow
from iocvn.db import engine_for, session_factory, transaction
from iocvn.sensors import maintenance, mqtt, provisioning, registry

app = typer.Typer(
    help="Thiết bị cảm biến, camera và số đo. / Sensors, cameras and their readings.",
    no_args_is_help=True,
)


def _write_keys(path: Path, created: list[tuple[str, str]]) -> None:
    """The new keys as CSV ``code,api_key``, readable by the owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["code", "api_key"])
        out.writerows(created)


@app.command("import")
def import_devices(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    keys: Annotated[
        Path | None,
        typer.Option("--keys", help="Write the new devices' API keys to this CSV (mode 600)"),
    ] = None,
) -> None:
    """Register or update the devices of a CSV file (all lines or none); new devices' API keys
    are printed (or written with --keys) this once."""
    try:
        with transaction() as session:
            report = provisioning.import_csv(
                session, cli_actor(), file.read_text(encoding="utf-8-sig")
            )
    except IocError as exc:
        fail(exc)
    typer.echo(
        f"✓ Thiết bị mới / new devices: {len(report.created)}; "
        f"cập nhật / updated: {len(report.updated)}"
    )
    if keys is not None:
        _write_keys(keys, report.created)
        typer.echo(f"Khóa API / API keys → {keys}")
        return
    for code, key in report.created:
        typer.echo(f"{code}\t{key}")


@app.command("list")
def list_devices(
    kind: Annotated[str | None, typer.Option(help="Only this kind")] = None,
    status: Annotated[str | None, typer.Option(help="active, maintenance or retired")] = None,
) -> None:
    """The registered devices with when each last sent a reading."""
    with transaction() as session:
        filters = registry.DeviceFilter(kind=kind, status=status)
        rows, total = registry.list_devices(session, None, filters, limit=100_000, offset=0)
        for d in rows:
            seen = format_datetime(d.last_seen_at) or "—"
            typer.echo(f"{d.code}\t{d.kind}\t{d.status}\t{d.org_code}\t{seen}\t{d.name}")
    typer.echo(f"{total} thiết bị / devices")


@app.command("key")
def new_key(code: Annotated[str, typer.Argument(help="The device code")]) -> None:
    """Issue a new API key for a device (the old one stops working) and print it once."""
    try:
        with transaction() as session:
            device = registry.get_device(session, code, None)
            key = registry.rotate_key(session, cli_actor(), device, None)
    except IocError as exc:
        fail(exc)
    typer.echo(f"{code}\t{key}")


@app.command("maintain")
def maintain() -> None:
    """Create the coming months' partitions (PostgreSQL) and delete readings and rollups past
    their retention (what `iocvn serve` does every hour)."""
    with transaction() as session:
        report = maintenance.run(session, utcnow())
    typer.echo(
        f"✓ Phân vùng mới / partitions created {report.partitions_created}, "
        f"xoá / dropped {report.partitions_dropped}; số đo đã xoá / readings deleted "
        f"{report.readings_deleted}; tổng hợp đã xoá / rollups deleted {report.rollups_deleted}"
    )


@app.command("mqtt")
def mqtt_cmd(
    url: Annotated[str | None, typer.Option(help="Broker (default: IOCVN_MQTT_URL)")] = None,
) -> None:
    """Subscribe to the readings topics and store them until stopped (Ctrl-C); what `iocvn
    serve` does by itself when IOCVN_MQTT_URL is set."""
    settings = get_settings()
    broker = url or settings.mqtt_url
    if not broker:
        typer.echo("Lỗi / Error: chưa đặt IOCVN_MQTT_URL / IOCVN_MQTT_URL is not set", err=True)
        raise typer.Exit(1)
    configure_logs(settings.log_level)
    consumer = start_consumer(settings, broker)
    typer.echo(f"✓ Đang nhận số đo từ / receiving readings from {broker} (Ctrl-C: dừng / stop)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        consumer.stop()


def start_consumer(settings: Settings, url: str | None = None) -> mqtt.Consumer:
    """Start the MQTT consumer configured by ``settings`` (the server and `sensors mqtt`)."""
    return mqtt.Consumer(
        session_factory(engine_for(settings.database_url)),
        url or settings.mqtt_url,
        settings.mqtt_client_id,
        prefix=settings.mqtt_topic_prefix,
        group=settings.mqtt_group,
    ).start()
