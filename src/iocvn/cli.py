"""The ``iocvn`` command: set up, run, and operate an installation.

Domain commands live beside their domain (``auth/cli.py``, ``org/cli.py``, ``audit/cli.py``);
this module composes them and holds the whole-installation commands.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from sqlalchemy import select

from iocvn import __version__, backup, datakeys
from iocvn.alerts import demo as alerts_demo
from iocvn.app import listen, server_app
from iocvn.audit import cli as audit_cli
from iocvn.audit import service as audit
from iocvn.auth import service as users
from iocvn.auth.cli import generate_password, token_app, user_app
from iocvn.auth.models import User
from iocvn.config import Settings, get_settings
from iocvn.core.clitools import cli_actor, fail
from iocvn.core.crypto import new_data_key, new_token
from iocvn.core.errors import IocError
from iocvn.core.logs import configure as configure_logs
from iocvn.core.timeutil import to_local, utcnow
from iocvn.db import engine_for, migrate, session_factory, transaction
from iocvn.feedback import cli as feedback_cli
from iocvn.feedback import demo as feedback_demo
from iocvn.feedback import worker as feedback_worker
from iocvn.indicators import catalogue
from iocvn.indicators import cli as indicators_cli
from iocvn.indicators import demo as indicator_demo
from iocvn.indicators import feeds as indicator_feeds
from iocvn.notify import cli as notify_cli
from iocvn.notify import worker as notify_worker
from iocvn.org import cli as org_cli
from iocvn.org import service as org
from iocvn.org.models import OrgUnit
from iocvn.org.official import fold
from iocvn.sensors import cli as sensors_cli
from iocvn.sensors import demo as sensors_demo
from iocvn.sensors import maintenance as sensors_maintenance
from iocvn.sensors import simulate as sensors_simulate

app = typer.Typer(
    help="iocvn — Trung tâm giám sát, điều hành thông minh (IOC) của tỉnh.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(org_cli.app, name="org")
app.add_typer(audit_cli.app, name="audit")
app.add_typer(indicators_cli.app, name="indicators")
app.add_typer(notify_cli.app, name="notify")
app.add_typer(feedback_cli.app, name="feedback")
app.add_typer(sensors_cli.app, name="sensors")
app.add_typer(sensors_simulate.app, name="simulate")
app.add_typer(datakeys.app, name="data-keys")

DEMO_PROVINCE = "20"  # Lạng Sơn
DEMO_LOGINS = Path(".iocvn-demo-logins")


@app.callback()
def _main() -> None:
    """Set-up, serving and operations of one province's IOC."""
    listen()  # event listeners (core.events), before any command runs


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def ensure_keys(env_file: Path = Path(".env")) -> list[str]:
    """Write a secret key and a data key into ``.env`` when none is configured."""
    settings = get_settings()
    lines: list[str] = []
    if not settings.secret_key:
        lines.append(f"IOCVN_SECRET_KEY={new_token(32)}")
    if not settings.data_keys:
        lines.append(f"IOCVN_DATA_KEYS={new_data_key()}")
    if lines:
        existed = env_file.exists()
        with env_file.open("a", encoding="utf-8") as fh:
            if existed and env_file.read_text(encoding="utf-8")[-1:] not in ("", "\n"):
                fh.write("\n")
            fh.write("\n".join(lines) + "\n")
        env_file.chmod(stat.S_IRUSR | stat.S_IWUSR)
        get_settings.cache_clear()
    return [line.split("=", 1)[0] for line in lines]


def _installed_province() -> str | None:
    with transaction() as session:
        return session.execute(
            select(OrgUnit.code).where(OrgUnit.level == "province")
        ).scalar_one_or_none()


@app.command()
def init(
    province: Annotated[str, typer.Option(help="Official province code, e.g. 20 (Lạng Sơn)")],
) -> None:
    """Create or upgrade the schema and load the province's communes, wards and agencies."""
    written = ensure_keys()
    if written:
        typer.echo(f"Đã tạo khóa mới trong .env / New keys written to .env: {', '.join(written)}")
    migrate()
    existing = _installed_province()
    if existing is not None and existing != province:
        typer.echo(
            f"Lỗi / Error: cơ sở dữ liệu đã dùng cho tỉnh {existing} / "
            f"the database already belongs to province {existing}",
            err=True,
        )
        raise typer.Exit(1)
    try:
        with transaction() as session:
            report = org.seed_province(session, province, cli_actor())
    except IocError as exc:
        fail(exc)
    with transaction() as session:
        seeded = catalogue.seed_catalogue(session, cli_actor())
    typer.echo(
        f"✓ {report.province_name} ({report.province_code}): {report.communes} xã, phường / "
        f"communes, {report.agencies} cơ quan / agencies; mới / created {len(report.created)}, "
        f"cập nhật / updated {len(report.updated)}, ranh giới / boundaries {report.boundaries}"
    )
    typer.echo(
        f"✓ Danh mục chỉ số / indicator catalogue: {len(seeded.created)} mới / new, "
        f"{seeded.unchanged} giữ nguyên / kept"
    )
    categories, rules = feedback_cli.seed_defaults()
    typer.echo(
        f"✓ Lĩnh vực phản ánh / feedback categories: {categories} mới / new; "
        f"phân công / routing rules: {rules} mới / new"
    )


def _demo_user(session_username: str, role: str, org_code: str, name: str) -> tuple[str, str]:
    """Create a demo account, or reset its password; returns (username, password)."""
    password = generate_password()
    with transaction() as session:
        user = session.execute(
            select(User).where(User.username == session_username)
        ).scalar_one_or_none()
        if user is None:
            users.create_user(
                session,
                cli_actor(),
                users.NewUser(session_username, role, org_code, password, name),
            )
        else:
            if user.status != "active":
                users.unlock_user(session, cli_actor(), user)
            users.set_password(session, cli_actor(), user, password)
    return session_username, password


def _demo_logins(commune: str, commune_slug: str) -> list[tuple[str, str, str]]:
    """The demo accounts and their passwords, kept in a private file across re-runs."""
    known: dict[str, str] = {}
    if DEMO_LOGINS.exists():
        for line in DEMO_LOGINS.read_text(encoding="utf-8").splitlines():
            user, _, pw = line.partition(" ")
            known[user] = pw
    wanted = [
        ("admin", "admin", "20", "Quản trị hệ thống (demo)"),
        ("lanhdao", "leader", "20", "Lãnh đạo UBND tỉnh (demo)"),
        ("dieuhanh", "operator", "20", "Điều hành viên IOC (demo)"),
        (f"canbo.{commune_slug}", "commune_officer", commune, "Cán bộ xã, phường (demo)"),
    ]
    logins = []
    with transaction() as session:
        existing = set(session.execute(select(User.username)).scalars())
    for username, role, org_code, name in wanted:
        if username in known and username in existing:
            logins.append((username, role, known[username]))
            continue
        _, pw = _demo_user(username, role, org_code, name)
        logins.append((username, role, pw))
    DEMO_LOGINS.write_text("".join(f"{u} {p}\n" for u, _, p in logins), encoding="utf-8")
    DEMO_LOGINS.chmod(stat.S_IRUSR | stat.S_IWUSR)
    return logins


def _demo_figures(province: str) -> None:
    """Demo indicator values and targets (labelled demo), once."""
    today = to_local(utcnow()).date()
    with transaction() as session:
        loaded = indicator_demo.load(session, cli_actor(), province, today=today)
        if loaded.values:
            communes = list(
                session.execute(
                    select(OrgUnit.code).where(
                        OrgUnit.level == "commune", OrgUnit.province_code == province
                    )
                ).scalars()
            )
            targets = indicator_demo.add_demo_targets(
                session, cli_actor(), province, today.year, communes
            )
            typer.echo(
                f"✓ Số liệu demo / demo figures: {loaded.values} giá trị / values, "
                f"{targets} chỉ tiêu / targets ({today.year})"
            )


def _demo_feedback(province: str) -> None:
    """Demo citizen reports through the real workflow, and the demo classifier, once; their
    daily counts feed the PAKN.* indicators as the running server's daily job does."""
    indicator_feeds.subscribe()
    with transaction() as session:
        loaded = feedback_demo.load(session, get_settings(), cli_actor(), province, utcnow())
    if loaded.cases:
        accuracy = f"{loaded.model_accuracy:.0%}" if loaded.model_accuracy is not None else "—"
        typer.echo(
            f"✓ Phản ánh demo / demo citizen reports: {loaded.cases}; mô hình phân loại / "
            f"classifier trained on demo examples (held-out accuracy {accuracy})"
        )


def _demo_sensors(province: str) -> None:
    """Demo devices at real places of the province, with a day of demo readings, once."""
    with transaction() as session:
        loaded = sensors_demo.load(session, cli_actor(), province, utcnow())
        demo_rules = alerts_demo.load(session, cli_actor()) if loaded.devices else 0
    if loaded.devices:
        typer.echo(
            f"✓ Thiết bị cảm biến demo / demo sensors: {loaded.devices}, "
            f"{loaded.readings} số đo / readings (24 h), {demo_rules} quy tắc cảnh báo / alert "
            "rules"
        )


@app.command()
def demo(
    province: Annotated[str, typer.Option(help="Official province code")] = DEMO_PROVINCE,
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Load only; do not serve")] = False,
) -> None:
    """Load the demo province (default Lạng Sơn) with demo accounts, then serve it."""
    init(province)
    with transaction() as session:
        first_commune = (
            session.execute(
                select(OrgUnit)
                .where(OrgUnit.level == "commune", OrgUnit.province_code == province)
                .order_by(OrgUnit.code)
            )
            .scalars()
            .first()
        )
        commune = (
            (first_commune.code, fold(first_commune.short_name).replace(" ", ""))
            if first_commune
            else (province, "tinh")
        )
    logins = _demo_logins(*commune)
    _demo_figures(province)
    _demo_feedback(province)
    _demo_sensors(province)
    settings = get_settings()
    url = f"http://{host or settings.host}:{port or settings.port}"
    typer.echo("")
    typer.echo(f"iocvn demo — {url}")
    typer.echo("Tài khoản demo / demo logins:")
    for username, role, pw in logins:
        typer.echo(f"  {username:<16} {pw}   ({role})")
    typer.echo(
        "Lần đăng nhập đầu, tài khoản admin phải thiết lập ứng dụng xác thực (TOTP). / "
        "At first login the admin sets up an authenticator app (TOTP)."
    )
    if not no_serve:
        _serve(settings.model_copy(update={"demo": True}), host, port)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
) -> None:
    """Serve the web pages and the API."""
    _serve(get_settings(), host, port)


def _serve(settings: Settings, host: str | None, port: int | None) -> None:
    if not settings.secret_key or not settings.data_keys:
        typer.echo(
            "Lỗi / Error: thiếu IOCVN_SECRET_KEY hoặc IOCVN_DATA_KEYS — chạy `iocvn init` "
            "hoặc đặt biến môi trường / run `iocvn init` or set them",
            err=True,
        )
        raise typer.Exit(1)
    configure_logs(settings.log_level)
    # Deliver notifications beside the server (IOCVN_NOTIFY_INTERVAL_SECONDS=0: not here).
    sessions = session_factory(engine_for(settings.database_url))
    deliverer = notify_worker.start_loop(sessions, settings.notify_interval_seconds)
    # Feedback escalation, auto-close and erasure of expired personal data every 5 minutes.
    feedback_jobs = feedback_worker.jobs_loop(
        sessions, 300, settings.feedback_retention_days
    ).start()
    # Sensor readings: partitions ahead (PostgreSQL) and retention, at start and hourly.
    sensor_upkeep = sensors_maintenance.maintenance_loop(sessions).start()
    # Alert rules every 15 s for what time alone changes (for_s elapsed, no data), one node.
    from iocvn.alerts import evaluation as alert_evaluation

    alert_loop = alert_evaluation.evaluation_loop(sessions).start()
    # Sensor readings over MQTT (IOCVN_MQTT_URL), acknowledged once stored.
    consumer = sensors_cli.start_consumer(settings) if settings.mqtt_url else None
    try:
        uvicorn.run(
            server_app(settings),
            host=host or settings.host,
            port=port or settings.port,
            proxy_headers=False,  # the app applies X-Forwarded-* from IOCVN_TRUSTED_PROXIES
            log_config=None,
            access_log=False,
        )
    finally:
        if consumer is not None:
            consumer.stop()
        alert_loop.stop()
        sensor_upkeep.stop()
        feedback_jobs.stop()
        if deliverer is not None:
            deliverer.stop()


@app.command("backup")
def backup_cmd(
    file: Annotated[Path, typer.Argument(help="Where to write the backup")],
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing file")
    ] = False,
) -> None:
    """Back up the whole database (SQLite online backup; PostgreSQL pg_dump), then verify it."""
    try:
        report = backup.backup(get_settings().database_url, file, overwrite=overwrite)
    except IocError as exc:
        fail(exc)
    rows = sum(report.tables.values())
    typer.echo(
        f"✓ {report.path} — {report.dialect}, {len(report.tables)} bảng / tables, {rows} dòng / "
        f"rows, {report.size_bytes} bytes, sha256 {report.sha256}, schema {report.alembic_revision}"
    )


@app.command("restore")
def restore_cmd(
    file: Annotated[Path, typer.Argument(help="A file written by `iocvn backup`")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that already holds data")
    ] = False,
) -> None:
    """Restore a backup into the configured database (empty unless --force), then verify it."""
    try:
        report = backup.restore(get_settings().database_url, file, force=force)
    except IocError as exc:
        fail(exc)
    with transaction() as session:
        audit.record(
            session,
            cli_actor(),
            "system.restore",
            target_type="database",
            target_id=file.name[:64],
            after={"tables": len(report.tables), "force": force},
        )
    state = (
        "toàn vẹn / intact" if report.audit.ok else f"HỎNG / BROKEN at {report.audit.first_bad_seq}"
    )
    typer.echo(
        f"✓ {file} → {report.dialect}: {sum(report.tables.values())} dòng / rows; "
        f"nhật ký / audit log {state}"
    )
    if not report.audit.ok:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
