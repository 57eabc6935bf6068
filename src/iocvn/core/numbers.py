"""Vietnamese number formatting for the UI: ``1.234.567,5`` (APIs keep machine formats)."""

from __future__ import annotations

from decimal import Decimal


def format_number(value: float | int | None, decimals: int = 0) -> str:
    """Format with ``.`` between thousands and ``,`` before decimals; '' for None."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def editable_number(value: float, lang: str = "vi") -> str:
    """A stored value as an input shows it for editing, in the page's language, with every
    decimal it has (never rounded, never ``1.2e+06``), so saving a page unchanged changes
    nothing: ``1234567.5`` → ``1.234.567,5`` (vi) or ``1,234,567.5`` (en)."""
    exact = format(Decimal(repr(float(value))), "f")  # the shortest digits that read back
    whole, _, fraction = exact.lstrip("-").partition(".")
    fraction = fraction.rstrip("0")
    decimal_mark, group_mark = (".", ",") if lang == "en" else (",", ".")
    text = ("-" if exact.startswith("-") else "") + f"{int(whole):,}".replace(",", group_mark)
    return f"{text}{decimal_mark}{fraction}" if fraction else text
