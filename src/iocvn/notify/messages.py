"""Vietnamese and English texts of the notification domain."""

from iocvn.core.i18n import register

register(
    {
        "error.notification_not_found": ("Không tìm thấy thông báo.", "No such notification."),
        "error.notification_not_retryable": (
            "Thông báo đang ở trạng thái {state}: không gửi lại được.",
            "The notification is {state}: it cannot be retried.",
        ),
        "error.notification_invalid": (
            "Thông báo không hợp lệ: cần kênh, địa chỉ nhận và mục đích.",
            "Invalid notification: a channel, a destination and a purpose are needed.",
        ),
        "nav.notifications": ("Thông báo", "Notifications"),
        "notify.title": ("Thông báo gửi đi", "Outgoing notifications"),
        "notify.help": (
            "Thư điện tử, tin nhắn… gửi cho cán bộ và người dân. Lần gửi lỗi được thử lại sau "
            "1, 5, 25… phút; sau số lần tối đa thông báo bị dừng và cần gửi lại thủ công.",
            "E-mails, text messages… sent to officials and citizens. A failed delivery is tried "
            "again after 1, 5, 25… minutes; after the last attempt it stops and needs a manual "
            "retry.",
        ),
        "notify.status": ("Trạng thái", "Status"),
        "notify.all": ("Cần xử lý", "Needing attention"),
        "notify.status.pending": ("Chờ gửi", "Pending"),
        "notify.status.sending": ("Đang gửi", "Sending"),
        "notify.status.sent": ("Đã gửi", "Sent"),
        "notify.status.failed": ("Lỗi, sẽ thử lại", "Failed, will retry"),
        "notify.status.dead": ("Dừng gửi", "Gave up"),
        "notify.channel": ("Kênh", "Channel"),
        "notify.destination": ("Người nhận", "Recipient"),
        "notify.subject": ("Tiêu đề", "Subject"),
        "notify.purpose": ("Mục đích", "Purpose"),
        "notify.attempts": ("Lần thử", "Attempts"),
        "notify.next_attempt": ("Thử lại lúc", "Next attempt"),
        "notify.error": ("Lỗi gần nhất", "Last error"),
        "notify.created": ("Tạo lúc", "Created"),
        "notify.retry": ("Gửi lại", "Retry"),
        "notify.retried": (
            "Đã đưa thông báo vào hàng đợi gửi lại.",
            "The notification is queued to be sent again.",
        ),
        "notify.no_channels": (
            "Chưa cấu hình kênh gửi nào (ví dụ IOCVN_SMTP_HOST cho thư điện tử): thông báo sẽ "
            "báo lỗi cho đến khi có kênh.",
            "No channel is configured (e.g. IOCVN_SMTP_HOST for e-mail): notifications fail "
            "until one is.",
        ),
        "notify.channels": ("Kênh đang hoạt động", "Active channels"),
    }
)
