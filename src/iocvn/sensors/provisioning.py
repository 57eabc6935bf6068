"""Provisioning devices from a CSV file (``iocvn sensors import``): all lines or none.

Columns (a header line names them, in any order): ``code, kind, name, lon, lat, org_unit``
(required), ``quantities`` (``name:unit;name:unit``, empty: the kind's), ``interval_s``,
``ranges`` (``name:min..max;…``, either bound may be empty), ``calibration``, ``owner``. A new
code registers a device (its key is returned, once); a known code updates the device (its
key is kept; its kind cannot change). Every line is checked; if any is wrong, nothing is
stored and every wrong line is reported with its number.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.core.context import Actor
from iocvn.core.errors import Invalid, IocError
from iocvn.core.i18n import t
from iocvn.sensors import registry
from iocvn.sensors.models import Device

REQUIRED = ("code", "kind", "name", "lon", "lat", "org_unit")
OPTIONAL = ("quantities", "interval_s", "ranges", "calibration", "owner")
MAX_LINES = 50_000


@dataclass
class ImportReport:
    """What an import did: new devices with their keys (shown once), updated codes."""

    created: list[tuple[str, str]] = field(default_factory=list)  # (code, api key)
    updated: list[str] = field(default_factory=list)


class _LineError(Exception):
    """A value of one line that cannot be read."""


def _number(row: dict[str, str], name: str) -> float:
    try:
        return float(row[name].strip().replace(",", "."))
    except ValueError as exc:
        raise _LineError(f"{name}: {row[name][:30]!r}") from exc


def _pairs(text: str, column: str) -> dict[str, str]:
    out = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, sep, rest = part.partition(":")
        if not sep or not name.strip():
            raise _LineError(f"{column}: {part[:40]!r} (name:value)")
        out[name.strip()] = rest.strip()
    return out


def _ranges(text: str) -> dict[str, list[float | None]] | None:
    if not text.strip():
        return None
    out: dict[str, list[float | None]] = {}
    for name, span in _pairs(text, "ranges").items():
        lo, sep, hi = span.partition("..")
        try:
            out[name] = [float(lo) if lo.strip() else None, float(hi) if hi.strip() else None]
        except ValueError as exc:
            raise _LineError(f"ranges: {span[:30]!r} (min..max)") from exc
        if not sep:
            raise _LineError(f"ranges: {span[:30]!r} (min..max)")
    return out


def _spec(row: dict[str, str]) -> registry.DeviceSpec:
    missing = [c for c in REQUIRED if not (row.get(c) or "").strip()]
    if missing:
        raise _LineError(f"thiếu / missing {', '.join(missing)}")
    interval = (row.get("interval_s") or "").strip()
    if interval and not interval.isdigit():
        raise _LineError(f"interval_s: {interval[:20]!r}")
    return registry.DeviceSpec(
        code=row["code"].strip(), kind=row["kind"].strip(), name=row["name"].strip(),
        lon=_number(row, "lon"), lat=_number(row, "lat"), org_unit=row["org_unit"].strip(),
        quantities=_pairs(row.get("quantities") or "", "quantities"),
        interval_s=int(interval) if interval else 300, ranges=_ranges(row.get("ranges") or ""),
        calibration=(row.get("calibration") or "").strip(), owner=(row.get("owner") or "").strip(),
    )  # fmt: skip


def _apply(session: Session, actor: Actor, spec: registry.DeviceSpec, report: ImportReport) -> None:
    existing = session.execute(select(Device).where(Device.code == spec.code)).scalar_one_or_none()
    if existing is None:
        _, key = registry.register(session, actor, spec, None)
        report.created.append((spec.code, key))
        return
    if existing.kind != spec.kind:
        raise _LineError(f"kind {existing.kind} → {spec.kind[:20]}")
    changes = registry.DeviceChanges(
        name=spec.name, lon=spec.lon, lat=spec.lat, org_unit=spec.org_unit,
        quantities=spec.quantities or None, ranges=spec.ranges, interval_s=spec.interval_s,
        calibration=spec.calibration, owner=spec.owner,
    )  # fmt: skip
    registry.update(session, actor, existing, changes, None)
    report.updated.append(spec.code)


def _message(error: IocError) -> str:
    vi = t(error.message_key, "vi", **error.params)
    en = t(error.message_key, "en", **error.params)
    return f"{vi} / {en}" if vi != en else vi


def import_csv(session: Session, actor: Actor, text: str) -> ImportReport:
    """Register or update every device of the file, or none (422 ``device_import`` listing
    each wrong line as ``{line, error, message}``)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise Invalid("device_import", details={"errors": [
            {"line": 1, "error": "header", "message": f"thiếu cột / missing {', '.join(missing)}"}
        ]})  # fmt: skip
    reader.fieldnames = header
    report, errors, seen = ImportReport(), list[dict[str, Any]](), set[str]()
    for row in reader:
        line = reader.line_num
        if line > MAX_LINES:
            errors.append({"line": line, "error": "too_many_lines", "message": f"> {MAX_LINES}"})
            break
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        problem = _line(session, actor, row, seen, report)
        if problem is not None:
            errors.append({"line": line} | problem)
    if errors:
        raise Invalid("device_import", details={"errors": errors})
    return report


def _line(
    session: Session, actor: Actor, row: dict[str, Any], seen: set[str], report: ImportReport
) -> dict[str, str] | None:
    """Apply one line in a savepoint; the problem (and the savepoint undone) if any."""
    try:
        spec = _spec({k: v for k, v in row.items() if isinstance(k, str) and isinstance(v, str)})
        if spec.code in seen:
            raise _LineError(f"{spec.code}: hai lần trong tệp / twice in the file")
        seen.add(spec.code)
        with session.begin_nested():
            _apply(session, actor, spec, report)
    except _LineError as exc:
        return {"error": "line", "message": str(exc)}
    except IocError as exc:
        return {"error": exc.code, "message": _message(exc)}
    return None
