"""Public warnings in OASIS CAP 1.2: every message iocvn writes is valid against the official
XSD and reads back as written; inputs outside CAP's rules are refused with a clear error."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from iocvn.alerts import area as area_module
from iocvn.alerts import cap
from iocvn.alerts import warning as warning_module
from iocvn.alerts.area import Area, Circle, cap_polygon, polygons_from_geojson, ring_from_cap
from iocvn.alerts.cap import (
    SCHEMA_FILE,
    CapMessage,
    Reference,
    marked_message,
    new_identifier,
    read,
    references_for,
    to_bytes,
    validate,
)
from iocvn.alerts.warning import (
    PublicWarning,
    Translation,
    marked,
    translation_from_api,
    warning_from_api,
)
from iocvn.core.errors import Invalid
from iocvn.core.i18n import catalogue, t
from iocvn.core.timeutil import LOCAL_TZ
from tests.factories.cap import RING, SENDER, SENT, body, english, message, parse, texts, warning

H = timedelta(hours=1)


# --- the envelope --------------------------------------------------------------------------


def test_an_alert_is_valid_cap_with_its_envelope() -> None:
    xml = to_bytes(message())
    validate(xml)
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    root = parse(xml)
    assert root.tag == f"{{{cap.NS}}}alert"
    assert texts(root, "identifier") == ["langson.gov.vn-01JDX0A2B3C4D5E6F7G8H9J0K1"]
    assert texts(root, "sender") == [SENDER]
    assert texts(root, "sent") == ["2026-11-30T08:55:12+07:00"]
    assert texts(root, "status") == ["Actual"]
    assert texts(root, "msgType") == ["Alert"]
    assert texts(root, "scope") == ["Public"]
    assert texts(root, "references") == []
    assert texts(root, "note") == []
    assert texts(root, "info/language") == ["vi-VN"]
    assert texts(root, "info/category") == ["Met"]
    assert texts(root, "info/event") == ["Lũ quét"]
    assert texts(root, "info/urgency") == ["Immediate"]
    assert texts(root, "info/severity") == ["Severe"]
    assert texts(root, "info/certainty") == ["Observed"]
    assert texts(root, "info/onset") == ["2026-11-30T09:00:00+07:00"]
    assert texts(root, "info/expires") == ["2026-11-30T21:00:00+07:00"]
    assert texts(root, "info/headline") == ["Cảnh báo lũ trên sông Kỳ Cùng"]
    assert texts(root, "info/senderName") == ["Trung tâm Điều hành thông minh tỉnh Lạng Sơn"]
    assert texts(root, "info/area/areaDesc") == ["Phường Đông Kinh, tỉnh Lạng Sơn"]


def test_times_are_written_in_vietnam_time_with_whole_seconds() -> None:
    sent = datetime(2026, 11, 30, 1, 55, 12, 987654, tzinfo=UTC)  # 08:55:12.987654 in Hà Nội
    onset = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    w = replace(warning(), onset=onset, expires=onset + 12 * H)
    root = parse(to_bytes(message(w, sent=sent)))
    assert texts(root, "sent") == ["2026-11-30T08:55:12+07:00"]
    assert texts(root, "info/onset") == ["2026-11-30T09:00:00+07:00"]
    assert texts(root, "info/expires") == ["2026-11-30T21:00:00+07:00"]
    assert cap.cap_datetime(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T07:00:00+07:00"


def test_the_schema_refuses_utc_written_with_z_or_fractions() -> None:
    good = to_bytes(message())
    for bad in (b"2026-11-30T01:55:12Z", b"2026-11-30T08:55:12.5+07:00"):
        with pytest.raises(Invalid) as caught:
            validate(good.replace(b"2026-11-30T08:55:12+07:00", bad))
        assert caught.value.code == "cap_schema"
        assert caught.value.details["errors"]


def test_optional_fields_absent_are_left_out() -> None:
    w = warning(instruction=None, onset=None, expires=None)
    m = CapMessage(identifier="ls-1", sender=SENDER, sent=SENT, warning=w)
    xml = to_bytes(m)
    root = parse(xml)
    for name in ("instruction", "onset", "expires", "senderName", "web", "responseType"):
        assert texts(root, f"info/{name}") == [], name
    assert texts(root, "note") == []
    assert len(root.xpath("cap:info", namespaces={"cap": cap.NS})) == 1
    assert read(xml) == m


def test_new_identifiers_are_unique_and_url_safe() -> None:
    ids = {new_identifier("langson.gov.vn") for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"langson\.gov\.vn-[0-9A-Z]{26}", i) for i in ids)
    with pytest.raises(Invalid):
        new_identifier("Lạng Sơn")


@pytest.mark.parametrize("identifier", ["a b", "a,b", "a<b", "a&b", "a/b", "", "-x", "x?y"])
def test_identifiers_with_spaces_commas_or_restricted_characters_are_refused(
    identifier: str,
) -> None:
    with pytest.raises(Invalid) as caught:
        message(identifier=identifier)
    assert caught.value.code == "cap_identifier"


@pytest.mark.parametrize("sender", ["ioc langson", "ioc,langson", "ioc<x", "a&b", "", "ủy-ban"])
def test_senders_with_spaces_commas_or_restricted_characters_are_refused(sender: str) -> None:
    with pytest.raises(Invalid) as caught:
        message(sender=sender)
    assert caught.value.code == "cap_sender"


# --- updates and cancels -------------------------------------------------------------------


def test_an_update_and_a_cancel_reference_the_earlier_messages() -> None:
    original = message()
    update = message(
        identifier="langson.gov.vn-update-1",
        sent=SENT + H,
        msg_type="Update",
        references=references_for([original]),
        warning=warning(severity="Extreme", headline="Lũ lên nhanh trên sông Kỳ Cùng"),
    )
    cancel = message(
        identifier="langson.gov.vn-cancel-1",
        sent=SENT + 3 * H,
        msg_type="Cancel",
        references=references_for([original, update]),
        warning=warning(headline="Hủy cảnh báo lũ trên sông Kỳ Cùng", urgency="Past"),
    )
    first = f"{SENDER},langson.gov.vn-01JDX0A2B3C4D5E6F7G8H9J0K1,2026-11-30T08:55:12+07:00"
    second = f"{SENDER},langson.gov.vn-update-1,2026-11-30T09:55:12+07:00"
    root = parse(to_bytes(update))
    assert texts(root, "msgType") == ["Update"]
    assert texts(root, "references") == [first]
    root = parse(to_bytes(cancel))
    assert texts(root, "msgType") == ["Cancel"]
    assert texts(root, "references") == [f"{first} {second}"]
    assert read(to_bytes(cancel)) == cancel
    # referencing the update alone still names the whole chain
    assert references_for([update]) == references_for([original, update])


def test_a_reference_reads_back_from_its_cap_form() -> None:
    ref = Reference.to(message())
    assert Reference.parse(str(ref)) == ref
    for bad in ("a,b", "a,b,c,d", "a,b,yesterday", "a b,c,2026-11-30T08:55:12+07:00"):
        with pytest.raises(Invalid):
            Reference.parse(bad)


def test_updates_and_cancels_need_references_and_alerts_have_none() -> None:
    original = message()
    for kind in ("Update", "Cancel"):
        with pytest.raises(Invalid) as caught:
            message(identifier="x-2", sent=SENT + H, msg_type=kind)
        assert caught.value.code == "cap_references"
    with pytest.raises(Invalid) as caught:
        message(identifier="x-2", sent=SENT + H, references=references_for([original]))
    assert caught.value.code == "cap_references"
    with pytest.raises(Invalid):  # a reference to a later message
        message(identifier="x-2", msg_type="Update", references=references_for([original]),
                sent=SENT - H)  # fmt: skip
    with pytest.raises(Invalid):  # a message referencing itself
        message(msg_type="Update", sent=SENT + H, references=(Reference.to(original),),
                identifier=original.identifier)  # fmt: skip


# --- exercises -----------------------------------------------------------------------------


def test_an_exercise_is_marked_in_its_status_note_and_every_text() -> None:
    m = message(warning(status="Exercise"), english=english())
    root = parse(to_bytes(m))
    assert texts(root, "status") == ["Exercise"]
    (note,) = texts(root, "note")
    assert "DIỄN TẬP" in note
    assert "EXERCISE" in note
    vi_headline, en_headline = texts(root, "info/headline")
    assert vi_headline == "[DIỄN TẬP] Cảnh báo lũ trên sông Kỳ Cùng"
    assert en_headline == "[EXERCISE] Flood warning on the Ky Cung river"
    vi_description, en_description = texts(root, "info/description")
    assert vi_description.startswith("[DIỄN TẬP] Đây là bản tin diễn tập, không phải cảnh báo")
    assert vi_description.endswith("vượt báo động 3 và đang lên.")
    assert en_description.startswith("[EXERCISE] This is an exercise, not a real warning.")
    assert all(
        i.startswith(("[DIỄN TẬP] ", "[EXERCISE] ")) for i in texts(root, "info/instruction")
    )


def test_marking_is_idempotent_and_leaves_actual_warnings_alone() -> None:
    exercise = warning(status="Exercise")
    assert marked(marked(exercise)) == marked(exercise)
    assert marked_message(marked_message(message(exercise))) == marked_message(message(exercise))
    assert marked(warning()) == warning()
    assert "[THỬ NGHIỆM]" in marked(warning(status="Test")).headline
    assert to_bytes(read(to_bytes(message(exercise)))) == to_bytes(message(exercise))


# --- the area ------------------------------------------------------------------------------


def test_a_geojson_ring_is_closed_and_written_lat_lon() -> None:
    # GeoJSON (lon, lat), left open: CAP wants "lat,lon" pairs and the first point repeated.
    rings = polygons_from_geojson({"type": "Polygon", "coordinates": [RING]})
    assert rings == (
        ((106.75, 21.85), (106.78, 21.85), (106.78, 21.87), (106.75, 21.87), (106.75, 21.85)),
    )
    expected = "21.85,106.75 21.85,106.78 21.87,106.78 21.87,106.75 21.85,106.75"
    assert cap_polygon(rings[0]) == expected
    assert texts(parse(to_bytes(message())), "info/area/polygon") == [expected]
    assert ring_from_cap(expected) == rings[0]


def test_a_closed_ring_is_not_closed_twice_and_coordinates_keep_six_decimals() -> None:
    ring = [[106.7512345678, 21.85], [106.78, -0.0000001], [106.78, 21.87], [106.7512345678, 21.85]]
    (closed,) = polygons_from_geojson({"type": "Polygon", "coordinates": [ring]})
    assert len(closed) == 4
    assert cap_polygon(closed) == "21.85,106.751235 0,106.78 21.87,106.78 21.85,106.751235"


def test_a_multipolygon_gives_one_cap_polygon_per_part_without_holes() -> None:
    hole = [[106.76, 21.855], [106.77, 21.855], [106.77, 21.86], [106.76, 21.855]]
    other = [[106.8, 21.9], [106.81, 21.9], [106.81, 21.91], [106.8, 21.9]]
    geometry = {"type": "MultiPolygon", "coordinates": [[RING, hole], [other]]}
    root = parse(to_bytes(message(warning(area={"description": "Hai khu", "polygon": geometry}))))
    polygons = texts(root, "info/area/polygon")
    assert polygons == [
        "21.85,106.75 21.85,106.78 21.87,106.78 21.87,106.75 21.85,106.75",
        "21.9,106.8 21.9,106.81 21.91,106.81 21.9,106.8",
    ]
    feature = {"type": "Feature", "properties": {}, "geometry": geometry}
    assert polygons_from_geojson(feature) == polygons_from_geojson(geometry)


def test_a_circle_is_written_lat_lon_radius() -> None:
    area = {"description": "Bán kính 2,5 km quanh cầu Kỳ Lừa",
            "circle": {"lon": 106.7612, "lat": 21.8567, "radius_km": 2.5}}  # fmt: skip
    m = message(warning(area=area))
    root = parse(to_bytes(m))
    assert texts(root, "info/area/circle") == ["21.8567,106.7612 2.5"]
    assert texts(root, "info/area/polygon") == []
    assert read(to_bytes(m)).warning.area.circles == (Circle(106.7612, 21.8567, 2.5),)


def test_a_polygon_and_a_circle_together() -> None:
    area = {"description": "Đông Kinh và cầu Kỳ Lừa",
            "polygon": {"type": "Polygon", "coordinates": [RING]},
            "circle": {"lon": 106.76, "lat": 21.86, "radius_km": 1}}  # fmt: skip
    root = parse(to_bytes(message(warning(area=area))))
    assert len(texts(root, "info/area/polygon")) == 1
    assert texts(root, "info/area/circle") == ["21.86,106.76 1"]


@pytest.mark.parametrize(
    ("area", "code"),
    [
        ({"description": "Không có hình"}, "cap_area_shape"),
        ({"polygon": {"type": "Polygon", "coordinates": [RING]}}, "cap_required"),
        ({"description": "x", "polygon": {"type": "Point", "coordinates": [1, 2]}}, "cap_polygon"),
        ({"description": "x", "polygon": {"type": "Polygon", "coordinates": [RING[:2]]}},
         "cap_polygon"),
        ({"description": "x", "polygon": {"type": "Polygon", "coordinates": []}}, "cap_polygon"),
        # lat, lon given in the wrong order puts the latitude out of range
        ({"description": "x", "polygon": {"type": "Polygon",
          "coordinates": [[[21.85, 106.75], [21.85, 106.78], [21.87, 106.78]]]}}, "cap_polygon"),
        ({"description": "x", "polygon": {"type": "Polygon",
          "coordinates": [[[1, 2], [True, 3], [4, 5]]]}}, "cap_polygon"),
        ({"description": "x", "polygon": {"type": "Polygon",
          "coordinates": [[[1, 2], [float("nan"), 3], [4, 5]]]}}, "cap_polygon"),
        ({"description": "x", "circle": {"lon": 106.7, "lat": 21.8, "radius_km": 0}},
         "cap_circle"),
        ({"description": "x", "circle": {"lon": 106.7, "lat": 21.8, "radius_km": 5000}},
         "cap_circle"),
        ({"description": "x", "circle": {"lon": 106.7, "lat": 121.8, "radius_km": 5}},
         "cap_circle"),
        ({"description": "x", "circle": {"lon": "106.7", "lat": 21.8, "radius_km": 5}},
         "cap_circle"),
        ("Đông Kinh", "cap_type"),
    ],
)  # fmt: skip
def test_bad_areas_are_refused(area: Any, code: str) -> None:
    with pytest.raises(Invalid) as caught:
        warning(area=area)
    assert caught.value.code == code


def test_too_many_points_are_refused() -> None:
    n = area_module.MAX_POINTS
    ring = [(100 + i / n, 20 + (i % 2) / 100) for i in range(n + 1)]
    with pytest.raises(Invalid) as caught:
        Area("x", polygons=(tuple(ring),))
    assert caught.value.code == "cap_polygon"


# --- the English block ---------------------------------------------------------------------


def test_with_and_without_an_english_block() -> None:
    without = to_bytes(message())
    assert texts(parse(without), "info/language") == ["vi-VN"]
    m = message(english=english())
    root = parse(to_bytes(m))
    assert texts(root, "info/language") == ["vi-VN", "en-US"]
    assert texts(root, "info/area/areaDesc") == [
        "Phường Đông Kinh, tỉnh Lạng Sơn",
        "Dong Kinh ward, Lang Son province",
    ]
    assert len(set(texts(root, "info/area/polygon"))) == 1  # the same area in both
    assert read(to_bytes(m)) == m
    from_api = translation_from_api(
        {"event": "Flood", "headline": "Flood", "description": "Rising."}, "Đông Kinh"
    )
    assert from_api.area_description == "Đông Kinh"
    assert from_api.language == "en-US"


# --- refused inputs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("category", "Weather"),
        ("category", "met"),
        ("urgency", "Now"),
        ("severity", "High"),
        ("certainty", "Certain"),
        ("status", "Real"),
        ("status", "actual"),
    ],
)
def test_values_outside_caps_enumerations_are_refused(name: str, value: Any) -> None:
    with pytest.raises(Invalid) as caught:
        warning(**{name: value})
    error = caught.value
    assert error.code == "cap_enumeration"
    assert error.status == 422
    assert error.details["field"] == name
    assert error.details["allowed"]
    message_vi = t(error.message_key, "vi", **error.params)
    assert name in message_vi
    assert error.details["allowed"][0] in message_vi


def test_response_types_and_message_types_are_checked_too() -> None:
    assert warning(response_types=["Evacuate", "Monitor"]).response_types == (
        "Evacuate",
        "Monitor",
    )
    with pytest.raises(Invalid) as caught:
        warning(response_types=["Run"])
    assert caught.value.code == "cap_enumeration"
    with pytest.raises(Invalid) as caught:
        message(msg_type="Ack")
    assert caught.value.code == "cap_enumeration"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"event": None}, "cap_required"),
        ({"headline": "   "}, "cap_required"),
        ({"description": 42}, "cap_type"),
        ({"headline": "x" * 161}, "cap_text_too_long"),
        ({"description": "bad \x00 byte"}, "cap_text_characters"),
        ({"headline": "lone \ud800 surrogate"}, "cap_text_characters"),
        ({"status": None}, "cap_required"),
        ({"language": "tiếng Việt"}, "cap_language"),
        ({"onset": "30/11/2026 09:00"}, "cap_datetime"),
        ({"onset": "2026-11-30T09:00:00"}, "cap_datetime"),  # no offset: ambiguous
        ({"expires": "2026-11-30T08:00:00+07:00"}, "cap_expires_order"),
        ({"response_types": "Evacuate"}, "cap_type"),
        ({"category": 3}, "cap_type"),
    ],
)
def test_bad_fields_are_refused(overrides: dict[str, Any], code: str) -> None:
    with pytest.raises(Invalid) as caught:
        warning(**overrides)
    assert caught.value.code == code


def test_a_warning_already_expired_when_sent_is_refused() -> None:
    with pytest.raises(Invalid) as caught:
        message(sent=datetime(2026, 12, 1, tzinfo=LOCAL_TZ))
    assert caught.value.code == "cap_expires_order"
    with pytest.raises(Invalid) as caught:
        message(sent=datetime(2026, 11, 30, 8, 55))  # naive
    assert caught.value.code == "cap_datetime"


def test_a_body_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(Invalid) as caught:
        warning_from_api(["Lũ"])
    assert caught.value.code == "cap_type"


def test_texts_are_nfc_and_stripped() -> None:
    decomposed = "Cảnh báo".replace("ả", "a\u0309")  # NFD, as some keyboards send it
    w = warning(headline=f"  {decomposed}  ", event="Lũ quét\n")
    assert w.headline == "Cảnh báo"
    assert w.event == "Lũ quét"


def test_web_must_be_an_http_link() -> None:
    assert message(web="https://ioc.langson.gov.vn/canh-bao/1").web.startswith("https://")
    for bad in ("javascript:alert(1)", "https://a b", "ftp://x"):
        with pytest.raises(Invalid) as caught:
            message(web=bad)
        assert caught.value.code == "cap_web"


# --- validating ----------------------------------------------------------------------------


def test_validate_refuses_what_is_not_xml_or_not_cap() -> None:
    with pytest.raises(Invalid) as caught:
        validate(b"<alert>")
    assert caught.value.code == "cap_not_xml"
    good = to_bytes(message())
    with pytest.raises(Invalid) as caught:
        validate(good.replace(b"<status>Actual</status>", b"<status>Real</status>"))
    assert caught.value.code == "cap_schema"
    assert any("status" in e for e in caught.value.details["errors"])
    with pytest.raises(Invalid):
        validate(good.replace(b"<scope>Public</scope>", b""))


def test_validate_never_resolves_external_entities(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    good = to_bytes(message()).decode()
    hostile = good.replace(
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<?xml version="1.0"?>\n<!DOCTYPE alert [<!ENTITY x SYSTEM "file://{secret}">]>\n',
    ).replace("<event>Lũ quét</event>", "<event>&x;</event>")
    with pytest.raises(Invalid) as caught:
        read(hostile.encode())
    assert caught.value.code == "cap_not_xml"
    assert "TOP-SECRET" not in str(caught.value.details)


def test_the_schema_ships_in_the_package() -> None:
    assert SCHEMA_FILE.is_file()
    assert SCHEMA_FILE.parent.name == "data"
    text = SCHEMA_FILE.read_text(encoding="utf-8")
    assert 'targetNamespace = "urn:oasis:names:tc:emergency:cap:1.2"' in text
    assert "import" not in text and "include" not in text  # nothing to fetch


def test_every_error_code_has_vietnamese_and_english_text() -> None:
    sources = [cap.__file__, warning_module.__file__, area_module.__file__]
    codes = {
        code
        for path in sources
        for code in re.findall(r"\"(cap_[a-z_]+)\"", Path(str(path)).read_text(encoding="utf-8"))
    }
    assert len(codes) > 10
    messages = catalogue()
    missing = [c for c in codes if f"error.{c}" not in messages]
    assert missing == []
    for code in codes:
        vi, en = messages[f"error.{code}"]
        assert vi != en


def test_a_warning_built_by_hand_equals_the_same_from_the_api() -> None:
    by_hand = PublicWarning(
        event="Lũ quét",
        headline="Cảnh báo lũ trên sông Kỳ Cùng",
        description="Mực nước sông Kỳ Cùng tại trạm Lạng Sơn vượt báo động 3 và đang lên.",
        instruction="Người dân ven sông di chuyển lên vùng cao, không qua ngầm tràn.",
        category="Met",
        urgency="Immediate",
        severity="Severe",
        certainty="Observed",
        area=Area(
            "Phường Đông Kinh, tỉnh Lạng Sơn",
            polygons=(tuple((lon, lat) for lon, lat in RING),),
        ),
        onset=datetime(2026, 11, 30, 9, tzinfo=LOCAL_TZ),
        expires=datetime(2026, 11, 30, 21, tzinfo=LOCAL_TZ),
    )
    assert by_hand == warning_from_api(body())


# --- property: anything valid goes out valid and comes back as written ----------------------

_TRICKY = [*"<>&\"'\n\t\r]", "]]>", "&amp;", "ầ", "ữ", "Đ", "😀", "🌊", "\u0301", "\u2028"]
_text = st.lists(
    st.text(st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff"),
            max_size=12) | st.sampled_from(_TRICKY),
    min_size=1, max_size=6,
).map("".join).filter(lambda s: s.strip())  # fmt: skip
_instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2060, 1, 1),
    timezones=st.sampled_from([UTC, LOCAL_TZ, timezone(timedelta(hours=-5, minutes=-30))]),
)  # fmt: skip
_position = st.tuples(st.floats(-180, 180, allow_nan=False), st.floats(-90, 90, allow_nan=False))
_ring = st.lists(_position, min_size=3, max_size=8).filter(
    lambda r: len({(round(x, 6), round(y, 6)) for x, y in r}) >= 3
)
_circle = st.builds(
    Circle,
    st.floats(-180, 180, allow_nan=False),
    st.floats(-90, 90, allow_nan=False),
    st.floats(0.001, 1000),
)
_token = st.from_regex(r"[!-%'-+\--;=-~]{1,30}", fullmatch=True)  # printable ASCII but , < &
_identifier = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,40}", fullmatch=True)


@st.composite
def _messages(draw: st.DrawFn) -> CapMessage:
    sent = draw(_instants)
    onset = draw(st.none() | st.builds(lambda d: sent + d, st.timedeltas(-H * 48, H * 48)))
    expires = draw(
        st.none() | st.builds(lambda d: max(sent, onset or sent) + d,
                              st.timedeltas(timedelta(seconds=1), H * 240))
    )  # fmt: skip
    polygons = draw(st.lists(_ring, max_size=3))
    circles = draw(st.lists(_circle, min_size=0 if polygons else 1, max_size=2))
    w = PublicWarning(
        event=draw(_text),
        headline=draw(_text),
        description=draw(_text),
        instruction=draw(st.just("") | _text),
        category=draw(st.sampled_from(warning_module.CATEGORIES)),
        urgency=draw(st.sampled_from(warning_module.URGENCIES)),
        severity=draw(st.sampled_from(warning_module.SEVERITIES)),
        certainty=draw(st.sampled_from(warning_module.CERTAINTIES)),
        status=draw(st.sampled_from(warning_module.STATUSES)),
        response_types=tuple(draw(st.lists(st.sampled_from(warning_module.RESPONSE_TYPES),
                                           max_size=3))),
        area=Area(draw(_text), polygons=tuple(map(tuple, polygons)), circles=tuple(circles)),
        onset=onset,
        expires=expires,
    )  # fmt: skip
    english = draw(
        st.none()
        | st.builds(Translation, event=_text, headline=_text, description=_text,
                    area_description=_text, instruction=st.just("") | _text)
    )  # fmt: skip
    msg_type = draw(st.sampled_from(cap.MSG_TYPES))
    references: tuple[Reference, ...] = ()
    if msg_type != "Alert":
        earlier = draw(st.lists(
            st.builds(Reference, _token, _identifier,
                      st.builds(lambda d: sent - d, st.timedeltas(timedelta(0), H * 100))),
            min_size=1, max_size=3,
        ))  # fmt: skip
        references = tuple(earlier)
    identifier, sender = draw(_identifier), draw(_token)
    assume(all((r.sender, r.identifier) != (sender, identifier) for r in references))
    return CapMessage(
        identifier=identifier,
        sender=sender,
        sent=sent,
        warning=w,
        msg_type=msg_type,
        references=references,
        english=english,
        sender_name=draw(st.just("") | _text),
        web=draw(st.just("") | st.just("https://ioc.langson.gov.vn/canh-bao?id=1&lang=vi")),
        note=draw(st.just("") | _text),
    )


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(_messages())
def test_any_valid_message_is_valid_cap_and_reads_back_as_published(m: CapMessage) -> None:
    xml = to_bytes(m)  # validates against the XSD
    validate(xml)
    back = read(xml)
    assert back == marked_message(m)
    assert to_bytes(back) == xml  # publishing again changes nothing
    root = parse(xml)
    assert texts(root, "info/headline")[0] == marked_message(m).warning.headline


def test_the_example_in_the_docs_is_valid_and_what_iocvn_writes() -> None:
    doc = Path(__file__).resolve().parents[2].joinpath("docs/cap.md").read_text(encoding="utf-8")
    example = next(b for b in re.findall(r"```xml\n(.*?)```", doc, re.S) if "<alert" in b)
    xml = example.encode()
    validate(xml)
    m = read(xml)
    assert m.english is not None
    assert m.warning.area.circles == (Circle(106.7612, 21.8567, 2.5),)
    assert to_bytes(m) == xml
