"""Boundaries of administrative units: geometry repair and a province's GeoJSON import.

The import checks and matches the whole file before writing anything, writes one audit
entry, and never commits: the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import shape
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from iocvn.audit.service import record
from iocvn.core.context import Actor
from iocvn.core.errors import Invalid
from iocvn.core.timeutil import to_local, utcnow
from iocvn.org import (
    geo,
    messages,  # noqa: F401  (registers the domain's texts)
)
from iocvn.org.models import OrgUnit
from iocvn.org.official import fold, strip_unit_type
from iocvn.org.schemas import ImportReport, UnitRef, UnmatchedFeature

ADMIN_LEVELS = ("province", "commune")

# Property names that carry a feature's own official code or name (compared after
# lower-casing and dropping "_" and "-"). ``province_code`` is deliberately absent: on a
# commune feature it is the parent's code.
CODE_KEYS = ("code", "ma", "maxa", "madvhc", "madonvi", "wardcode", "communecode", "gsocode")
NAME_KEYS = ("name", "ten", "tenxa", "tendvhc", "tendonvi", "wardname", "communename", "tentinh")
PROVINCE_KEYS = ("provincecode", "matinh")


class GeometryError(ValueError):
    """A geometry that cannot be used as a boundary; ``reason`` is a stable code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def clean_geometry(geometry: Any) -> dict[str, Any]:
    """A valid (Multi)Polygon in WGS84 lon/lat as RFC 7946 GeoJSON, repaired if needed."""
    if geometry is None:
        raise GeometryError("no_geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in (
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    ):
        raise GeometryError("not_polygonal")
    try:
        geom = shape(geometry)
    except (
        ValueError,
        TypeError,
        KeyError,
        AttributeError,
        IndexError,
        shapely.errors.ShapelyError,
    ):
        raise GeometryError("malformed_geometry") from None
    if geom.is_empty:
        raise GeometryError("empty_geometry")
    min_x, min_y, max_x, max_y = geom.bounds
    if not (-180 <= min_x <= max_x <= 180 and -90 <= min_y <= max_y <= 90):
        raise GeometryError("coordinates_not_lon_lat")
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        raise GeometryError("not_polygonal")
    geom = parts[0] if len(parts) == 1 else shapely.union_all(parts)
    geom = shapely.orient_polygons(geom)  # RFC 7946: exterior rings counter-clockwise
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise GeometryError("not_polygonal")
    cleaned: dict[str, Any] = json.loads(shapely.to_geojson(geom))
    return cleaned


def geometry_digest(geometry: dict[str, Any] | None) -> str | None:
    """A short summary of a geometry for audit entries (type and content hash)."""
    if geometry is None:
        return None
    body = json.dumps(geometry, sort_keys=True, separators=(",", ":")).encode()
    return f"{geometry.get('type')} sha256:{hashlib.sha256(body).hexdigest()[:12]}"


def _invalid(reason: str, **details: Any) -> Invalid:
    return Invalid("invalid_geojson", details={"reason": reason, **details})


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_geojson(raw: dict[str, Any] | str | bytes) -> tuple[list[Any], list[int] | None]:
    """The features of a FeatureCollection and, for text input, the line each starts on."""
    lines: list[int] | None = None
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _invalid("not_utf8", position=exc.start) from None
    if isinstance(raw, str):
        try:
            data = json.loads(raw, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            raise _invalid(
                "malformed_json", line=exc.lineno, column=exc.colno, error=exc.msg
            ) from None
        except ValueError as exc:
            raise _invalid("malformed_json", error=str(exc)) from None
        lines, line, last = [], 1, 0
        for match in re.finditer(r'"type"\s*:\s*"Feature"', raw):
            line += raw.count("\n", last, match.start())
            last = match.start()
            lines.append(line)
    else:
        data = raw
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        found = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise _invalid("not_a_feature_collection", found=found)
    crs = json.dumps(data.get("crs") or "")
    if crs != '""' and "CRS84" not in crs and "4326" not in crs:
        raise _invalid("crs_not_wgs84", crs=data.get("crs"))
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise _invalid("no_features")
    if lines is not None and len(lines) != len(features):
        lines = None  # a "Feature" string inside properties: don't guess
    return features, lines


def _current() -> ColumnElement[bool]:
    """Units in force today (Vietnam's date); retired ones get no new boundary."""
    return or_(OrgUnit.valid_to.is_(None), OrgUnit.valid_to >= to_local(utcnow()).date())


def _prop(props: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key, value in props.items():
        if re.sub(r"[_\-\s]", "", str(key).lower()) in keys and value not in (None, ""):
            return str(value).strip()
    return None


@dataclass
class _Candidates:
    """The administrative units a file's features are matched against."""

    by_code: dict[str, tuple[str, str]]  # code → (level, province code)
    by_name: dict[str, list[str]]  # folded full name → codes
    by_short: dict[str, list[str]]  # folded name without its type → codes

    def code_for(self, value: str, level: str | None) -> str | None:
        """The stored code a feature's code means (``5977`` → ``05977``)."""
        if value in self.by_code:
            return value
        if value.isdigit():
            for width in (2,) if level == "province" else (5, 2):
                if value.zfill(width) in self.by_code:
                    return value.zfill(width)
        return None

    def name_for(self, name: str, provinces: set[str], level: str | None) -> tuple[str | None, str]:
        """The one unit a name means, else None and why (``no_match``, ``ambiguous_name``)."""
        keys = ((self.by_name, fold(name)), (self.by_short, strip_unit_type(name)))
        for index, key in (*keys, (self.by_short, fold(name))):
            codes = [
                c
                for c in index.get(key, [])
                if (not provinces or self.by_code[c][1] in provinces)
                and (level is None or self.by_code[c][0] == level)
            ]
            if len(codes) == 1:
                return codes[0], ""
            if len(codes) > 1:
                return None, "ambiguous_name"
        return None, "no_match"


def _candidates(session: Session) -> _Candidates:
    rows = session.execute(
        select(
            OrgUnit.code, OrgUnit.name, OrgUnit.short_name, OrgUnit.level, OrgUnit.province_code
        ).where(OrgUnit.level.in_(ADMIN_LEVELS), _current())
    ).all()
    found = _Candidates({}, {}, {})
    for code, name, short, level, province in rows:
        found.by_code[code] = (level, province)
        found.by_name.setdefault(fold(name), []).append(code)
        found.by_short.setdefault(fold(short) if short else strip_unit_type(name), []).append(code)
    return found


class _Matching:
    """Matches features to units and keeps their cleaned geometries or the reasons why not."""

    def __init__(self, features: list[Any], lines: list[int] | None, units: _Candidates):
        self.features, self.lines, self.units = features, lines, units
        self.geometries: dict[str, dict[str, Any]] = {}
        self.unmatched: list[UnmatchedFeature] = []
        self.by_code = self.by_name = 0

    def reject(self, i: int, reason: str, props: dict[str, Any]) -> None:
        """List feature ``i`` as not loaded."""
        line = self.lines[i] if self.lines else None
        self.unmatched.append(
            UnmatchedFeature(index=i + 1, line=line, reason=reason, properties=props)
        )

    def accept(self, i: int, code: str, feature: dict[str, Any], props: dict[str, Any]) -> bool:
        """Keep feature ``i`` for unit ``code`` if its geometry is usable."""
        if code in self.geometries:
            self.reject(i, "duplicate_unit", props)
            return False
        try:
            self.geometries[code] = clean_geometry(feature.get("geometry"))
        except GeometryError as exc:
            self.reject(i, exc.reason, props)
            return False
        return True

    def run(self) -> None:
        """Match by code first, then by name narrowed to the provinces codes pointed to."""
        pending: list[tuple[int, dict[str, Any], dict[str, Any], str | None]] = []
        for i, feature in enumerate(self.features):
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                self.reject(i, "not_a_feature", {})
                continue
            props = feature.get("properties")
            props = props if isinstance(props, dict) else {}
            level = props.get("level") if props.get("level") in ADMIN_LEVELS else None
            raw_code = _prop(props, CODE_KEYS)
            code = self.units.code_for(raw_code, level) if raw_code else None
            if code is None:
                pending.append((i, feature, props, raw_code))
            elif self.accept(i, code, feature, props):
                self.by_code += 1
        provinces = self.provinces()
        for i, feature, props, raw_code in pending:
            level = props.get("level") if props.get("level") in ADMIN_LEVELS else None
            name = _prop(props, NAME_KEYS)
            if not name:
                self.reject(i, "unknown_code" if raw_code else "no_code_or_name", props)
                continue
            # An explicit province code on the feature narrows the search when it is known.
            province = (_prop(props, PROVINCE_KEYS) or "").zfill(2)
            known = self.units.by_code.get(province, ("", ""))[0] == "province"
            found, reason = self.units.name_for(name, {province} if known else provinces, level)
            if found is None:
                self.reject(i, reason, props)
            elif self.accept(i, found, feature, props):
                self.by_name += 1

    def provinces(self) -> set[str]:
        """Provinces of the units matched so far."""
        return {self.units.by_code[c][1] for c in self.geometries}


def import_boundaries(
    session: Session,
    geojson: dict[str, Any] | str | bytes,
    actor: Actor,
    *,
    source: str = "GeoJSON import",
) -> ImportReport:
    """Load a province's own boundary FeatureCollection onto its units (match by code, name)."""
    features, lines = parse_geojson(geojson)
    matching = _Matching(features, lines, _candidates(session))
    matching.run()
    unmatched = sorted(matching.unmatched, key=lambda u: u.index)
    if not matching.geometries:
        raise Invalid(
            "no_boundary_matched",
            details={
                "features": len(features),
                "unmatched": [u.model_dump() for u in unmatched[:20]],
            },
        )
    source = source[:200]
    updated, unchanged = _store(session, matching.geometries, source)
    provinces = matching.provinces()
    missing = session.execute(
        select(OrgUnit.code, OrgUnit.name)
        .where(
            OrgUnit.level.in_(ADMIN_LEVELS),
            OrgUnit.province_code.in_(provinces),
            _current(),
            OrgUnit.geometry.is_(None),
        )
        .order_by(OrgUnit.code)
    ).all()
    report = ImportReport(
        features=len(features),
        matched_by_code=matching.by_code,
        matched_by_name=matching.by_name,
        matched_levels=dict(Counter(matching.units.by_code[c][0] for c in matching.geometries)),
        updated=updated,
        unchanged=unchanged,
        unmatched=unmatched,
        units_without_boundary=[UnitRef(code=c, name=n) for c, n in missing],
        outcome="partially_loaded" if unmatched else "all_loaded",
    )
    record(
        session,
        actor,
        "org.import_boundaries",
        target_type="org_unit",
        target_id=",".join(sorted(provinces))[:64],
        after={
            "features": report.features,
            "matched_by_code": report.matched_by_code,
            "matched_by_name": report.matched_by_name,
            "updated": updated,
            "unchanged": unchanged,
            "unmatched": len(unmatched),
            "source": source,
        },
    )
    return report


def _store(session: Session, geometries: dict[str, dict[str, Any]], source: str) -> tuple[int, int]:
    """Write the geometries that differ from what is stored; (updated, unchanged)."""
    updated = unchanged = 0
    codes = sorted(geometries)
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        for unit in session.execute(select(OrgUnit).where(OrgUnit.code.in_(chunk))).scalars():
            if unit.geometry == geometries[unit.code] and unit.geometry_source == source:
                unchanged += 1
                continue
            unit.geometry = geometries[unit.code]
            unit.geometry_source = source
            updated += 1
    session.flush()
    if updated:
        geo.invalidate()
    return updated, unchanged
