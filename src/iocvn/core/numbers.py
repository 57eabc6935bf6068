"""Vietnamese number formatting for the UI: ``1.234.567,5`` (APIs keep machine formats)."""

from __future__ import annotations


def format_number(value: float | int | None, decimals: int = 0) -> str:
    """Format with ``.`` between thousands and ``,`` before decimals; '' for None."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
