"""Texts of the sensors domain (Vietnamese, English): errors, and the reasons a reading is
rejected (``reading.<reason>``; the ingestion report and docs/sensors.md list them)."""

from __future__ import annotations

from typing import Final

from iocvn.core.i18n import register

# Why a reading (or a whole item of a batch) was not stored; the keys of the report.
REASONS: Final[dict[str, tuple[str, str]]] = {
    "item_not_object": (
        "Mỗi phần tử phải là một đối tượng {device, ts, values}.",
        "Each item must be an object {device, ts, values}.",
    ),
    "bad_device": ("Thiếu mã thiết bị (device).", "The device code is missing."),
    "unknown_device": ("Không có thiết bị này.", "There is no such device."),
    "wrong_key": (
        "Khóa API không phải của thiết bị này.",
        "The API key is not this device's key.",
    ),
    "out_of_scope": (
        "Thiết bị ngoài phạm vi của tài khoản.",
        "The device is outside the account's scope.",
    ),
    "device_retired": ("Thiết bị đã ngừng sử dụng.", "The device is retired."),
    "bad_timestamp": (
        "ts phải là thời điểm ISO-8601, ví dụ 2026-12-01T08:00:00+07:00.",
        "ts must be an ISO-8601 instant, e.g. 2026-12-01T08:00:00+07:00.",
    ),
    "ts_in_future": (
        "Thời điểm đo ở tương lai quá 5 phút (kiểm tra đồng hồ thiết bị).",
        "The timestamp is more than 5 minutes in the future (check the device's clock).",
    ),
    "ts_too_old": (
        "Thời điểm đo cũ hơn thời hạn lưu trữ số liệu gốc của loại thiết bị này.",
        "The timestamp is older than this kind of device's raw-data retention.",
    ),
    "no_values": (
        "values phải là một đối tượng không rỗng, mỗi mục là đại lượng: số.",
        "values must be a non-empty object whose entries are quantity: number.",
    ),
    "unknown_quantity": (
        "Thiết bị không khai báo đại lượng này.",
        "The device does not measure this quantity.",
    ),
    "not_a_number": ("Giá trị phải là một số.", "The value must be a number."),
    "not_finite": ("Giá trị phải là một số hữu hạn.", "The value must be a finite number."),
}

register({f"reading.{reason}": pair for reason, pair in REASONS.items()})

register(
    {
        "error.sensor_kind_unknown": (
            "Không có loại thiết bị {kind}; các loại: {known}.",
            "There is no device kind {kind}; the kinds are: {known}.",
        ),
        "error.device_code_invalid": (
            "Mã thiết bị gồm 1–64 chữ, số, dấu chấm, gạch ngang hoặc gạch dưới.",
            "A device code is 1–64 letters, digits, dots, hyphens or underscores.",
        ),
        "error.device_code_taken": (
            "Đã có thiết bị mã {device}.",
            "There is already a device {device}.",
        ),
        "error.device_not_found": ("Không có thiết bị {device}.", "There is no device {device}."),
        "error.device_org_unit": (
            "Không có đơn vị {org_unit}, hoặc đơn vị đã giải thể.",
            "There is no current org unit {org_unit}.",
        ),
        "error.device_org_unit_scope": (
            "Đơn vị {org_unit} ngoài phạm vi quản lý của tài khoản.",
            "Org unit {org_unit} is outside the account's scope.",
        ),
        "error.device_location": (
            "Vị trí (lon, lat) phải là kinh độ, vĩ độ trong tỉnh.",
            "The location (lon, lat) must be a longitude and latitude inside the province.",
        ),
        "error.device_quantities": (
            "Đại lượng đo không hợp lệ: {reason}.",
            "The measured quantities are not valid: {reason}.",
        ),
        "error.device_ranges": (
            "Ngưỡng hợp lệ không đúng: {reason}.",
            "The valid ranges are not right: {reason}.",
        ),
        "error.device_interval": (
            "Chu kỳ gửi (interval_s) phải từ 1 giây đến 7 ngày.",
            "The interval (interval_s) must be between 1 second and 7 days.",
        ),
        "error.device_status": (
            "Trạng thái phải là active, maintenance hoặc retired.",
            "The status must be active, maintenance or retired.",
        ),
        "error.device_import": (
            "Tệp thiết bị có dòng lỗi; không thiết bị nào được lưu.",
            "The device file has bad lines; no device was saved.",
        ),
        "error.device_key_invalid": (
            "Khóa API của thiết bị hoặc mã truy cập không hợp lệ.",
            "The device API key or access token is not valid.",
        ),
        "error.readings_rejected": (
            "Không số đo nào được nhận; xem lý do từng số đo.",
            "No reading was accepted; see the reason for each one.",
        ),
        "error.readings_step": (
            "step phải là raw, 1m, 1h hoặc 1d.",
            "step must be raw, 1m, 1h or 1d.",
        ),
        "error.readings_window": (
            "since phải trước until.",
            "since must be before until.",
        ),
        "error.readings_quantity": (
            "Thiết bị không đo đại lượng {quantity}.",
            "The device does not measure {quantity}.",
        ),
    }
)

# Camera AI events (sensors/events.py): the kinds' labels (the map shows the Vietnamese one)
# and why an event was not stored (``camera_event.<reason>``; the device and time reasons are
# those of readings, ``reading.<reason>``).
EVENT_LABELS: Final[dict[str, tuple[str, str]]] = {
    "crowd": ("Tụ tập đông người", "Crowd"),
    "fire": ("Cháy", "Fire"),
    "smoke": ("Khói", "Smoke"),
    "flooding": ("Ngập nước", "Flooding"),
    "congestion": ("Ùn tắc giao thông", "Traffic congestion"),
    "illegal_parking": ("Đỗ xe sai quy định", "Illegal parking"),
    "accident": ("Tai nạn giao thông", "Traffic accident"),
    "intrusion": ("Xâm nhập trái phép", "Intrusion"),
    "other": ("Sự kiện khác", "Other event"),
}
EVENT_REASONS: Final[dict[str, tuple[str, str]]] = {
    "item_not_object": (
        "Mỗi phần tử phải là một đối tượng {device, ts, kind, confidence, snapshot}.",
        "Each item must be an object {device, ts, kind, confidence, snapshot}.",
    ),
    "not_a_camera": (
        "Thiết bị không phải camera AI (loại camera).",
        "The device is not an AI camera (kind camera).",
    ),
    "bad_event_kind": (
        "kind phải là một trong: crowd, fire, smoke, flooding, congestion, illegal_parking, "
        "accident, intrusion, other.",
        "kind must be one of: crowd, fire, smoke, flooding, congestion, illegal_parking, "
        "accident, intrusion, other.",
    ),
    "bad_confidence": (
        "confidence phải là một số từ 0 đến 1.",
        "confidence must be a number from 0 to 1.",
    ),
    "bad_snapshot": (
        "snapshot phải là địa chỉ http(s) hoặc khóa tương đối của ảnh (chữ, số, . _ - /).",
        "snapshot must be an http(s) URL or a relative object key (letters, digits, . _ - /).",
    ),
    "bad_attributes": (
        "attributes phải là một đối tượng JSON không quá 4 KB.",
        "attributes must be a JSON object of at most 4 KB.",
    ),
}

register({f"camera_event.kind.{kind}": pair for kind, pair in EVENT_LABELS.items()})
register({f"camera_event.{reason}": pair for reason, pair in EVENT_REASONS.items()})
register(
    {
        "error.camera_events_rejected": (
            "Không sự kiện nào được nhận; xem lý do từng sự kiện.",
            "No event was accepted; see the reason for each one.",
        ),
        "error.camera_events_query": (
            "Tham số không hợp lệ: {reason}.",
            "The query is not valid: {reason}.",
        ),
        "error.device_adapter_unknown": (
            "Không có bộ chuyển đổi dữ liệu thiết bị {adapter}; có: {known}.",
            "There is no device adapter {adapter}; the adapters are: {known}.",
        ),
        "error.payload_unreadable": (
            "Không đọc được dữ liệu gửi đến ({reason}).",
            "The payload cannot be read ({reason}).",
        ),
    }
)
