"""Photos of reports and resolutions: checked, their GPS position read, then re-encoded so
no stored copy keeps any metadata (EXIF: position, device, owner, time).

Only JPEG, PNG and WebP are accepted, recognised by their content (never by the name or the
declared type), at most ``MAX_BYTES`` each and ``MAX_PIXELS`` in area (a decompression bomb
is refused before decoding). Large photos are scaled to ``MAX_SIDE`` pixels on the long side.
This module does no database work.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from iocvn.core.errors import Invalid
from iocvn.core.i18n import register

MAX_PHOTOS = 5
MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2048
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_GPS_IFD = 0x8825

register(
    {
        "error.too_many_photos": (
            "Tối đa {limit} ảnh cho một phản ánh.",
            "At most {limit} photos per report.",
        ),
        "error.photo_too_large": (
            "Ảnh {name} quá lớn ({size} MB); tối đa {limit} MB.",
            "Photo {name} is too large ({size} MB); at most {limit} MB.",
        ),
        "error.photo_not_image": (
            "Tệp {name} không phải ảnh JPEG, PNG hoặc WebP.",
            "File {name} is not a JPEG, PNG or WebP image.",
        ),
    }
)


@dataclass(frozen=True)
class CleanPhoto:
    """A photo ready to store: re-encoded bytes without metadata, and what was read."""

    content_type: str
    data: bytes
    width: int
    height: int
    sha256: str
    lat: float | None
    lon: float | None


def _ratio(value: object) -> float:
    if isinstance(value, tuple) and len(value) == 2:
        return float(value[0]) / float(value[1]) if value[1] else 0.0
    return float(value)  # type: ignore[arg-type]


def _gps(image: Image.Image) -> tuple[float | None, float | None]:
    """Latitude and longitude from the EXIF GPS block, when present and sane."""
    try:
        gps = image.getexif().get_ifd(_GPS_IFD)
        if not gps or 2 not in gps or 4 not in gps:
            return None, None
        lat = sum(_ratio(v) / 60**i for i, v in enumerate(gps[2]))
        lon = sum(_ratio(v) / 60**i for i, v in enumerate(gps[4]))
    except (KeyError, TypeError, ValueError, ZeroDivisionError, AttributeError):
        return None, None
    if gps.get(1) in ("S", b"S"):
        lat = -lat
    if gps.get(3) in ("W", b"W"):
        lon = -lon
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None, None
    return round(lat, 7), round(lon, 7)


def clean(raw: bytes, name: str = "") -> CleanPhoto:
    """Check one upload and return it without metadata (422 when it is not a photo)."""
    label = name[:80] or "?"
    if len(raw) > MAX_BYTES:
        raise Invalid(
            "photo_too_large",
            details={"name": label, "bytes": len(raw)},
            name=label,
            size=f"{len(raw) / 1048576:.1f}".replace(".", ","),
            limit=MAX_BYTES // 1048576,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            if image.format not in FORMATS or image.width * image.height > MAX_PIXELS:
                raise Invalid("photo_not_image", details={"name": label}, name=label)
            lat, lon = _gps(image)
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):  # fmt: skip
        raise Invalid("photo_not_image", details={"name": label}, name=label) from None
    fmt = image.format
    upright = ImageOps.exif_transpose(image)  # the EXIF orientation, applied to the pixels
    upright.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    if fmt == "JPEG":
        upright.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    elif fmt == "PNG":
        upright.save(out, "PNG", optimize=True)
    else:
        upright.save(out, "WEBP", quality=85)
    data = out.getvalue()
    return CleanPhoto(
        FORMATS[fmt], data, upright.width, upright.height, hashlib.sha256(data).hexdigest(),
        lat, lon,
    )  # fmt: skip


def check_count(count: int) -> None:
    """Refuse more than ``MAX_PHOTOS`` photos."""
    if count > MAX_PHOTOS:
        raise Invalid("too_many_photos", details={"limit": MAX_PHOTOS}, limit=MAX_PHOTOS)
