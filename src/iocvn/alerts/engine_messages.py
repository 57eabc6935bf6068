"""Vietnamese and English texts of the alerting engine's errors (labels, matchers, rules,
silences, grouping, ladders, acknowledgement)."""

from iocvn.core.i18n import register

register(
    {
        "error.alert_rule_invalid": (
            "Quy tắc cảnh báo không hợp lệ: {problem}",
            "Invalid alert rule: {problem}",
        ),
        "error.alert_labels_invalid": (
            "Nhãn cảnh báo không hợp lệ: {problem}",
            "Invalid alert labels: {problem}",
        ),
        "error.alert_matcher_invalid": (
            "Điều kiện lọc theo nhãn không hợp lệ: {problem}",
            "Invalid label matcher: {problem}",
        ),
        "error.alert_silence_invalid": (
            "Lệnh tạm tắt cảnh báo không hợp lệ: {problem}",
            "Invalid silence: {problem}",
        ),
        "error.alert_ladder_invalid": (
            "Thang leo thang cảnh báo không hợp lệ: {problem}",
            "Invalid escalation ladder: {problem}",
        ),
        "error.alert_grouping_invalid": (
            "Cách gộp thông báo cảnh báo không hợp lệ: {problem}",
            "Invalid notification grouping: {problem}",
        ),
        "error.alert_not_active": (
            "Cảnh báo đang ở trạng thái {state}: chỉ xác nhận được cảnh báo đang kích hoạt.",
            "The alert is {state}: only an active alert can be acknowledged.",
        ),
        "error.alert_already_acknowledged": (
            "Cảnh báo đã được {by} xác nhận.",
            "The alert was already acknowledged by {by}.",
        ),
    }
)
