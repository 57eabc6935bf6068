"""Server-rendered pages: one Jinja environment over every domain's ``templates/`` folder.

A template is named ``<domain>/<file>`` (``auth/login.html`` is
``iocvn/auth/templates/login.html``); all extend ``web/base.html``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, PrefixLoader, select_autoescape
from starlette.responses import HTMLResponse

from iocvn.core import i18n
from iocvn.core.numbers import format_number
from iocvn.core.timeutil import format_date, format_datetime

PACKAGE = Path(__file__).resolve().parent.parent


def _environment() -> Environment:
    loaders = {
        child.name: FileSystemLoader(str(child / "templates"))
        for child in sorted(PACKAGE.iterdir())
        if (child / "templates").is_dir()
    }
    env = Environment(
        loader=PrefixLoader(loaders),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = format_date
    env.filters["datetime"] = format_datetime
    env.filters["number"] = format_number
    env.filters["compactjson"] = lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True)
    return env


templates = Jinja2Templates(env=_environment())


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """Render ``name`` with the request's language, user and CSRF token in the context."""
    lang = str(getattr(request.state, "lang", i18n.DEFAULT_LANG))
    principal = getattr(request.state, "principal", None)

    def tr(key: str, **params: Any) -> str:
        return i18n.t(key, lang, **params)

    ctx: dict[str, Any] = {
        "request": request,
        "lang": lang,
        "t": tr,
        "principal": principal,
        "csrf_token": getattr(principal, "csrf_token", "")
        or getattr(request.state, "csrf_token", ""),
        "nav": getattr(request.app.state, "nav", []),
    }
    ctx.update(context or {})
    response: HTMLResponse = templates.TemplateResponse(request, name, ctx, status_code=status)
    return response
