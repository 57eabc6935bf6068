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
        # Public warnings on the database (alerts.warnings, the API and the pages)
        "error.warning_not_found": (
            "Không tìm thấy cảnh báo.",
            "No such warning.",
        ),
        "error.warning_not_draft": (
            "Cảnh báo không còn là bản nháp (trạng thái: {state}); bản tin đã phát hành không "
            "sửa được, hãy phát hành tin cập nhật hoặc tin hủy.",
            "The warning is no longer a draft (state: {state}); a published message never "
            "changes: publish an Update or a Cancel instead.",
        ),
        "error.warning_four_eyes": (
            "Nguyên tắc bốn mắt: người soạn hoặc sửa bản nháp không được tự phát hành; cần lãnh "
            "đạo hoặc một điều hành viên khác phê duyệt.",
            "Four eyes: whoever drafted or edited a warning cannot publish it; a leader or "
            "another operator must approve it.",
        ),
        "error.warning_not_published": (
            "Chỉ cập nhật hoặc hủy được cảnh báo đang hiệu lực (trạng thái: {state}).",
            "Only a warning in force can be updated or cancelled (state: {state}).",
        ),
        "error.warning_chain_ended": (
            "Cảnh báo này đã bị hủy hoặc chưa phát hành; không thể phát hành thêm tin cho nó.",
            "This warning was cancelled or never published; no further message can follow it.",
        ),
        "error.warning_status_change": (
            "Tin cập nhật giữ nguyên loại bản tin của cảnh báo ({current}); diễn tập không thể "
            "thành cảnh báo thật và ngược lại.",
            "An update keeps the warning's status ({current}): an exercise cannot become a "
            "real warning, nor the other way round.",
        ),
        "error.warning_unknown_field": (
            "Trường không có trong cảnh báo: {field}.",
            "Not a field of a warning: {field}.",
        ),
        "error.warning_cancel_fields": (
            "Tin hủy chỉ nhận tiêu đề, mô tả, hướng dẫn và bản tiếng Anh.",
            "A Cancel takes only a headline, description, instruction and English block.",
        ),
        "error.warning_form_datetime": (
            "{field}: nhập theo dạng dd/mm/yyyy HH:MM (giờ Việt Nam).",
            "{field}: enter dd/mm/yyyy HH:MM (Vietnam time).",
        ),
        "error.warning_form_geojson": (
            "Đa giác phải là GeoJSON hợp lệ (Polygon, MultiPolygon hoặc Feature).",
            "The polygon must be valid GeoJSON (Polygon, MultiPolygon or Feature).",
        ),
    }
)
