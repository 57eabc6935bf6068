"""1-minute, 1-hour and 1-day rollups (min, max, sum, count per device, quantity and bucket),
kept up to date as readings are stored: the readings a batch really inserted (never a
duplicate) are aggregated per bucket and merged into the stored buckets — min of mins, max of
maxes, sums and counts added (:func:`combine`) — so a bucket equals the aggregate of its raw
readings whatever the order or lateness of their arrival (docs/decisions/0007-sensor-storage.md).
This module is the arithmetic (pure); :mod:`.store` writes it (on PostgreSQL in SQL).

Buckets start at multiples of the step in UTC; a day starts at midnight in Vietnam
(UTC+7, no daylight saving), as people read a day.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from iocvn.sensors.kinds import STEPS

DAY = 86400
DAY_OFFSET_S = 7 * 3600  # Asia/Ho_Chi_Minh is UTC+7 all year
STEP_SECONDS: tuple[int, ...] = tuple(STEPS.values())


def bucket_start(epoch: float, step: int) -> int:
    """The start (Unix seconds) of the ``step``-second bucket holding ``epoch``."""
    if step == DAY:
        return math.floor((epoch + DAY_OFFSET_S) / DAY) * DAY - DAY_OFFSET_S
    return math.floor(epoch / step) * step


def bucket_of(ts: datetime, step: int) -> datetime:
    """The start of the bucket holding ``ts``, as an aware UTC datetime."""
    return datetime.fromtimestamp(bucket_start(ts.timestamp(), step), UTC)


@dataclass
class Agg:
    """Running aggregates of one bucket."""

    min: float
    max: float
    sum: float
    count: int

    @property
    def avg(self) -> float:
        """The mean of the bucket's values."""
        return self.sum / self.count


Key = tuple[int, str, int, int]  # device id, quantity, step, bucket start (Unix s)


def aggregate(
    readings: Iterable[tuple[int, str, datetime, float]], steps: Sequence[int] = STEP_SECONDS
) -> dict[Key, Agg]:
    """Aggregate (device id, quantity, ts, value) readings into buckets of every step."""
    out: dict[Key, Agg] = {}
    for device_id, quantity, ts, value in readings:
        epoch = ts.timestamp()
        for step in steps:
            key = (device_id, quantity, step, bucket_start(epoch, step))
            agg = out.get(key)
            if agg is None:
                out[key] = Agg(value, value, value, 1)
            else:
                if value < agg.min:
                    agg.min = value
                if value > agg.max:
                    agg.max = value
                agg.sum += value
                agg.count += 1
    return out


def combine(a: Agg, b: Agg) -> Agg:
    """Two aggregates of disjoint readings of one bucket as one (what :func:`merge` does)."""
    return Agg(min(a.min, b.min), max(a.max, b.max), a.sum + b.sum, a.count + b.count)
