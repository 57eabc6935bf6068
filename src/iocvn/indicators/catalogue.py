"""The indicator catalogue: create, change (versioned), list, export and import definitions.

Formulas are checked when saved (syntax, known references, no cycles), so analytics never
meet a broken definition. Every change is audited and keeps the previous definition.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from iocvn.audit import service as audit
from iocvn.core.context import Actor
from iocvn.core.errors import Conflict, Invalid, NotFound
from iocvn.core.i18n import register
from iocvn.indicators import expr
from iocvn.indicators.models import Indicator, IndicatorVersion
from iocvn.indicators.schemas import CatalogueReport, IndicatorIn, IndicatorOut, NameOut
from iocvn.org.models import OrgUnit

SEED_FILE = Path(__file__).parent / "data" / "catalogue.yaml"
Format = Literal["yaml", "json"]
Pending = dict[str, str | None]  # formulas of a catalogue being imported, by code

register(
    {
        "error.indicator_not_found": ("Không có chỉ số {indicator}.", "No indicator {indicator}."),
        "error.indicator_exists": (
            "Chỉ số {indicator} đã có.",
            "Indicator {indicator} already exists.",
        ),
        "error.unknown_owner": (
            "Đơn vị chủ trì {owner} không phải một sở, ban, ngành của tỉnh.",
            "Owner {owner} is not an agency of the province.",
        ),
        "error.weight_required": (
            "Chỉ số bình quân gia quyền cần chỉ số trọng số (weight).",
            "A weighted average needs a weight indicator.",
        ),
        "error.code_mismatch": (
            "Mã chỉ số trong đường dẫn và trong nội dung khác nhau.",
            "The indicator code in the path and in the body differ.",
        ),
        "error.invalid_catalogue": (
            "Tệp danh mục chỉ số không hợp lệ (mục {index}).",
            "The catalogue file is not valid (entry {index}).",
        ),
    }
)


def to_out(ind: Indicator) -> IndicatorOut:
    """The API shape of a definition."""
    return IndicatorOut(
        code=ind.code,
        name=NameOut(vi=ind.name_vi, en=ind.name_en),
        unit=ind.unit,
        value_type=ind.value_type,
        group=ind.group,
        sector=ind.sector,
        frequency=ind.frequency,
        direction=ind.direction,
        space_agg=ind.space_agg,
        time_agg=ind.time_agg,
        missing=ind.missing,
        carry_forward_max=ind.carry_forward_max,
        weight=ind.weight,
        formula=ind.formula,
        decimals=ind.decimals,
        owner=ind.owner,
        source=ind.source,
        legal_basis=ind.legal_basis,
        description=ind.description,
        tags=list(ind.tags or []),
        min_value=ind.min_value,
        max_value=ind.max_value,
        version=ind.version,
        active=ind.active,
        updated_at=ind.updated_at,
    )


def definition(ind: Indicator) -> dict[str, Any]:
    """The exchangeable definition (the input fields), as stored in versions and exports."""
    out = to_out(ind).model_dump(mode="json")
    for key in ("version", "active", "updated_at"):
        out.pop(key)
    return out


def _owner_code(session: Session, owner: str | None, province_code: str) -> str | None:
    if not owner:
        return None
    code = owner if "." in owner else f"{province_code}.{owner}"
    unit = session.get(OrgUnit, code)
    if unit is None or unit.level != "agency":
        raise Invalid("unknown_owner", details={"owner": owner}, owner=owner)
    return code


def _province_code(session: Session) -> str:
    code = session.execute(
        select(OrgUnit.code).where(OrgUnit.level == "province").limit(1)
    ).scalar_one_or_none()
    return code or ""


def _formulas(session: Session, override: dict[str, str | None]) -> dict[str, str | None]:
    rows = dict(session.execute(select(Indicator.code, Indicator.formula)).all())
    rows.update(override)
    return rows


def _check(session: Session, data: IndicatorIn, pending: dict[str, str | None]) -> None:
    if data.formula is not None:
        expr.parse(data.formula)  # syntax, with the position of the problem
    if data.space_agg == "weighted_average" and not data.weight:
        raise Invalid("weight_required", details={"code": data.code})
    known = _formulas(session, pending | {data.code: data.formula})
    if data.weight and data.weight not in known:
        raise Invalid(
            "unknown_indicator",
            details={"code": data.code, "unknown": [data.weight]},
            indicator=data.code,
            unknown=data.weight,
        )
    expr.check_definitions(known)


def _apply(ind: Indicator, data: IndicatorIn, owner: str | None) -> None:
    ind.name_vi, ind.name_en = data.name.vi, data.name.en
    ind.unit = data.unit
    ind.value_type = data.value_type
    ind.group = data.group
    ind.sector = data.sector
    ind.frequency = data.frequency
    ind.direction = data.direction
    ind.space_agg = data.space_agg
    ind.time_agg = data.time_agg
    ind.missing = data.missing
    ind.carry_forward_max = data.carry_forward_max
    ind.weight = data.weight
    ind.formula = data.formula
    ind.decimals = data.decimals
    ind.owner = owner
    ind.source = data.source or ("computed" if data.formula else "manual")
    ind.legal_basis = data.legal_basis
    ind.description = data.description
    ind.tags = list(data.tags)
    ind.min_value, ind.max_value = data.min_value, data.max_value


def _version(session: Session, ind: Indicator, actor: Actor) -> None:
    session.add(
        IndicatorVersion(
            code=ind.code, version=ind.version, definition=definition(ind), changed_by=actor.name
        )
    )


def create_indicator(
    session: Session,
    actor: Actor,
    data: IndicatorIn,
    *,
    pending: dict[str, str | None] | None = None,
) -> Indicator:
    """Add a definition (version 1)."""
    if session.get(Indicator, data.code) is not None:
        raise Conflict("indicator_exists", details={"code": data.code}, indicator=data.code)
    _check(session, data, pending or {})
    ind = Indicator(code=data.code, version=1)
    _apply(ind, data, _owner_code(session, data.owner, _province_code(session)))
    session.add(ind)
    session.flush()
    _version(session, ind, actor)
    audit.record(
        session,
        actor,
        "indicator.create",
        target_type="indicator",
        target_id=ind.code,
        after=definition(ind),
    )
    return ind


def update_indicator(
    session: Session,
    actor: Actor,
    data: IndicatorIn,
    *,
    pending: dict[str, str | None] | None = None,
) -> Indicator | None:
    """Replace a definition; a new version when anything changed (None when nothing did)."""
    ind = get_indicator(session, data.code)
    before = definition(ind)
    _check(session, data, pending or {})
    _apply(ind, data, _owner_code(session, data.owner, _province_code(session)))
    after = definition(ind)
    if after == before:
        return None
    ind.version += 1
    session.flush()
    _version(session, ind, actor)
    changed = {k for k in after if after[k] != before[k]}
    audit.record(
        session,
        actor,
        "indicator.update",
        target_type="indicator",
        target_id=ind.code,
        before={k: before[k] for k in sorted(changed)} | {"version": ind.version - 1},
        after={k: after[k] for k in sorted(changed)} | {"version": ind.version},
    )
    return ind


def get_indicator(session: Session, code: str) -> Indicator:
    """One definition or ``indicator_not_found`` (404)."""
    ind = session.get(Indicator, code)
    if ind is None:
        raise NotFound("indicator_not_found", details={"code": code}, indicator=code)
    return ind


def list_indicators(
    session: Session,
    *,
    group: str | None = None,
    sector: str | None = None,
    q: str | None = None,
    include_inactive: bool = False,
) -> list[Indicator]:
    """Definitions ordered by code, filtered."""
    stmt = select(Indicator).order_by(Indicator.code)
    if group:
        stmt = stmt.where(Indicator.group == group)
    if sector:
        stmt = stmt.where(Indicator.sector == sector)
    if not include_inactive:
        stmt = stmt.where(Indicator.active.is_(True))
    if q:
        needle = q.strip()
        stmt = stmt.where(
            or_(
                Indicator.code.contains(needle.upper(), autoescape=True),
                Indicator.name_vi.ilike(f"%{needle}%"),
                Indicator.name_en.ilike(f"%{needle}%"),
            )
        )
    return list(session.execute(stmt).scalars())


def versions(session: Session, code: str) -> list[IndicatorVersion]:
    """Every version of a definition, newest first."""
    get_indicator(session, code)
    stmt = (
        select(IndicatorVersion)
        .where(IndicatorVersion.code == code)
        .order_by(IndicatorVersion.version.desc())
    )
    return list(session.execute(stmt).scalars())


def export_catalogue(session: Session, fmt: Format = "yaml") -> str:
    """The whole catalogue in the exchange format (same fields as ``POST /indicators``)."""
    items = [definition(i) for i in list_indicators(session)]
    if fmt == "json":
        return json.dumps({"indicators": items}, ensure_ascii=False, indent=2)
    text: str = yaml.safe_dump({"indicators": items}, allow_unicode=True, sort_keys=False)
    return text


def parse_catalogue(text: str | bytes) -> list[IndicatorIn]:
    """Read a YAML or JSON catalogue; a bad entry is reported with its index (from 1)."""
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise Invalid(
            "invalid_catalogue", details={"line": mark.line + 1 if mark else None}, index=0
        ) from exc
    items = loaded.get("indicators") if isinstance(loaded, dict) else loaded
    if not isinstance(items, list):
        raise Invalid("invalid_catalogue", details={"problem": "no indicators list"}, index=0)
    parsed: list[IndicatorIn] = []
    for index, item in enumerate(items, start=1):
        try:
            parsed.append(IndicatorIn.model_validate(item))
        except ValidationError as exc:
            errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
            raise Invalid(
                "invalid_catalogue", details={"index": index, "errors": errors}, index=index
            ) from exc
    codes = [p.code for p in parsed]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise Invalid("invalid_catalogue", details={"duplicates": duplicates}, index=0)
    return parsed


def import_catalogue(
    session: Session, actor: Actor, text: str | bytes, *, update: bool = True
) -> CatalogueReport:
    """Create or update every definition of a catalogue file, all or nothing.

    With ``update=False`` existing definitions are left as the province edited them."""
    entries = parse_catalogue(text)
    pending = {e.code: e.formula for e in entries}
    created: list[str] = []
    updated: list[str] = []
    unchanged = 0
    # Collected indicators first so formulas and weights find what they reference.
    for entry in sorted(entries, key=lambda e: e.formula is not None):
        if session.get(Indicator, entry.code) is None:
            create_indicator(session, actor, entry, pending=pending)
            created.append(entry.code)
        elif update and update_indicator(session, actor, entry, pending=pending) is not None:
            updated.append(entry.code)
        else:
            unchanged += 1
    return CatalogueReport(created=sorted(created), updated=sorted(updated), unchanged=unchanged)


def seed_catalogue(session: Session, actor: Actor, *, update: bool = False) -> CatalogueReport:
    """Add the indicators shipped with iocvn that the province does not have yet (``update``
    also resets the shipped ones the province changed)."""
    return import_catalogue(session, actor, SEED_FILE.read_text(encoding="utf-8"), update=update)
