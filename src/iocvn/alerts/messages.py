"""Vietnamese and English texts of the alerts domain (public warnings in CAP 1.2)."""

from iocvn.core.i18n import register

register(
    {
        "error.cap_required": ("Thiếu {field}.", "{field} is missing."),
        "error.cap_type": (
            "{field} không đúng kiểu dữ liệu.",
            "{field} has the wrong type.",
        ),
        "error.cap_text_too_long": (
            "{field} dài quá {max} ký tự.",
            "{field} is longer than {max} characters.",
        ),
        "error.cap_text_characters": (
            "{field} chứa ký tự điều khiển không dùng được trong bản tin.",
            "{field} contains control characters a warning cannot carry.",
        ),
        "error.cap_enumeration": (
            "{field} phải là một trong: {allowed}.",
            "{field} must be one of: {allowed}.",
        ),
        "error.cap_language": (
            "Mã ngôn ngữ {field} không hợp lệ (vd. vi-VN, en-US).",
            "{field} is not a language tag (e.g. vi-VN, en-US).",
        ),
        "error.cap_datetime": (
            "{field} phải là thời điểm ISO 8601 có múi giờ (vd. 2026-11-30T09:00:00+07:00).",
            "{field} must be an ISO 8601 instant with its offset (e.g. 2026-11-30T09:00:00+07:00).",
        ),
        "error.cap_expires_order": (
            "Thời điểm hết hiệu lực phải sau thời điểm bắt đầu và thời điểm phát tin.",
            "The expiry must come after the onset and after the time the message is sent.",
        ),
        "error.cap_area_shape": (
            "Vùng cảnh báo cần ít nhất một đa giác hoặc một hình tròn.",
            "The warning area needs at least one polygon or circle.",
        ),
        "error.cap_polygon": (
            "Đa giác vùng cảnh báo không hợp lệ: cần GeoJSON Polygon hoặc MultiPolygon, tọa độ "
            "[kinh độ, vĩ độ], ít nhất 3 điểm khác nhau.",
            "The warning polygon is not valid: a GeoJSON Polygon or MultiPolygon is needed, "
            "positions as [lon, lat], at least 3 distinct points.",
        ),
        "error.cap_circle": (
            "Hình tròn vùng cảnh báo cần lon, lat và radius_km (lớn hơn 0, tối đa {max} km).",
            "The warning circle needs lon, lat and radius_km (above 0, at most {max} km).",
        ),
        "error.cap_identifier": (
            "Mã bản tin {field} không hợp lệ: chỉ gồm chữ, số và . _ : @ -, không có dấu cách.",
            "{field} is not a valid message identifier: letters, digits and . _ : @ - only.",
        ),
        "error.cap_sender": (
            "Mã đơn vị phát tin không hợp lệ: ký tự ASCII, không có dấu cách, dấu phẩy, < hay &.",
            "The sender is not valid: ASCII, without spaces, commas, < or &.",
        ),
        "error.cap_web": (
            "Đường dẫn web phải bắt đầu bằng http:// hoặc https:// và không có dấu cách.",
            "The web link must start with http:// or https:// and contain no spaces.",
        ),
        "error.cap_references": (
            "Tin cập nhật (Update) hoặc hủy (Cancel) phải dẫn chiếu các tin trước đó; tin mới "
            "(Alert) thì không.",
            "An Update or a Cancel must reference the earlier messages; a new Alert must not.",
        ),
        "error.cap_reference_format": (
            "Dẫn chiếu không đúng dạng CAP sender,identifier,sent.",
            "A reference is not in CAP's sender,identifier,sent form.",
        ),
        "error.cap_not_xml": (
            "Nội dung không phải XML hợp lệ.",
            "The content is not well-formed XML.",
        ),
        "error.cap_schema": (
            "Bản tin không hợp lệ theo lược đồ OASIS CAP 1.2, xem chi tiết.",
            "The message is not valid against the OASIS CAP 1.2 schema; see details.",
        ),
    }
)
