"""Charts drawn as SVG on the server, so pages, reports and phones show the same picture
with no chart library and no script (the CSP allows none inline anyway)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from iocvn.core.numbers import format_number


def _scale(values: Sequence[float], low_pad: float = 0.08) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    span = hi - lo
    return lo - span * low_pad, hi + span * low_pad


def sparkline(values: Sequence[float | None], width: int = 120, height: int = 28) -> Markup:
    """A small trend line of the known values (gaps are skipped), or nothing."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(known) < 2:
        return Markup("")
    lo, hi = _scale([v for _, v in known])
    step = width / max(len(values) - 1, 1)
    points = " ".join(
        f"{i * step:.1f},{height - (v - lo) / (hi - lo) * height:.1f}" for i, v in known
    )
    return Markup(  # noqa: S704 - numbers only
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" aria-hidden="true"><polyline points="{points}" fill="none" '
        f'stroke="currentColor" stroke-width="1.6"/></svg>'
    )


def line_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    target: Sequence[float | None] | None = None,
    decimals: int = 1,
    width: int = 640,
    height: int = 240,
    title: str = "",
) -> Markup:
    """A line of values over periods with an optional dashed target line and y-axis labels."""
    series = [v for v in values if v is not None] + [v for v in (target or []) if v is not None]
    if not series:
        return Markup("")
    left, right, top, bottom = 64, 12, 12, 28
    lo, hi = _scale(series)
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(labels) - 1, 1)

    def xy(i: int, v: float) -> str:
        return f"{left + i * step:.1f},{top + plot_h - (v - lo) / (hi - lo) * plot_h:.1f}"

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">'
    ]
    for k in range(5):
        tick = lo + (hi - lo) * k / 4
        y = top + plot_h - plot_h * k / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#d9dee5" stroke-width="1"/><text x="{left - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end" font-size="11" fill="#5b6675">'
            f"{format_number(tick, decimals)}</text>"
        )
    every = max(1, len(labels) // 8)
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            parts.append(
                f'<text x="{left + i * step:.1f}" y="{height - 8}" text-anchor="middle" '
                f'font-size="11" fill="#5b6675">{escape(label)}</text>'
            )
    if target and any(t is not None for t in target):
        pts = " ".join(xy(i, t) for i, t in enumerate(target) if t is not None)
        parts.append(
            f'<polyline class="target-line" points="{pts}" fill="none" stroke="#a15c00" '
            f'stroke-width="1.5" stroke-dasharray="5 4"/>'
        )
    pts = " ".join(xy(i, v) for i, v in enumerate(values) if v is not None)
    parts.append(
        f'<polyline class="value-line" points="{pts}" fill="none" stroke="#0b5cad" '
        f'stroke-width="2.2"/>'
    )
    for i, point in enumerate(values):
        if point is not None:
            cx, cy = xy(i, point).split(",")
            parts.append(
                f'<circle cx="{cx}" cy="{cy}" r="3" fill="#0b5cad"><title>{escape(labels[i])}: '
                f"{format_number(point, decimals)}</title></circle>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - numbers, and labels escaped above
