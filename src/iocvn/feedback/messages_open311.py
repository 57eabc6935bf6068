"""Vietnamese and English texts of Open311 (/open311/v2/): its errors, as the spec's error
list carries them, and its notices."""

from iocvn.core.i18n import register

register(
    {
        "error.open311_format": (
            "Định dạng {fmt} không được hỗ trợ; dùng .xml hoặc .json.",
            "Format {fmt} is not supported; use .xml or .json.",
        ),
        "error.open311_no_province": (
            "Hệ thống chưa có dữ liệu tỉnh.",
            "This installation has no province yet.",
        ),
        "error.open311_jurisdiction": (
            "Không có jurisdiction_id {jurisdiction}; dùng {accepted}.",
            "There is no jurisdiction_id {jurisdiction}; use {accepted}.",
        ),
        "error.open311_path": (
            "Không có lời gọi Open311 {path}; đường dẫn phải kết thúc bằng .xml hoặc .json "
            "(danh sách lời gọi: discovery.xml).",
            "There is no Open311 call {path}; paths end in .xml or .json (the calls: "
            "discovery.xml).",
        ),
        "error.open311_method": (
            "{path} không nhận phương thức {method}; dùng {allowed}.",
            "{path} does not take {method}; use {allowed}.",
        ),
        "error.open311_cross_origin": (
            "Không gửi phản ánh (POST) trực tiếp từ trình duyệt ở tên miền khác: api_key chỉ "
            "được dùng từ máy chủ của ứng dụng, không đặt trong trang web.",
            "Requests may not be sent (POST) from a browser on another domain: the api_key is "
            "for the app's server, never inside a web page.",
        ),
        "error.open311_body": (
            "Không đọc được nội dung gửi lên (form hoặc JSON).",
            "The request body could not be read (form or JSON).",
        ),
        "error.open311_api_key_missing": (
            "Cần api_key để gửi phản ánh.",
            "An api_key is required to submit a request.",
        ),
        "error.open311_api_key_invalid": (
            "api_key không hợp lệ, đã thu hồi hoặc hết hạn.",
            "The api_key is invalid, revoked or expired.",
        ),
        "error.open311_api_key_denied": (
            "Tài khoản của api_key này không có quyền gửi phản ánh (cần vai trò integration).",
            "This api_key's account may not submit requests (it needs the integration role).",
        ),
        "error.open311_api_key_read_only": (
            "api_key này chỉ có quyền đọc.",
            "This api_key is read-only.",
        ),
        "error.open311_service_code": ("Cần service_code.", "service_code is required."),
        "error.open311_coordinates": (
            "lat và long phải là hai số, gửi cùng nhau.",
            "lat and long must both be sent, as numbers.",
        ),
        "error.open311_address_id": (
            "address_id {address_id} không phải mã xã, phường của tỉnh.",
            "address_id {address_id} is not the code of a commune of the province.",
        ),
        "error.open311_media_urls": (
            "Tối đa {max} media_url cho một phản ánh.",
            "At most {max} media_url per request.",
        ),
        "error.open311_attribute_value": (
            "Thuộc tính {attribute} nhận một trong các giá trị: {allowed}.",
            "Attribute {attribute} takes one of: {allowed}.",
        ),
        "error.open311_anonymous_notify": (
            "Phản ánh ẩn danh không lưu thông tin liên hệ nên không thể nhận thông báo.",
            "An anonymous request keeps no contact details, so it cannot be notified.",
        ),
        "error.open311_notify_contact": (
            "notify_by={channel} cần trường {field}.",
            "notify_by={channel} needs the {field} field.",
        ),
        "error.open311_media_url": (
            "media_url phải là một địa chỉ http(s) hợp lệ.",
            "media_url must be a valid http(s) URL.",
        ),
        "error.open311_photo_not_found": ("Không có ảnh này.", "There is no such photo."),
        "open311.contact": (
            "Trung tâm Giám sát, điều hành thông minh (IOC) — {province}",
            "Intelligent Operations Center (IOC) — {province}",
        ),
        "open311.key_service": (
            "api_key do quản trị hệ thống IOC cấp: một tài khoản vai trò integration và "
            "mã truy cập tạo bằng `iocvn token create`.",
            "The IOC's administrator issues api_keys: an account with the integration role "
            "and a token made with `iocvn token create`.",
        ),
        "open311.notice": (
            "Đã tiếp nhận phản ánh {code}; sẽ được xác nhận trước {deadline}.",
            "Request {code} received; it will be reviewed by {deadline}.",
        ),
        "open311.notice_plain": ("Đã tiếp nhận phản ánh {code}.", "Request {code} received."),
        "open311.media_note": (
            "Ứng dụng gửi kèm liên kết (chưa kiểm tra, không tự tải về): {url}",
            "The app sent a link (not checked, not fetched): {url}",
        ),
    }
)
