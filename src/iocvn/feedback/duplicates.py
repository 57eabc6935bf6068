"""Duplicate suggestions (phản ánh trùng): open cases near a report, of the same field, recent,
with similar words — ranked so an operator judges the likeliest first.

Score (0–1) = 0.4 × nearness (1 at the same spot, 0 at ``RADIUS_M``) + 0.4 × text similarity
(rapidfuzz token-set ratio of the folded texts) + 0.2 × recency (1 now, 0 at ``WINDOW``). A
case without a point is compared within the same commune at nearness 0.5. Only suggestions:
merging is an operator's decision (:func:`iocvn.feedback.workflow.merge`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from iocvn.feedback.categories import top_level
from iocvn.feedback.models import OPEN_STATUSES, Feedback
from iocvn.feedback.text import fold

RADIUS_M = 300.0
WINDOW = timedelta(days=30)
MIN_SCORE = 0.45
_EARTH_M = 6_371_000.0


@dataclass(frozen=True)
class Candidate:
    """An open case that may be the same problem."""

    case: Feedback
    distance_m: float | None
    similarity: float
    score: float


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_M * math.asin(min(1.0, math.sqrt(a)))


def _box(lat: float) -> tuple[float, float]:
    """Half the sides, in degrees of latitude and longitude, of the box around a point at
    ``lat`` that holds every point within ``RADIUS_M``."""
    dlat = RADIUS_M / 111_320
    return dlat, dlat / max(0.1, math.cos(math.radians(lat)))


def _field(case: Any) -> str | None:
    category = case.category_code or case.suggested_category
    return top_level(category) if category else None


def _scored(case: Feedback, mine: str, other: Any, theirs: str) -> Candidate | None:
    """``other`` as a suggestion for ``case`` (texts already folded), or None below the bar."""
    if case.lat is not None and other.lat is not None and other.lon is not None:
        d: float | None = distance_m(case.lat, case.lon or 0.0, other.lat, other.lon)
        nearness = max(0.0, 1 - (d or 0.0) / RADIUS_M)
    else:
        d, nearness = None, 0.5
    similarity = fuzz.token_set_ratio(mine, theirs) / 100
    age = abs(case.received_at - other.received_at) / WINDOW
    score = 0.4 * nearness + 0.4 * similarity + 0.2 * max(0.0, 1 - age)
    if score >= MIN_SCORE and (d is None or d <= RADIUS_M):
        return Candidate(other, d, round(similarity, 3), round(score, 3))
    return None


def candidates(session: Session, case: Feedback, *, limit: int = 5) -> list[Candidate]:
    """Open cases that may report the same problem as ``case``, best first."""
    field = _field(case)
    since = case.received_at - WINDOW
    stmt = select(Feedback).where(
        Feedback.id != case.id,
        Feedback.status.in_(OPEN_STATUSES),
        Feedback.duplicate_of.is_(None),
        Feedback.received_at >= since,
    )
    if field:
        stmt = stmt.where(
            or_(
                Feedback.category_code == field,
                Feedback.category_code.startswith(field + "."),
                and_(Feedback.category_code.is_(None),
                     Feedback.suggested_category.startswith(field)),
            )
        )  # fmt: skip
    if case.lat is not None and case.lon is not None:
        dlat, dlon = _box(case.lat)
        near = and_(Feedback.lat.between(case.lat - dlat, case.lat + dlat),
                    Feedback.lon.between(case.lon - dlon, case.lon + dlon))  # fmt: skip
        stmt = stmt.where(or_(near, and_(Feedback.lat.is_(None),
                                         Feedback.area_code == case.area_code)))  # fmt: skip
    elif case.area_code is not None:
        stmt = stmt.where(Feedback.area_code == case.area_code)
    else:
        return []
    mine = fold(case.description)
    found = [
        hit
        for other in session.execute(stmt.limit(200)).scalars()
        if (hit := _scored(case, mine, other, fold(other.description)))
    ]
    found.sort(key=lambda c: (-c.score, c.case.received_at))
    return found[:limit]


_CELL = 0.01  # degrees (about 1,1 km): the inbox's grid; a match lies in the 3 × 3 around


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return math.floor(lat / _CELL), math.floor(lon / _CELL)


def best_for(session: Session, cases: Sequence[Feedback]) -> dict[str, Candidate]:
    """The best suggestion (as :func:`candidates` ranks them) for each of ``cases`` that has
    one, by case id — from one query for them all (the triage inbox's duplicates view): the
    open cases of the window are read as plain rows, put on a grid and in communes, and each
    case is compared with its neighbours only."""
    if not cases:
        return {}
    since = min(c.received_at for c in cases) - WINDOW
    pool = session.execute(
        select(Feedback.id, Feedback.lat, Feedback.lon, Feedback.area_code,
               Feedback.category_code, Feedback.suggested_category, Feedback.description,
               Feedback.received_at)
        .where(Feedback.status.in_(OPEN_STATUSES), Feedback.duplicate_of.is_(None),
               Feedback.received_at >= since)
    ).all()  # fmt: skip
    cells: dict[tuple[int, int], list[Any]] = {}
    by_area: dict[str | None, list[Any]] = {}
    pointless: dict[str | None, list[Any]] = {}
    for row in pool:
        by_area.setdefault(row.area_code, []).append(row)
        if row.lat is None or row.lon is None:
            pointless.setdefault(row.area_code, []).append(row)
        else:
            cells.setdefault(_cell(row.lat, row.lon), []).append(row)
    best: dict[str, Candidate] = {}
    folded: dict[str, str] = {}
    for case in cases:
        if case.lat is not None and case.lon is not None:
            i, j = _cell(case.lat, case.lon)
            dlat, dlon = _box(case.lat)
            around = [r for di in (-1, 0, 1) for dj in (-1, 0, 1)
                      for r in cells.get((i + di, j + dj), ())]  # fmt: skip
            near = [r for r in around
                    if abs(r.lat - case.lat) <= dlat and abs(r.lon - case.lon) <= dlon]  # fmt: skip
            near += pointless.get(case.area_code, [])
        elif case.area_code is not None:
            near = by_area.get(case.area_code, [])
        else:
            continue
        field, mine, oldest = _field(case), fold(case.description), case.received_at - WINDOW
        for other in near:
            if other.id == case.id or other.received_at < oldest:
                continue
            if field and _field(other) != field:
                continue
            theirs = folded.get(other.id)
            if theirs is None:
                theirs = folded[other.id] = fold(other.description)
            hit = _scored(case, mine, other, theirs)
            kept = best.get(case.id)
            if hit and (kept is None or (-hit.score, hit.case.received_at)
                        < (-kept.score, kept.case.received_at)):  # fmt: skip
                best[case.id] = hit
    found = {c.case.id for c in best.values()}
    rows = session.execute(select(Feedback).where(Feedback.id.in_(found))).scalars()
    full = {row.id: row for row in rows}
    return {case_id: replace(c, case=full[c.case.id]) for case_id, c in best.items()}
