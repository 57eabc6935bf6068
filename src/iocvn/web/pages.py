"""The home page of the web shell."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from iocvn.auth.deps import CurrentPrincipal
from iocvn.core.http import DbSession
from iocvn.core.templating import render
from iocvn.org.models import OrgUnit

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    """Overview: who you are, what you see, and the province's units in your scope."""
    counts = dict(
        db.execute(
            select(OrgUnit.level, func.count())
            .where(principal.scope.org_unit_clause(), OrgUnit.valid_to.is_(None))
            .group_by(OrgUnit.level)
        ).all()
    )
    unit = db.get(OrgUnit, principal.user.org_code)
    province = db.get(OrgUnit, principal.scope.province_code)
    return render(
        request,
        "web/home.html",
        {"counts": counts, "unit": unit, "province": province},
    )
