"""A public warning's drafting form filled from a sensor alert ("Soạn cảnh báo công chúng"):
the event and CAP category from the device's kind, the headline from the rule and the device,
CAP severity from the alert's (critical → Severe, warning → Moderate, info → Minor), urgency
and certainty from its state, a description with the value measured and when, a circle
around the device, and an expiry twelve hours ahead. A demo device's alert is drafted as an
exercise (``Exercise``). The operator reviews and edits everything before saving; an approver
publishes (four eyes, :mod:`.warnings`).

The texts are Vietnamese: a warning's first block is ``vi-VN``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.alerts import instances, rules
from iocvn.alerts.forms import TIME_FORMAT
from iocvn.alerts.models_rules import AlertInstance, AlertRule
from iocvn.auth.scope import OrgScope
from iocvn.core.timeutil import to_local
from iocvn.org.models import OrgUnit
from iocvn.sensors.messages_pages import QUANTITIES
from iocvn.sensors.models import Device
from iocvn.sensors.pages import unit_text, value_text

EXPIRES: Final = timedelta(hours=12)
SEVERITY: Final = {"critical": "Severe", "warning": "Moderate", "info": "Minor"}
# kind → (event, CAP category, circle radius in km, responses, instruction)
KIND: Final[dict[str, tuple[str, str, float, list[str], str]]] = {
    "water_level": (
        "Lũ", "Met", 5.0, ["Monitor", "Prepare"],
        "Người dân ven sông, suối theo dõi mực nước, không qua ngầm tràn, sẵn sàng di chuyển "
        "lên vùng cao khi có lệnh của chính quyền.",
    ),
    "rain_gauge": (
        "Mưa lớn", "Met", 10.0, ["Monitor", "Prepare"],
        "Đề phòng lũ quét, sạt lở đất ở vùng núi; hạn chế đi lại qua sông, suối.",
    ),
    "air_quality": (
        "Ô nhiễm không khí", "Env", 3.0, ["Avoid", "Monitor"],
        "Hạn chế ra ngoài, đeo khẩu trang khi ra đường; người già, trẻ em và người có bệnh "
        "hô hấp nên ở trong nhà.",
    ),
    "weather": ("Thời tiết nguy hiểm", "Met", 10.0, ["Monitor"], ""),
    "fire_smoke": (
        "Cháy rừng", "Fire", 3.0, ["Avoid", "Monitor"],
        "Không vào rừng, không đốt nương rẫy; báo ngay cho kiểm lâm khi phát hiện cháy.",
    ),
    "emission": ("Ô nhiễm khí thải công nghiệp", "Env", 3.0, ["Monitor"], ""),
    "street_light": ("Sự cố chiếu sáng công cộng", "Infra", 1.0, ["Monitor"], ""),
    "camera": ("Sự cố an ninh, trật tự", "Safety", 1.0, ["Monitor"], ""),
}  # fmt: skip
OTHER: Final = ("", "Other", 5.0, ["Monitor"], "")
OPS: Final = {">": "vượt", ">=": "bằng hoặc vượt", "<": "xuống dưới", "<=": "bằng hoặc dưới",
              "==": "bằng", "!=": "khác"}  # fmt: skip
HEADLINE_MAX: Final = 160


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _area(session: Session, device: Device | None) -> str:
    """Where: the device's commune and province (``Phường Đông Kinh, tỉnh Lạng Sơn``)."""
    if device is None:
        return ""
    area = session.get(OrgUnit, device.area_code) if device.area_code else None
    province = session.get(OrgUnit, area.province_code) if area is not None else None
    if area is None:
        return f"Khu vực quanh {device.name}"
    if province is None or province.code == area.code:
        return area.name
    return f"{area.name}, {province.name[:1].lower()}{province.name[1:]}"


def _description(
    row: AlertInstance, rule: AlertRule, device: Device | None, quantity: str | None
) -> str:
    """What was measured, where and when, against which threshold."""
    where = f"{device.name} ({device.code})" if device is not None else str(row.device or "")
    at = row.active_since or row.since or row.last_eval
    when = f" lúc {to_local(at).strftime(TIME_FORMAT)}" if at is not None else ""
    unit = unit_text((device.quantities or {}).get(quantity or "", "")) if device else ""
    suffix = f" {unit}" if unit else ""
    label = QUANTITIES.get(quantity or "", (quantity or "", ""))[0]
    text = f"{rule.name}."
    if row.value is not None and label:
        text += f" {label} tại {where} đo được {value_text(row.value)}{suffix}{when}"
        op, threshold = rule.op, rule.value
        if op in OPS and threshold is not None:
            text += f", {OPS[op]} ngưỡng {value_text(threshold)}{suffix}"
        text += "."
    elif where:
        text += f" Thiết bị: {where}{when}."
    return text


def warning_form(
    session: Session, alert_id: str, scope: OrgScope | None, now: datetime
) -> dict[str, Any]:
    """The drafting form's fields filled from an alert in the caller's scope (404
    ``alert_not_found``)."""
    row = instances.get_alert(session, alert_id, scope)
    rule = rules.get_rule(session, row.rule_id)
    device = None
    if row.device:
        device = session.execute(select(Device).where(Device.code == row.device)).scalar()
    event, category, radius, responses, instruction = KIND.get(
        device.kind if device is not None else "", OTHER
    )
    event = event or rule.name
    where = device.name if device is not None else str(row.device or "")
    headline = f"{rule.name} tại {where}" if where else rule.name
    severity = str(dict(row.labels).get("severity", rule.severity))
    active = row.state in ("firing", "no_data", "error")
    form: dict[str, Any] = {
        "event": _cut(event, 200),
        "headline": _cut(headline, HEADLINE_MAX),
        "description": _description(row, rule, device, rule.quantity),
        "instruction": instruction,
        "category": category,
        "urgency": "Immediate" if active else "Expected",
        "severity": SEVERITY.get(severity, "Unknown"),
        "certainty": "Observed" if row.state == "firing" else "Likely",
        "status": "Exercise" if device is not None and device.demo else "Actual",
        "area_description": _area(session, device),
        "lat": f"{device.lat:.6f}" if device is not None else "",
        "lon": f"{device.lon:.6f}" if device is not None else "",
        "radius_km": f"{radius:g}" if device is not None else "",
        "polygon": "",
        "onset": "",
        "expires": to_local(now + EXPIRES).strftime(TIME_FORMAT),
        "response_types": list(responses),
    }
    return form
