"""Photos: type and size checks, GPS read from EXIF, metadata stripped from what is stored."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from iocvn.core.errors import Invalid
from iocvn.feedback import photos


def jpeg_with_gps(lat: float = 21.853, lon: float = 106.761, size: int = 64) -> bytes:
    """A small JPEG whose EXIF holds a GPS position, a camera owner and a device."""
    image = Image.new("RGB", (size, size), (200, 30, 30))
    exif = Image.Exif()
    exif[0x013B] = "Nguyen Van Chup"  # Artist
    exif[0x0110] = "Phone XYZ"  # Model

    def dms(v: float) -> tuple[float, float, float]:
        d = int(v)
        m = int((v - d) * 60)
        s = round(((v - d) * 60 - m) * 60, 4)
        return (float(d), float(m), s)

    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", dms(lat), "E", dms(lon)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png(size: int = 32) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), (0, 90, 200)).save(out, "PNG")
    return out.getvalue()


def test_gps_is_read_and_every_metadata_stripped() -> None:
    raw = jpeg_with_gps()
    assert b"Exif" in raw and b"Chup" in raw
    clean = photos.clean(raw, "a.jpg")
    assert clean.lat == pytest.approx(21.853, abs=1e-4)
    assert clean.lon == pytest.approx(106.761, abs=1e-4)
    assert clean.content_type == "image/jpeg"
    assert b"Exif" not in clean.data
    assert b"Chup" not in clean.data and b"XYZ" not in clean.data
    again = Image.open(io.BytesIO(clean.data))
    assert not again.getexif()
    assert (again.width, again.height) == (64, 64)


def test_png_without_position() -> None:
    clean = photos.clean(png(), "b.png")
    assert (clean.content_type, clean.lat, clean.lon) == ("image/png", None, None)


def test_large_photos_are_scaled_down() -> None:
    out = io.BytesIO()
    Image.new("RGB", (4000, 1000)).save(out, "JPEG")
    clean = photos.clean(out.getvalue())
    assert (clean.width, clean.height) == (2048, 512)


@pytest.mark.parametrize(
    "raw",
    [
        b"%PDF-1.7 not a photo",
        b"<script>alert(1)</script>",
        b"GIF89a" + b"\0" * 20,
        b"",
    ],
)
def test_non_images_are_refused(raw: bytes) -> None:
    with pytest.raises(Invalid) as refused:
        photos.clean(raw, "x.jpg")
    assert refused.value.code == "photo_not_image"


def test_oversized_files_and_too_many_photos_are_refused() -> None:
    with pytest.raises(Invalid) as big:
        photos.clean(b"\xff" * (photos.MAX_BYTES + 1), "big.jpg")
    assert big.value.code == "photo_too_large"
    photos.check_count(5)
    with pytest.raises(Invalid) as many:
        photos.check_count(6)
    assert many.value.code == "too_many_photos"


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")  # 100 M pixels, a few kB
    with pytest.raises(Invalid) as bomb:
        photos.clean(out.getvalue(), "bomb.png")
    assert bomb.value.code == "photo_not_image"
