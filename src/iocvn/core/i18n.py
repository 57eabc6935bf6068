"""Translations: Vietnamese first, English second.

Each domain registers its own messages (``register({...})``) so catalogues live next to the
code that uses them. A key maps to ``(vi, en)``; ``{name}`` placeholders are filled from params.
"""

from __future__ import annotations

from typing import Any, Literal

Lang = Literal["vi", "en"]
LANGS: tuple[Lang, ...] = ("vi", "en")
DEFAULT_LANG: Lang = "vi"

_CATALOGUE: dict[str, tuple[str, str]] = {}


def register(messages: dict[str, tuple[str, str]]) -> None:
    """Add a domain's messages; a key registered twice with other text is a bug."""
    for key, pair in messages.items():
        old = _CATALOGUE.get(key)
        if old is not None and old != pair:
            raise ValueError(f"i18n key {key!r} registered twice with different text")
        _CATALOGUE[key] = pair


def catalogue() -> dict[str, tuple[str, str]]:
    """Every registered message (for tests and the JS bundle)."""
    return dict(_CATALOGUE)


def t(key: str, lang: str = DEFAULT_LANG, **params: Any) -> str:
    """The message for ``key`` in ``lang``; the key itself when unknown (visible, not silent)."""
    pair = _CATALOGUE.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "en" else pair[0]
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def negotiate(accept_language: str | None, cookie: str | None = None) -> Lang:
    """Pick ``vi`` or ``en``: an explicit cookie wins, then Accept-Language, then ``vi``."""
    if cookie in LANGS:
        return "en" if cookie == "en" else "vi"
    if not accept_language:
        return DEFAULT_LANG
    best: tuple[float, Lang] = (0.0, DEFAULT_LANG)
    for part in accept_language.split(","):
        fields = part.strip().split(";")
        tag = fields[0].strip().lower()
        q = 1.0
        for f in fields[1:]:
            f = f.strip()
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        primary = tag.split("-")[0]
        if primary in ("vi", "en") and q > best[0]:
            best = (q, "en" if primary == "en" else "vi")
    return best[1]


register(
    {
        "error.bad_request": ("Yêu cầu không hợp lệ.", "The request is not valid."),
        "error.not_found": ("Không tìm thấy.", "Not found."),
        "error.route_not_found": (
            "Không có đường dẫn này.",
            "There is no such route.",
        ),
        "error.method_not_allowed": (
            "Phương thức không được hỗ trợ cho đường dẫn này.",
            "This method is not allowed on this route.",
        ),
        "error.conflict": ("Dữ liệu bị trùng hoặc xung đột.", "The data conflicts."),
        "error.invalid": ("Dữ liệu không hợp lệ.", "The data is not valid."),
        "error.validation_error": (
            "Dữ liệu gửi lên không hợp lệ, xem chi tiết.",
            "The submitted data is not valid; see details.",
        ),
        "error.malformed_json": (
            "Nội dung JSON không đúng cú pháp.",
            "The body is not well-formed JSON.",
        ),
        "error.unsupported_media_type": (
            "Kiểu nội dung không được hỗ trợ; hãy gửi application/json.",
            "Unsupported content type; send application/json.",
        ),
        "error.payload_too_large": (
            "Nội dung gửi lên quá lớn.",
            "The request body is too large.",
        ),
        "error.unauthenticated": (
            "Cần đăng nhập hoặc mã truy cập hợp lệ.",
            "Log in or present a valid API token.",
        ),
        "error.forbidden": (
            "Bạn không có quyền thực hiện thao tác này.",
            "You are not allowed to do this.",
        ),
        "error.csrf_failed": (
            "Phiên biểu mẫu đã hết hạn, hãy tải lại trang.",
            "The form has expired; reload the page.",
        ),
        "error.internal": (
            "Lỗi hệ thống; sự cố đã được ghi lại.",
            "Internal error; it has been logged.",
        ),
        "error.data_key_missing": (
            "Chưa cấu hình khóa mã hóa dữ liệu (IOCVN_DATA_KEYS).",
            "No data-encryption key is configured (IOCVN_DATA_KEYS).",
        ),
        "error.data_key_wrong": (
            "Khóa mã hóa dữ liệu không đúng.",
            "The data-encryption key does not match.",
        ),
    }
)
