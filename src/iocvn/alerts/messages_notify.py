"""Vietnamese and English texts of alert notifications, escalation notices and contact points.

The messages sent are in Vietnamese; the English texts keep the catalogue whole (the API's
errors follow ``Accept-Language``).
"""

from iocvn.core.i18n import register

register(
    {
        # errors of contact points
        "error.alert_contact_point_invalid": (
            "Điểm nhận thông báo không hợp lệ: {problem}",
            "Invalid contact point: {problem}",
        ),
        "error.alert_contact_point_not_found": (
            "Không tìm thấy điểm nhận thông báo (hoặc nó nằm ngoài phạm vi của bạn).",
            "Contact point not found (or it is outside your scope).",
        ),
        "error.alert_contact_point_disabled": (
            "Điểm nhận thông báo đã bị tắt.",
            "The contact point is already disabled.",
        ),
        # severities and states, as messages say them
        "alert.severity.critical": ("Nghiêm trọng", "Critical"),
        "alert.severity.warning": ("Cảnh báo", "Warning"),
        "alert.severity.info": ("Thông tin", "Information"),
        "alert.notify.state.firing": ("đang vượt ngưỡng", "firing"),
        "alert.notify.state.no_data": ("mất dữ liệu", "no data"),
        "alert.notify.state.error": ("lỗi khi đánh giá", "evaluation error"),
        "alert.notify.state.resolved": ("đã trở lại bình thường", "resolved"),
        "alert.notify.state.normal": ("đã trở lại bình thường", "resolved"),
        # a group's notification
        "alert.notify.subject.firing": (
            "[IOC] {severity}: {name}{more}",
            "[IOC] {severity}: {name}{more}",
        ),
        "alert.notify.subject.resolved": (
            "[IOC] Đã hết cảnh báo: {name}{more}",
            "[IOC] Resolved: {name}{more}",
        ),
        "alert.notify.more": (" và {n} cảnh báo khác", " and {n} more"),
        "alert.notify.repeat": (
            "Nhắc lại: các cảnh báo dưới đây vẫn đang hoạt động.",
            "Reminder: the alerts below are still active.",
        ),
        "alert.notify.heading.firing": ("Đang cảnh báo ({n}):", "Active ({n}):"),
        "alert.notify.heading.resolved": ("Đã hết cảnh báo ({n}):", "Resolved ({n}):"),
        "alert.notify.line": ("- [{severity}] {name}: {state}", "- [{severity}] {name}: {state}"),
        "alert.notify.device": ("  Thiết bị: {device}", "  Device: {device}"),
        "alert.notify.device_at": (
            "  Thiết bị: {device} tại {place}",
            "  Device: {device} at {place}",
        ),
        "alert.notify.value": ("  Giá trị: {values}", "  Value: {values}"),
        "alert.notify.no_value": ("không có số liệu", "no data"),
        "alert.notify.since": ("  Từ: {at}", "  Since: {at}"),
        "alert.notify.ended": ("  Hết lúc: {at}", "  Ended: {at}"),
        "alert.notify.acknowledged": ("  Đã được xác nhận lúc {at}", "  Acknowledged at {at}"),
        "alert.notify.link": ("  Xem: {url}", "  Open: {url}"),
        "alert.notify.footer": (
            "Thư tự động từ Trung tâm giám sát, điều hành thông minh tỉnh.",
            "An automatic message from the provincial IOC.",
        ),
        # escalation notices
        "alert.escalation.subject": (
            "[IOC] Chưa xác nhận sau {waited}, chuyển {rung}: {name}",
            "[IOC] Not acknowledged after {waited}, escalated to {rung}: {name}",
        ),
        "alert.escalation.body": (
            "Cảnh báo dưới đây chưa được xác nhận (tiếp nhận) sau {waited} và được chuyển "
            "{rung} theo dõi.",
            "The alert below was not acknowledged within {waited} and is escalated to {rung}.",
        ),
        "alert.escalation.action": (
            "Đề nghị xác nhận cảnh báo và chỉ đạo xử lý: {url}",
            "Please acknowledge the alert and direct the response: {url}",
        ),
        "alert.escalation.rung.commune": ("cán bộ xã, phường", "the commune's officers"),
        "alert.escalation.rung.province": ("Trung tâm IOC tỉnh", "the province IOC"),
        "alert.escalation.rung.leadership": ("lãnh đạo tỉnh", "the province's leaders"),
        "alert.duration.hours": ("{n} giờ", "{n} h"),
        "alert.duration.minutes": ("{n} phút", "{n} min"),
    }
)
