"""JSON routes of upward sharing (R5): pull an exchange document of data values (JSON or CSV)
and push one back. The app mounts ``router`` under ``/api/v1``; the format is described in
``docs/exchange-format.md`` and implemented in ``exchange``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from iocvn.auth.deps import Principal, require
from iocvn.core.http import DbSession
from iocvn.indicators import exchange

router = APIRouter(tags=["indicators"])
Reader = Annotated[Principal, Depends(require("indicator.read"))]
Enterer = Annotated[Principal, Depends(require("data.enter"))]


def _lang(request: Request) -> str:
    return str(getattr(request.state, "lang", "vi"))


@router.get("/exchange/values", response_model=None)
def export_values(
    principal: Reader,
    db: DbSession,
    indicator: Annotated[list[str], Query(min_length=1, max_length=exchange.MAX_INDICATORS)],
    period: Annotated[str, Query(max_length=10)],
    since: datetime | None = None,
    org_unit: Annotated[str | None, Query(max_length=64)] = None,
    format: Literal["json", "csv"] = "json",
) -> dict[str, Any] | Response:
    """The exchange document of the chosen indicators for a period, in the caller's area."""
    doc = exchange.export_values(
        db, indicator, period, org_code=org_unit, scope=principal.scope, since=since
    )
    if format == "csv":
        name = f"iocvn-{doc['period']}.csv"
        return Response(
            exchange.export_csv(doc),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return doc


@router.post("/exchange/values", response_model=exchange.ExchangeReport)
def import_values(
    principal: Enterer,
    db: DbSession,
    request: Request,
    document: Annotated[dict[str, Any], Body()],
    status: Literal["approved", "submitted"] | None = None,
) -> exchange.ExchangeReport:
    """Apply an exchange document, all or nothing.

    Values arrive approved when the caller may approve them (otherwise submitted); ask for
    ``status=submitted`` to send them through the approval workflow. ``values.post_values``
    refuses, row by row, what the caller may not approve.
    """
    chosen = status or ("approved" if principal.can("data.approve") else "submitted")
    return exchange.import_document(db, principal, document, status=chosen, lang=_lang(request))
