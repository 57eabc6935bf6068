"""``iocvn notify …``: deliver due notifications, list them, retry one, send a test message."""

from __future__ import annotations

from typing import Annotated

import typer

from iocvn.config import get_settings
from iocvn.core.clitools import cli_actor, fail
from iocvn.core.errors import IocError
from iocvn.core.timeutil import format_datetime
from iocvn.db import session_factory, transaction
from iocvn.notify import delivery, plugins, service
from iocvn.notify.models import STATUSES
from iocvn.notify.worker import DeliveryLoop

app = typer.Typer(
    help="Thông báo / Notifications: deliver, list, retry, test a channel.",
    no_args_is_help=True,
)
DEFAULT_INTERVAL = 15


def _report(report: delivery.DeliveryReport) -> str:
    return f"đã gửi / sent {report.sent}, lỗi / failed {report.failed}, dừng / dead {report.dead}"


@app.command("deliver")
def deliver(
    once: Annotated[bool, typer.Option("--once", help="One round, then exit")] = False,
    interval: Annotated[
        int | None,
        typer.Option(help="Seconds between rounds (default IOCVN_NOTIFY_INTERVAL_SECONDS)"),
    ] = None,
) -> None:
    """Send due notifications: one round with --once, otherwise every few seconds until Ctrl-C."""
    sessions = session_factory()
    if once:
        report = delivery.deliver_due(sessions)
        typer.echo(_report(report))
        if report.failed or report.dead:
            raise typer.Exit(1)
        return
    every = interval or get_settings().notify_interval_seconds or DEFAULT_INTERVAL
    typer.echo(f"Gửi thông báo mỗi {every} giây / delivering every {every} s (Ctrl-C stops)")
    loop = DeliveryLoop(sessions, every)
    try:
        loop.run()
    except KeyboardInterrupt:
        loop.stop()


@app.command("list")
def list_(
    status: Annotated[
        str | None, typer.Option(help=f"One of: {', '.join(STATUSES)} (default: all)")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many")] = 50,
) -> None:
    """List notifications, newest first: id, status, attempts, channel, masked destination."""
    if status is not None and status not in STATUSES:
        raise typer.BadParameter(f"status: {', '.join(STATUSES)}")
    with transaction() as session:
        rows = service.list_notifications(
            session, statuses=(status,) if status else STATUSES, limit=limit
        )
        for n in rows:
            typer.echo(
                f"{n.id}  {n.status:<8} {n.attempts}/{n.max_attempts}  {n.channel:<6} "
                f"{n.destination_masked:<24} {format_datetime(n.created_at)}  {n.purpose}"
            )
            if n.last_error and n.status != "sent":
                typer.echo(f"    {n.last_error}")


@app.command("retry")
def retry(notification_id: str) -> None:
    """Queue a failed, dead or pending notification to be sent again now (audited)."""
    try:
        with transaction() as session:
            service.retry(session, cli_actor(), notification_id)
    except IocError as exc:
        fail(exc)
    typer.echo(f"retry: {notification_id} ✓")


@app.command("test")
def send_test(
    destination: str,
    channel: Annotated[str, typer.Option(help="Channel to test")] = "email",
) -> None:
    """Send a test message to DESTINATION now and say whether the channel took it."""
    settings = get_settings()
    if channel not in plugins.notifiers(settings):
        typer.echo(
            f"Chưa cấu hình kênh / no notifier for channel {channel} (e.g. IOCVN_SMTP_HOST)",
            err=True,
        )
        raise typer.Exit(1)
    try:
        with transaction() as session:
            row = service.enqueue(
                session,
                channel,
                destination,
                "[IOC] Thư thử nghiệm / Test message",
                "Kênh thông báo của iocvn hoạt động. / iocvn's notification channel works.",
                "notify.test",
                cli_actor().name,
                max_attempts=1,
            )
            notification_id = row.id
    except IocError as exc:
        fail(exc)
    delivery.deliver_due(session_factory())
    with transaction() as session:
        row = service.get_notification(session, notification_id)
        typer.echo(f"{row.id} {row.destination_masked}: {row.status}")
        if row.status != "sent":
            typer.echo(f"Lỗi / Error: {row.last_error}", err=True)
            raise typer.Exit(1)
