"""Vietnamese text normalisation for citizen feedback (phản ánh, kiến nghị).

Three forms of a report's text:

- ``normalize``: what a person wrote, made comparable: Unicode NFC, lower case, invisible
  characters dropped, whitespace collapsed; diacritics kept (for display and search).
- ``fold``: the diacritics-insensitive form the classifier reads: ASCII letters, digits and
  single spaces (``Đèn đường hỏng!`` → ``den duong hong``), so a report typed without
  accents ("den duong hong") looks exactly like one typed with them.
- ``features``: the folded form with common chat shorthand spelled out (``ko`` → ``khong``,
  ``dc`` → ``duoc``).

Pure functions that never raise on any ``str``; no I/O, no models.
"""

from __future__ import annotations

import unicodedata

# Letters that carry no combining mark to strip: đ/Đ (and the look-alike eth) are a
# separate letter in Vietnamese, written "d" when typed without accents.
_LETTERS = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})

# Shorthand people type in messages, on the folded form (whole words only): the common
# readings only ("ng" is nearly always "người", rarely "ngõ"), so that "ko dc" and
# "không được" give the classifier the same words.
SHORTHAND = {
    "k": "khong",
    "ko": "khong",
    "kg": "khong",
    "hok": "khong",
    "khg": "khong",
    "dc": "duoc",
    "j": "gi",
    "ng": "nguoi",
    "vs": "voi",
    "bn": "bao nhieu",
    "mk": "minh",
    "tp": "thanh pho",
    "ubnd": "uy ban nhan dan",
    "qa": "qua",
    "wa": "qua",
    "r": "roi",
    "ns": "noi",
    "cq": "co quan",
    "cqcn": "co quan chuc nang",
}


def normalize(text: str) -> str:
    """NFC, lower case, invisible characters dropped, whitespace collapsed; diacritics kept."""
    text = "".join(ch for ch in text if not _is_invisible(ch))
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).lower())
    return " ".join(text.split())


def fold(text: str) -> str:
    """ASCII letters, digits and single spaces, without diacritics: ``Ổ gà`` → ``o ga``."""
    text = unicodedata.normalize("NFKD", text).lower()
    text = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    out = []
    for ch in text:
        if unicodedata.combining(ch):
            continue  # a tone or vowel mark: dropped, its letter stays
        out.append(ch if ch.isascii() and ch.isalnum() else " ")
    return " ".join("".join(out).lower().split())


def features(text: str) -> str:
    """The folded text with chat shorthand spelled out, as the classifier reads it."""
    return " ".join(SHORTHAND.get(word, word) for word in fold(text).split())


def _is_invisible(ch: str) -> bool:
    # Control and format characters (zero-width space, BOM, soft hyphen) hide inside pasted
    # text; dropped before NFC so that a mark they separated from its letter composes.
    return unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} and not ch.isspace()
