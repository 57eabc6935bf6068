"""Vietnamese and English texts of the alert pages: the live list (``/alerts``), an alert
(``/alerts/{id}``) with acknowledgement and silence, and the rules editor (``/alerts/rules``)."""

from iocvn.core.i18n import register

register(
    {
        "nav.alerts": ("Cảnh báo", "Alerts"),
        "nav.alert_rules": ("Quy tắc cảnh báo", "Alert rules"),
        "al.title": ("Cảnh báo từ cảm biến", "Sensor alerts"),
        "al.intro": (
            "Cảnh báo do quy tắc trên số đo cảm biến sinh ra, trong phạm vi của bạn; danh sách "
            "tự cập nhật. Xác nhận để dừng leo thang; tạm tắt để ngừng thông báo (trạng thái "
            "vẫn được theo dõi).",
            "Alerts raised by rules on sensor readings, within your reach; the list updates "
            "itself. Acknowledge to stop escalation; silence to stop notifications (states "
            "are still followed).",
        ),
        "al.view": ("Lọc theo trạng thái", "Filter by state"),
        "al.view.active": ("Đang kích hoạt", "Active"),
        "al.view.all": ("Tất cả", "All"),
        "al.state": ("Trạng thái", "State"),
        "al.state.normal": ("Bình thường", "Normal"),
        "al.state.pending": ("Chờ đủ thời gian", "Pending"),
        "al.state.firing": ("Đang cảnh báo", "Firing"),
        "al.state.resolved": ("Đã hết", "Resolved"),
        "al.state.no_data": ("Mất dữ liệu", "No data"),
        "al.state.error": ("Lỗi", "Error"),
        "al.severity": ("Mức độ", "Severity"),
        "al.severity.critical": ("Nghiêm trọng", "Critical"),
        "al.severity.warning": ("Cảnh báo", "Warning"),
        "al.severity.info": ("Thông tin", "Info"),
        "al.name": ("Cảnh báo", "Alert"),
        "al.device": ("Thiết bị", "Device"),
        "al.value": ("Giá trị", "Value"),
        "al.since": ("Từ lúc", "Since"),
        "al.active_since": ("Bắt đầu kích hoạt", "Active since"),
        "al.last_eval": ("Lần đánh giá gần nhất", "Last evaluated"),
        "al.acknowledged": ("Đã xác nhận", "Acknowledged"),
        "al.acknowledged_by": ("{by} xác nhận lúc {at}", "Acknowledged by {by} at {at}"),
        "al.silenced": ("Đang tạm tắt", "Silenced"),
        "al.none": ("Không có cảnh báo nào.", "No alerts."),
        "al.count": ("{n} cảnh báo", "{n} alerts"),
        "al.live": ("Đang cập nhật trực tiếp", "Live"),
        "al.offline": ("Mất kết nối, đang thử lại…", "Connection lost, retrying…"),
        "al.updated": ("Danh sách vừa được cập nhật.", "The list was just updated."),
        "al.actions": ("Thao tác", "Actions"),
        "al.ack": ("Xác nhận", "Acknowledge"),
        "al.ack_comment": ("Ghi chú (đã biết, đang xử lý thế nào)", "Comment (what is being done)"),
        "al.ack_submit": ("Xác nhận cảnh báo", "Acknowledge the alert"),
        "al.silence": ("Tạm tắt", "Silence"),
        "al.silence_duration": ("Thời gian tạm tắt", "For how long"),
        "al.silence_reason": ("Lý do", "Reason"),
        "al.silence_submit": ("Tạm tắt thông báo", "Silence notifications"),
        "al.silence_note": (
            "Tạm tắt thông báo và leo thang của các cảnh báo cùng quy tắc trên thiết bị này; "
            "trạng thái vẫn được theo dõi.",
            "Mutes notifications and escalation of this rule's alerts on this device; states "
            "are still followed.",
        ),
        "al.minutes": ("{n} phút", "{n} minutes"),
        "al.hours": ("{n} giờ", "{n} hours"),
        "al.days": ("{n} ngày", "{n} days"),
        "al.seconds": ("{n} giây", "{n} seconds"),
        "al.draft_warning": ("Soạn cảnh báo công chúng", "Draft a public warning"),
        "al.draft_note": (
            "Mở mẫu soạn cảnh báo công khai (CAP) điền sẵn từ cảnh báo này; lãnh đạo hoặc "
            "một điều hành viên khác phê duyệt trước khi phát hành.",
            "Opens the public warning (CAP) form filled from this alert; a leader or another "
            "operator approves it before it is published.",
        ),
        "al.back": ("Danh sách cảnh báo", "Alerts"),
        "al.facts": ("Thông tin", "Details"),
        "al.rule": ("Quy tắc", "Rule"),
        "al.condition": ("Điều kiện", "Condition"),
        "al.labels": ("Nhãn", "Labels"),
        "al.history": ("Diễn biến", "History"),
        "al.no_history": ("Chưa có thay đổi nào.", "No changes yet."),
        "al.at": ("Thời điểm", "At"),
        "al.change": ("Thay đổi", "Change"),
        "al.values": ("Giá trị so sánh", "Compared values"),
        "al.notified": ("có thông báo", "notified"),
        "al.silences": ("Lệnh tạm tắt đang áp dụng", "Silences in force"),
        "al.silence_until": (
            "{by} tạm tắt đến {until}: {comment}",
            "{by} silenced it until {until}: {comment}",
        ),
        "al.done.acknowledged": ("Đã xác nhận cảnh báo.", "Alert acknowledged."),
        "al.done.silenced": ("Đã tạm tắt thông báo.", "Notifications silenced."),
        "al.for": ("trong {duration}", "for {duration}"),
        # the rules editor
        "al.rules_title": ("Quy tắc cảnh báo", "Alert rules"),
        "al.rules_intro": (
            "Quy tắc ngưỡng trên một đại lượng của một thiết bị: cảnh báo khi giá trị mới "
            "nhất thỏa điều kiện liên tục trong khoảng thời gian đã đặt.",
            "Threshold rules on one quantity of one device: an alert fires when the latest "
            "value meets the condition for the time set.",
        ),
        "al.rules_none": ("Chưa có quy tắc nào.", "No rules yet."),
        "al.rule_new": ("Thêm quy tắc ngưỡng", "New threshold rule"),
        "al.rule_name": ("Tên quy tắc", "Rule name"),
        "al.rule_name_hint": (
            "Ví dụ: Mực nước sông Kỳ Cùng vượt báo động I",
            "E.g. Ky Cung river above alert level I",
        ),
        "al.rule_device": ("Thiết bị", "Device"),
        "al.rule_quantity": ("Đại lượng", "Quantity"),
        "al.rule_op": ("So sánh", "Comparison"),
        "al.rule_value": ("Ngưỡng", "Threshold"),
        "al.rule_for": ("Duy trì tối thiểu (phút)", "Held for at least (minutes)"),
        "al.rule_for_hint": ("0: cảnh báo ngay khi vượt ngưỡng.", "0: fire as soon as it holds."),
        "al.rule_scenario": ("Kịch bản (không bắt buộc)", "Scenario (optional)"),
        "al.rule_save": ("Lưu quy tắc", "Save the rule"),
        "al.rule_enabled": ("Đang bật", "Enabled"),
        "al.rule_disabled": ("Đã tắt", "Disabled"),
        "al.rule_disable": ("Tắt quy tắc", "Disable"),
        "al.rule_disable_confirm": (
            "Tắt quy tắc này? Cảnh báo của nó sẽ không còn được đánh giá.",
            "Disable this rule? Its alerts will no longer be evaluated.",
        ),
        "al.rule_by": ("Người tạo", "Created by"),
        "al.rule_done.created": ("Đã lưu quy tắc.", "Rule saved."),
        "al.rule_done.disabled": ("Đã tắt quy tắc.", "Rule disabled."),
        "al.rule_done.updated": ("Đã cập nhật quy tắc.", "Rule updated."),
        "al.rule_edit": ("Sửa", "Edit"),
        "al.rule_edit_title": ("Sửa quy tắc: {name}", "Edit rule: {name}"),
        "al.rule_edit_save": ("Lưu thay đổi", "Save changes"),
        "al.rule_edit_cancel": ("Hủy", "Cancel"),
        "al.rule_edit_note": (
            "Cảnh báo hiện có của quy tắc được đánh giá lại theo quy tắc mới ở lần đánh giá kế "
            "tiếp: cảnh báo không còn thỏa điều kiện sẽ kết thúc (có thông báo); nếu đổi điều "
            "kiện hoặc thời gian duy trì, cảnh báo đang chờ được tính giờ lại từ đầu.",
            "The rule's alerts are evaluated with the new rule at the next evaluation: an alert "
            "whose condition no longer holds resolves (and this is notified); when the "
            "condition or the time held changes, pending alerts are timed afresh.",
        ),
        "al.rule_edit_condition": (
            "Điều kiện và nhóm thiết bị của quy tắc này chỉ sửa được qua API "
            "(PATCH /api/v1/alerts/rules/{rule_id}); ở đây sửa được tên, mức độ, thời gian "
            "duy trì và kịch bản.",
            "This rule's condition and group of devices are edited through the API "
            "(PATCH /api/v1/alerts/rules/{rule_id}); here you can change its name, severity, "
            "time held and scenario.",
        ),
        "al.rule_group": ("nhóm thiết bị", "group of devices"),
        "al.op.>": ("lớn hơn", "above"),
        "al.op.>=": ("lớn hơn hoặc bằng", "at or above"),
        "al.op.<": ("nhỏ hơn", "below"),
        "al.op.<=": ("nhỏ hơn hoặc bằng", "at or below"),
        "al.op.==": ("bằng", "equal to"),
        "al.op.!=": ("khác", "not equal to"),
        "al.scenario.flood": ("Lũ, ngập lụt", "Flood"),
        "al.scenario.landslide": ("Sạt lở đất", "Landslide"),
        "al.scenario.forest_fire": ("Cháy rừng", "Forest fire"),
        "al.scenario.air_pollution": ("Ô nhiễm không khí", "Air pollution"),
        "error.alert_form_required": ("Hãy nhập {field}.", "{field} is required."),
        "error.alert_form_number": (
            "{field} phải là một số (ví dụ 252,5).",
            "{field} must be a number (e.g. 252.5).",
        ),
        "error.alert_form_choice": ("{field} không hợp lệ.", "{field} is not a valid choice."),
        "error.alert_form_for": (
            "Thời gian duy trì phải từ 0 đến 10.080 phút (7 ngày).",
            "The time held must be between 0 and 10,080 minutes (7 days).",
        ),
        "error.alert_ack_comment": (
            "Hãy ghi chú khi xác nhận cảnh báo (đã biết, đang xử lý thế nào).",
            "Add a comment when acknowledging (what is being done).",
        ),
        "error.alert_silence_reason": (
            "Hãy nêu lý do tạm tắt thông báo.",
            "Give the reason for silencing.",
        ),
        "error.alert_silence_duration": (
            "Hãy chọn thời gian tạm tắt trong danh sách.",
            "Choose how long to silence from the list.",
        ),
    }
)
