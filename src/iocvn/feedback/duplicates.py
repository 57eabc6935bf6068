"""Duplicate suggestions (phản ánh trùng): open cases near a report, of the same field, recent,
with similar words — ranked so an operator judges the likeliest first.

Score (0–1) = 0.4 × nearness (1 at the same spot, 0 at ``RADIUS_M``) + 0.4 × text similarity
(rapidfuzz token-set ratio of the folded texts) + 0.2 × recency (1 now, 0 at ``WINDOW``). A
case without a point is compared within the same commune at nearness 0.5. Only suggestions:
merging is an operator's decision (:func:`iocvn.feedback.workflow.merge`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

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


def candidates(session: Session, case: Feedback, *, limit: int = 5) -> list[Candidate]:
    """Open cases that may report the same problem as ``case``, best first."""
    category = case.category_code or case.suggested_category
    since = case.received_at - WINDOW
    stmt = select(Feedback).where(
        Feedback.id != case.id,
        Feedback.status.in_(OPEN_STATUSES),
        Feedback.duplicate_of.is_(None),
        Feedback.received_at >= since,
    )
    if category:
        field = top_level(category)
        stmt = stmt.where(
            or_(
                Feedback.category_code == field,
                Feedback.category_code.startswith(field + "."),
                and_(Feedback.category_code.is_(None),
                     Feedback.suggested_category.startswith(field)),
            )
        )  # fmt: skip
    if case.lat is not None and case.lon is not None:
        dlat = RADIUS_M / 111_320
        dlon = dlat / max(0.1, math.cos(math.radians(case.lat)))
        near = and_(Feedback.lat.between(case.lat - dlat, case.lat + dlat),
                    Feedback.lon.between(case.lon - dlon, case.lon + dlon))  # fmt: skip
        stmt = stmt.where(or_(near, and_(Feedback.lat.is_(None),
                                         Feedback.area_code == case.area_code)))  # fmt: skip
    elif case.area_code is not None:
        stmt = stmt.where(Feedback.area_code == case.area_code)
    else:
        return []
    mine = fold(case.description)
    found = []
    for other in session.execute(stmt.limit(200)).scalars():
        if case.lat is not None and other.lat is not None and other.lon is not None:
            d: float | None = distance_m(case.lat, case.lon or 0.0, other.lat, other.lon)
            nearness = max(0.0, 1 - (d or 0.0) / RADIUS_M)
        else:
            d, nearness = None, 0.5
        similarity = fuzz.token_set_ratio(mine, fold(other.description)) / 100
        age = abs(case.received_at - other.received_at) / WINDOW
        score = 0.4 * nearness + 0.4 * similarity + 0.2 * max(0.0, 1 - age)
        if score >= MIN_SCORE and (d is None or d <= RADIUS_M):
            found.append(Candidate(other, d, round(similarity, 3), round(score, 3)))
    found.sort(key=lambda c: (-c.score, c.case.received_at))
    return found[:limit]
