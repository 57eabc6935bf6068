"""Command line of the identity and access domain: ``iocvn user …`` and ``iocvn token …``."""

from __future__ import annotations

import secrets
import string
import sys
from typing import Annotated

import typer

from iocvn.auth import credentials
from iocvn.auth import service as users
from iocvn.auth.roles import ROLES
from iocvn.core.clitools import cli_actor, fail
from iocvn.core.errors import IocError
from iocvn.db import transaction

user_app = typer.Typer(
    help="Tài khoản: cấp, khóa, mở khóa, thu hồi. / Accounts.", no_args_is_help=True
)
token_app = typer.Typer(help="Mã truy cập API. / API tokens.", no_args_is_help=True)


def generate_password() -> str:
    """A 20-character random password that meets the policy."""
    alphabet = string.ascii_letters + string.digits
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(18)) + "-" + secrets.choice("!@#%+=")
        if (
            any(c.isupper() for c in pw)
            and any(c.islower() for c in pw)
            and any(c.isdigit() for c in pw)
        ):
            return pw


@user_app.command("add")
def add(
    username: str,
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}")],
    org: Annotated[str, typer.Option(help="Org unit code, e.g. 20, 05977, 20.SYT")],
    display_name: Annotated[str, typer.Option("--name", help="Full name")] = "",
    email: Annotated[
        str | None, typer.Option(help="E-mail address for notifications (reminders)")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Issue an account. Without --password-stdin a strong password is generated and shown once."""
    generated = False
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = typer.prompt("Mật khẩu / Password", hide_input=True, confirmation_prompt=True)
    else:
        password, generated = generate_password(), True
    try:
        with transaction() as session:
            user = users.create_user(
                session,
                cli_actor(),
                users.NewUser(username, role, org, password, display_name, email),
            )
            name = user.username
    except IocError as exc:
        fail(exc)
    typer.echo(f"Đã cấp tài khoản / Account issued: {name} ({role}, {org})")
    if generated:
        typer.echo(f"Mật khẩu / Password: {password}")
    if role == "admin":
        typer.echo(
            "Quản trị viên phải thiết lập xác thực hai lớp (TOTP) ở lần đăng nhập đầu tiên. / "
            "Administrators set up TOTP at their first login."
        )


def _change(username: str, action: str) -> None:
    funcs = {
        "lock": users.lock_user,
        "unlock": users.unlock_user,
        "revoke": users.revoke_user,
        "mfa-reset": credentials.reset_mfa,
    }
    try:
        with transaction() as session:
            funcs[action](session, cli_actor(), users.get_user(session, username))
    except IocError as exc:
        fail(exc)
    typer.echo(f"{action}: {username} ✓")


@user_app.command("lock")
def lock(username: str) -> None:
    """Lock an account: its sessions end and its tokens stop working now."""
    _change(username, "lock")


@user_app.command("unlock")
def unlock(username: str) -> None:
    """Unlock an account (also clears the automatic lock after failed logins)."""
    _change(username, "unlock")


@user_app.command("revoke")
def revoke(username: str) -> None:
    """Revoke an account for good: sessions end and every API token is revoked."""
    _change(username, "revoke")


@user_app.command("mfa-reset")
def mfa_reset(username: str) -> None:
    """Remove an account's authenticator (lost phone); it enrols again at next login."""
    _change(username, "mfa-reset")


@user_app.command("passwd")
def passwd(
    username: str,
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
) -> None:
    """Set an account's password."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Mật khẩu / Password", hide_input=True, confirmation_prompt=True)
    try:
        with transaction() as session:
            users.set_password(session, cli_actor(), users.get_user(session, username), password)
    except IocError as exc:
        fail(exc)
    typer.echo(f"passwd: {username} ✓")


@user_app.command("list")
def list_(q: Annotated[str | None, typer.Option(help="Part of the username")] = None) -> None:
    """List accounts: username, role, org unit, status, MFA."""
    with transaction() as session:
        rows = users.list_users(session, q=q)
        typer.echo(f"{'USERNAME':<24} {'ROLE':<16} {'ORG':<10} {'STATUS':<8} MFA")
        for u in rows:
            typer.echo(
                f"{u.username:<24} {u.role:<16} {u.org_code:<10} {u.status:<8} "
                f"{'on' if u.mfa_enabled else 'off'}"
            )


@token_app.command("create")
def token_create(
    username: str,
    name: Annotated[str, typer.Option(help="What the token is for")] = "",
    expires_days: Annotated[int | None, typer.Option(help="Days until it expires")] = None,
    read_only: Annotated[bool, typer.Option("--read-only", help="GET requests only")] = False,
) -> None:
    """Issue an API token for USERNAME and print it once (use as Authorization: Bearer)."""
    scopes = ("read",) if read_only else credentials.TOKEN_SCOPES
    try:
        with transaction() as session:
            plain, row = credentials.create_token(
                session,
                cli_actor(),
                users.get_user(session, username),
                name=name,
                expires_days=expires_days,
                scopes=scopes,
            )
            token_id = row.id
    except IocError as exc:
        fail(exc)
    typer.echo(plain)
    typer.echo(f"# id {token_id}; hiển thị một lần / shown once", err=True)


@token_app.command("list")
def token_list(username: Annotated[str | None, typer.Argument()] = None) -> None:
    """List tokens (never their secrets)."""
    with transaction() as session:
        user = users.get_user(session, username) if username else None
        for tk in credentials.list_tokens(session, user):
            state = "revoked" if tk.revoked_at else "active"
            typer.echo(f"{tk.id}  {tk.prefix}…  {tk.name or '-'}  {','.join(tk.scopes)}  {state}")


@token_app.command("revoke")
def token_revoke(token_id: str) -> None:
    """Revoke a token at once."""
    try:
        with transaction() as session:
            credentials.revoke_token(session, cli_actor(), token_id)
    except IocError as exc:
        fail(exc)
    typer.echo(f"revoked: {token_id} ✓")
