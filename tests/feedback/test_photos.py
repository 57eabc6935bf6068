"""Photos: type and size checks, GPS read from EXIF, metadata stripped from what is stored."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo

from iocvn.config import Settings
from iocvn.core import i18n
from iocvn.core.errors import Invalid
from iocvn.feedback import photos

SECRET = "0912345678"  # a phone number a camera app or an editor wrote into the file
XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    '22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
    f'dc:creator="Nguyen Van Chup {SECRET}"/></rdf:RDF></x:xmpmeta>'
).encode()
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


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


def _exif() -> Image.Exif:
    """EXIF with an owner, a device and a GPS position."""
    return Image.open(io.BytesIO(jpeg_with_gps())).getexif()


def _picture() -> Image.Image:
    return Image.new("RGB", (64, 48), (200, 30, 30))


def jpeg_with_everything() -> bytes:
    """A JPEG with EXIF, XMP, a comment (COM) and a colour profile."""
    out = io.BytesIO()
    _picture().save(out, "JPEG", exif=_exif(), xmp=XMP, comment=f"Goi {SECRET}".encode(),
                    icc_profile=SRGB)  # fmt: skip
    return out.getvalue()


def png_with_everything() -> bytes:
    """A PNG with text chunks (tEXt, zTXt, iTXt), XMP (in iTXt), EXIF (eXIf), a profile."""
    text = PngInfo()
    text.add_text("Author", f"Nguyen Van Chup {SECRET}")
    text.add_text("Comment", f"Goi {SECRET}", zip=True)
    text.add_itxt("Description", f"Gọi {SECRET}", lang="vi", tkey="Mô tả")
    text.add_itxt("XML:com.adobe.xmp", XMP.decode())
    out = io.BytesIO()
    _picture().save(out, "PNG", pnginfo=text, exif=_exif(), icc_profile=SRGB)
    return out.getvalue()


def webp_with_everything() -> bytes:
    """A WebP with EXIF, XMP and a colour profile."""
    out = io.BytesIO()
    _picture().save(out, "WEBP", exif=_exif(), xmp=XMP, icc_profile=SRGB)
    return out.getvalue()


def mpo_with_everything() -> bytes:
    """A phone camera's multi-picture JPEG (MPO): two frames, EXIF, XMP and a comment."""
    out = io.BytesIO()
    _picture().save(out, "MPO", save_all=True, append_images=[Image.new("RGB", (64, 48))],
                    exif=_exif(), xmp=XMP, comment=f"Goi {SECRET}".encode(),
                    icc_profile=SRGB)  # fmt: skip
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


@pytest.mark.parametrize(
    ("make", "content_type"),
    [
        (jpeg_with_everything, "image/jpeg"),
        (png_with_everything, "image/png"),
        (webp_with_everything, "image/webp"),
        (mpo_with_everything, "image/jpeg"),
    ],
)
def test_no_stored_copy_keeps_any_metadata_but_the_colour_profile(
    make: Callable[[], bytes], content_type: str
) -> None:
    raw = make()
    assert SECRET.encode() in raw or b"zTXt" in raw  # the test images do carry it
    clean = photos.clean(raw, "x")
    assert clean.content_type == content_type
    assert (clean.lat, clean.lon) != (None, None)  # the position was read before stripping
    for leak in (SECRET.encode(), b"Chup", b"Phone XYZ", b"xmpmeta", b"Exif", b"EXIF",
                 b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"XMP "):  # fmt: skip
        assert leak not in clean.data, leak
    again = Image.open(io.BytesIO(clean.data))
    assert not again.getexif()
    assert not {"comment", "xmp", "exif", "XML:com.adobe.xmp"} & set(again.info)
    assert not getattr(again, "text", {})
    # The colour profile describes colours, not people: kept, so colours stay true.
    assert again.info.get("icc_profile") == SRGB


def test_a_profile_of_another_colour_space_is_dropped() -> None:
    cmyk = SRGB[:16] + b"CMYK" + SRGB[20:]  # a print profile: the stored copy is RGB
    out = io.BytesIO()
    Image.new("CMYK", (16, 16), (0, 200, 200, 0)).save(out, "JPEG", icc_profile=cmyk)
    again = Image.open(io.BytesIO(photos.clean(out.getvalue(), "in.jpg").data))
    assert again.mode == "RGB" and "icc_profile" not in again.info


def test_a_multi_picture_jpeg_is_stored_as_its_first_picture() -> None:
    clean = photos.clean(mpo_with_everything(), "IMG_0001.JPG")
    again = Image.open(io.BytesIO(clean.data))
    assert (again.format, getattr(again, "n_frames", 1)) == ("JPEG", 1)
    assert (clean.width, clean.height) == (64, 48)
    assert again.getpixel((10, 10)) != (0, 0, 0)  # the first picture, not the second


def _message(error: Invalid, lang: str) -> str:
    return i18n.t(error.message_key, lang, **error.params)


def test_a_photo_read_only_up_to_the_limit_is_said_to_be_over_it() -> None:
    # The form and the API read MAX_BYTES + 1 bytes of a file: its true size is unknown.
    with pytest.raises(Invalid) as cut:
        photos.clean(b"\xff" * (photos.MAX_BYTES + 1), "to.jpg")
    assert cut.value.code == "photo_too_large"
    assert _message(cut.value, "vi") == "Ảnh to.jpg lớn hơn 8 MB; tối đa 8 MB mỗi ảnh."
    assert _message(cut.value, "en") == "Photo to.jpg is over 8 MB; at most 8 MB per photo."
    assert "bytes" not in cut.value.details
    # Read whole (Open311), the size is known and named, never rounded down to the limit.
    with pytest.raises(Invalid) as whole:
        photos.clean(b"\xff" * 20 * 1024 * 1024, "to.jpg")
    assert _message(whole.value, "vi") == "Ảnh to.jpg quá lớn (20,0 MB); tối đa 8 MB."
    assert whole.value.details["bytes"] == 20 * 1024 * 1024
    with pytest.raises(Invalid) as just:
        photos.clean(b"\xff" * (photos.MAX_BYTES + 1000), "to.jpg")
    assert _message(just.value, "en") == "Photo to.jpg is too large (8,1 MB); at most 8 MB."


def test_the_body_limit_admits_a_report_with_every_photo_at_its_largest() -> None:
    default = Settings.model_fields["max_body_bytes"].default
    # Room for the form's fields and the multipart framing: the description (5 000 characters,
    # up to 3 bytes each), contact details, a part header per photo.
    assert default >= photos.MAX_PHOTOS * photos.MAX_BYTES + 64 * 1024
