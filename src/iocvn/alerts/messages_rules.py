"""Vietnamese and English texts of alert rules, alerts and silences on the database."""

from iocvn.core.i18n import register

register(
    {
        "error.alert_rule_device_unknown": (
            "Không có thiết bị {device} (hoặc thiết bị nằm ngoài phạm vi của bạn).",
            "There is no device {device} (or it is outside your scope).",
        ),
        "error.alert_rule_quantity_unknown": (
            "Thiết bị {device} không đo đại lượng {quantity}.",
            "Device {device} does not measure {quantity}.",
        ),
        "error.alert_rule_not_found": (
            "Không tìm thấy quy tắc cảnh báo.",
            "Alert rule not found.",
        ),
        "error.alert_rule_disabled": (
            "Quy tắc cảnh báo đã bị tắt.",
            "The alert rule is already disabled.",
        ),
        "error.alert_not_found": (
            "Không tìm thấy cảnh báo (hoặc cảnh báo nằm ngoài phạm vi của bạn).",
            "Alert not found (or it is outside your scope).",
        ),
        "error.alert_state_unknown": (
            "Trạng thái {state} không tồn tại (một trong: {allowed}).",
            "There is no state {state} (one of: {allowed}).",
        ),
        "error.alert_silence_not_found": (
            "Không tìm thấy lệnh tạm tắt cảnh báo.",
            "Silence not found.",
        ),
    }
)
