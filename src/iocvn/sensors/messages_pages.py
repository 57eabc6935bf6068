"""Vietnamese and English texts of the sensors pages (``/sensors``: the map, a device's page)."""

from __future__ import annotations

from typing import Final

from iocvn.core.i18n import register

# What people call each quantity (the names in code are FIWARE's); unknown ones show as named.
QUANTITIES: Final[dict[str, tuple[str, str]]] = {
    "currentLevel": ("Mực nước", "Water level"),
    "alertLevel": ("Mức báo động", "Alert level"),
    "dangerLevel": ("Mức nguy hiểm", "Danger level"),
    "precipitation": ("Lượng mưa", "Precipitation"),
    "pm25": ("Bụi PM2,5", "PM2.5"),
    "pm10": ("Bụi PM10", "PM10"),
    "aqi": ("Chỉ số chất lượng không khí (VN_AQI)", "Air quality index (VN_AQI)"),
    "temperature": ("Nhiệt độ", "Temperature"),
    "relativeHumidity": ("Độ ẩm tương đối (0–1)", "Relative humidity (0–1)"),
    "smokeDetected": ("Phát hiện khói", "Smoke detected"),
    "powerState": ("Trạng thái bật/tắt", "Power state"),
    "illuminanceLevel": ("Mức chiếu sáng (0–1)", "Illuminance level (0–1)"),
    "activePower": ("Công suất", "Active power"),
    "so2": ("SO₂", "SO₂"),
    "nox": ("NOx", "NOx"),
    "co": ("CO", "CO"),
    "dust": ("Bụi tổng", "Dust"),
    "peopleCount": ("Số người", "People count"),
}

register({f"sn.q.{name}": pair for name, pair in QUANTITIES.items()})
register(
    {
        "nav.sensors": ("Cảm biến", "Sensors"),
        "sn.title": ("Bản đồ cảm biến", "Sensors map"),
        "sn.intro": (
            "Thiết bị quan trắc trong phạm vi của bạn, tô màu theo tình trạng; bấm vào một "
            "điểm để xem số đo mới nhất. Bảng bên dưới liệt kê cùng các thiết bị.",
            "Monitoring devices within your reach, coloured by state; click a marker for its "
            "latest values. The table below lists the same devices.",
        ),
        "sn.kind": ("Loại thiết bị", "Kind"),
        "sn.all_kinds": ("Tất cả các loại", "All kinds"),
        "sn.filter": ("Lọc", "Filter"),
        "sn.code": ("Mã", "Code"),
        "sn.name": ("Tên", "Name"),
        "sn.latest": ("Số đo mới nhất", "Latest values"),
        "sn.last_seen": ("Lần nhận gần nhất", "Last seen"),
        "sn.never": ("Chưa nhận số đo", "No reading yet"),
        "sn.state": ("Tình trạng", "State"),
        "sn.state.normal": ("Bình thường", "Normal"),
        "sn.state.out_of_range": ("Ngoài dải đo", "Out of range"),
        "sn.state.firing": ("Đang cảnh báo", "Alert firing"),
        "sn.state.silent": ("Mất tín hiệu", "Silent"),
        "sn.state.inactive": ("Ngừng hoạt động", "Inactive"),
        "sn.state_note.silent": (
            "Quá hai chu kỳ gửi (và một phút) không nhận được số đo.",
            "No reading for two expected intervals (and a minute).",
        ),
        "sn.none": ("Không có thiết bị nào.", "No devices."),
        "sn.count": ("{n} thiết bị", "{n} devices"),
        "sn.truncated": (
            "Chỉ hiển thị {max} thiết bị đầu tiên; hãy lọc theo loại.",
            "Only the first {max} devices are shown; filter by kind.",
        ),
        "sn.details": ("Xem thiết bị", "Device page"),
        "sn.camera_events": ("Sự kiện camera AI", "AI camera events"),
        "sn.snapshot": ("Xem ảnh chụp", "See the snapshot"),
        "sn.devices_layer": ("Thiết bị", "Devices"),
        "sn.demo": ("demo", "demo"),
        "sn.out_of_range": ("ngoài dải đo", "out of range"),
        # a device's page
        "sn.back": ("Bản đồ cảm biến", "Sensors map"),
        "sn.facts": ("Thông tin thiết bị", "Device"),
        "sn.unit": ("Đơn vị quản lý", "Responsible unit"),
        "sn.area": ("Xã, phường", "Commune"),
        "sn.position": ("Vị trí (vĩ độ, kinh độ)", "Position (lat, lon)"),
        "sn.interval": ("Chu kỳ gửi", "Expected interval"),
        "sn.interval_s": ("{n} giây", "{n} s"),
        "sn.owner": ("Đơn vị vận hành", "Operated by"),
        "sn.calibration": ("Hiệu chuẩn", "Calibration"),
        "sn.status": ("Trạng thái đăng ký", "Registration status"),
        "sn.status.active": ("Đang hoạt động", "Active"),
        "sn.status.maintenance": ("Đang bảo trì", "Maintenance"),
        "sn.status.retired": ("Đã ngừng sử dụng", "Retired"),
        "sn.quantity": ("Đại lượng", "Quantity"),
        "sn.value": ("Giá trị", "Value"),
        "sn.at": ("Thời điểm đo", "Measured at"),
        "sn.no_value": ("Chưa có số đo.", "No value yet."),
        "sn.chart": ("Biểu đồ", "Chart"),
        "sn.chart_note": (
            "Biểu đồ tự cập nhật vài giây một lần; đường nét đứt là ngưỡng của quy tắc cảnh báo.",
            "The chart refreshes every few seconds; dashed lines are alert rules' thresholds.",
        ),
        "sn.live": ("Đang cập nhật trực tiếp", "Live"),
        "sn.paused": ("Mất kết nối, đang thử lại…", "Connection lost, retrying…"),
        "sn.step": ("Bước thời gian", "Step"),
        "sn.step.raw": ("Số đo gốc", "Raw readings"),
        "sn.step.1m": ("Theo phút", "Per minute"),
        "sn.step.1h": ("Theo giờ", "Per hour"),
        "sn.step.1d": ("Theo ngày", "Per day"),
        "sn.recent": ("Số đo gần đây", "Recent readings"),
        "sn.recent_rollup": (
            "Trung bình (thấp nhất – cao nhất) của mỗi khoảng, mới nhất trước.",
            "Average (lowest – highest) of each bucket, newest first.",
        ),
        "sn.recent_raw": ("Số đo gốc, mới nhất trước.", "Raw readings, newest first."),
        "sn.no_readings": ("Không có số đo trong khoảng này.", "No readings in this span."),
        "sn.time": ("Thời gian", "Time"),
        "sn.alerts": ("Cảnh báo của thiết bị", "The device's alerts"),
        "sn.no_alerts": ("Thiết bị chưa có cảnh báo nào.", "The device has no alerts."),
        "sn.rules": ("Quy tắc cảnh báo", "Alert rules"),
        "sn.no_rules": ("Chưa có quy tắc nào theo dõi thiết bị này.", "No rule watches it."),
        "sn.new_rule": ("Thêm quy tắc", "Add a rule"),
        "sn.rule_disabled": ("đã tắt", "disabled"),
        "sn.acknowledged_by": ("đã xác nhận: {by}", "acknowledged by {by}"),
        "sn.chart_label": ("Biểu đồ {quantity}", "Chart of {quantity}"),
    }
)
