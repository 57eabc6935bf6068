"""Helpers shared by every domain's command line: who is acting, and how errors are shown."""

from __future__ import annotations

import getpass
import json
from typing import NoReturn

import typer

from iocvn.core.context import Actor
from iocvn.core.errors import IocError
from iocvn.core.i18n import t


def cli_actor() -> Actor:
    """Changes made from the command line are audited as ``cli:<os user>``."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor(name=f"cli:{who}"[:64])


def fail(error: IocError) -> NoReturn:
    """Print a domain error in Vietnamese and English (with its details) and exit 1."""
    vi = t(error.message_key, "vi", **error.params)
    en = t(error.message_key, "en", **error.params)
    typer.echo(f"Lỗi / Error [{error.code}]: {vi} / {en}", err=True)
    if error.details:
        typer.echo(f"  {json.dumps(error.details, ensure_ascii=False, default=str)}", err=True)
    raise typer.Exit(1)
