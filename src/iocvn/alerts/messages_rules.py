"""Vietnamese and English texts of alert rules (and their conditions), alerts, silences and
the violation log on the database."""

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
        "error.alert_rule_forbidden": (
            "Quy tắc cảnh báo này nằm ngoài phạm vi của bạn.",
            "This alert rule is outside your scope.",
        ),
        "error.alert_rule_changed": (
            "Quy tắc vừa được người khác sửa. Hãy tải lại để xem bản mới rồi sửa lại.",
            "Someone else has just changed the rule. Reload it to see the new version, then "
            "edit again.",
        ),
        "error.alert_rule_enabled": (
            "Quy tắc cảnh báo đang bật.",
            "The alert rule is already enabled.",
        ),
        "error.alert_condition_invalid": (
            "Điều kiện cảnh báo không hợp lệ tại {path}: {problem}",
            "Invalid alert condition at {path}: {problem}",
        ),
        "error.alert_rule_shape_invalid": (
            "Quy tắc cần hoặc điều kiện condition, hoặc đủ ba trường quantity, op, value "
            "(không dùng cả hai): {problem}",
            "A rule needs either a condition or all of quantity, op and value (not both): "
            "{problem}",
        ),
        "error.alert_rule_target_invalid": (
            "Quy tắc áp dụng cho một thiết bị (device) hoặc một nhóm thiết bị (selector, area), "
            "không cả hai: {problem}",
            "A rule targets one device (device) or a group of devices (selector, area), not "
            "both: {problem}",
        ),
        "error.alert_rule_selector_invalid": (
            "Bộ chọn thiết bị không hợp lệ: {problem}",
            "Invalid device selector: {problem}",
        ),
        "error.alert_rule_area_unknown": (
            "Không có xã, phường {area}.",
            "There is no commune or ward {area}.",
        ),
        "error.alert_rule_out_of_scope": (
            "Nhóm thiết bị nằm ngoài phạm vi của bạn: {problem}",
            "The group of devices is outside your scope: {problem}",
        ),
        "error.alert_rule_quantity_unselected": (
            "Không thiết bị nào trong nhóm được chọn đo đủ các đại lượng: {quantities}.",
            "No device of the selected group measures all of: {quantities}.",
        ),
        "error.alert_violation_range_invalid": (
            "Khoảng thời gian không hợp lệ: since phải trước until.",
            "Invalid time range: since must come before until.",
        ),
        # columns of the violation log's CSV (nhật ký vi phạm)
        "violations.col.started_at": ("Bắt đầu vượt ngưỡng", "Limit first exceeded"),
        "violations.col.fired_at": ("Thời điểm cảnh báo", "Alert fired"),
        "violations.col.ended_at": ("Kết thúc", "Ended"),
        "violations.col.minutes": ("Thời gian vi phạm (phút)", "Duration (minutes)"),
        "violations.col.device": ("Thiết bị", "Device"),
        "violations.col.org_unit": ("Đơn vị quản lý", "Owning unit"),
        "violations.col.area": ("Xã, phường", "Commune or ward"),
        "violations.col.rule": ("Quy tắc", "Rule"),
        "violations.col.severity": ("Mức độ", "Severity"),
        "violations.col.quantity": ("Thông số", "Parameter"),
        "violations.col.value": ("Giá trị đo", "Measured value"),
        "violations.col.limit": ("Giới hạn", "Limit"),
        "violations.col.unit": ("Đơn vị đo", "Unit"),
        "violations.col.peak": ("Giá trị cực đại", "Peak value"),
        "violations.col.exceeded": ("Các thông số vượt ngưỡng", "Limits exceeded"),
    }
)
