"""Photos of reports and resolutions: checked, their GPS position read, then re-encoded so
no stored copy keeps any metadata (EXIF: position, device, owner, time; XMP; JPEG comments;
PNG text chunks). Only the colour profile (ICC) is kept: it describes colours, not the person,
and without it a wide-gamut phone photo shows dull.

Only JPEG, PNG and WebP are accepted, recognised by their content (never by the name or the
declared type), at most ``MAX_BYTES`` each and ``MAX_PIXELS`` in area (a decompression bomb
is refused before decoding). A phone camera's multi-picture JPEG (MPO) is stored as a plain
JPEG of its first picture. Large photos are scaled to ``MAX_SIDE`` pixels on the long side.
This module does no database work.
"""

from __future__ import annotations

import hashlib
import io
import math
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
_SAME_AS = {"MPO": "JPEG"}  # what Pillow names a multi-picture JPEG (phone cameras)
# What a re-encoded copy may take from the original besides its pixels. Pillow's writers fall
# back to the image's info for some keys (a JPEG's comment), so every other key is dropped.
_KEPT_INFO = ("icc_profile", "transparency")
# A profile describes one colour space (bytes 16-19 of its header): it is kept only on pixels
# of that space (a CMYK JPEG's profile would miscolour the RGB copy).
_PROFILE_SPACE = {"RGB": b"RGB ", "RGBA": b"RGB ", "P": b"RGB ", "L": b"GRAY", "LA": b"GRAY"}
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
        "error.photo_over_limit": (
            "Ảnh {name} lớn hơn {limit} MB; tối đa {limit} MB mỗi ảnh.",
            "Photo {name} is over {limit} MB; at most {limit} MB per photo.",
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


def _too_large(raw: bytes, label: str) -> Invalid:
    """The refusal of a photo over ``MAX_BYTES``. The form and the API read at most
    ``MAX_BYTES + 1`` bytes of an upload: that many says "over the limit", not the size."""
    limit = MAX_BYTES // 1048576
    details = {"name": label, "max_bytes": MAX_BYTES}
    if len(raw) == MAX_BYTES + 1:
        key = "error.photo_over_limit"
        return Invalid("photo_too_large", message_key=key, details=details, name=label, limit=limit)
    size = math.ceil(len(raw) * 10 / 1048576) / 10  # rounded up: never shown as the limit
    return Invalid(
        "photo_too_large",
        details=details | {"bytes": len(raw)},
        name=label,
        size=f"{size:.1f}".replace(".", ","),
        limit=limit,
    )


def _encode(image: Image.Image, fmt: str) -> bytes:
    """The pixels in ``fmt`` with nothing of the original's metadata but ``_KEPT_INFO``."""
    if fmt == "JPEG":
        image = image.convert("RGB")
    image.info = {k: v for k, v in image.info.items() if k in _KEPT_INFO}
    icc = image.info.pop("icc_profile", None)
    if not isinstance(icc, bytes) or icc[16:20] != _PROFILE_SPACE.get(image.mode):
        icc = None
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=85, optimize=True, icc_profile=icc)
    elif fmt == "PNG":
        image.save(out, "PNG", optimize=True, icc_profile=icc)
    else:
        image.save(out, "WEBP", quality=85, icc_profile=icc)
    return out.getvalue()


def clean(raw: bytes, name: str = "") -> CleanPhoto:
    """Check one upload and return it without metadata (422 when it is not a photo)."""
    label = name[:80] or "?"
    if len(raw) > MAX_BYTES:
        raise _too_large(raw, label)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            fmt = _SAME_AS.get(image.format or "", image.format)
            if fmt not in FORMATS or image.width * image.height > MAX_PIXELS:
                raise Invalid("photo_not_image", details={"name": label}, name=label)
            lat, lon = _gps(image)
            image.load()  # an MPO: its first picture only
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):  # fmt: skip
        raise Invalid("photo_not_image", details={"name": label}, name=label) from None
    upright = ImageOps.exif_transpose(image)  # the EXIF orientation, applied to the pixels
    upright.thumbnail((MAX_SIDE, MAX_SIDE))
    data = _encode(upright, fmt)
    return CleanPhoto(
        FORMATS[fmt], data, upright.width, upright.height, hashlib.sha256(data).hexdigest(),
        lat, lon,
    )  # fmt: skip


def check_count(count: int) -> None:
    """Refuse more than ``MAX_PHOTOS`` photos."""
    if count > MAX_PHOTOS:
        raise Invalid("too_many_photos", details={"limit": MAX_PHOTOS}, limit=MAX_PHOTOS)
