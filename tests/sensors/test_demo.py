"""The demo sensors: real places of Lạng Sơn, labelled demo, a day of readings, loaded once."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iocvn.org import geo
from iocvn.sensors import demo
from iocvn.sensors.models import Device, Latest, Reading
from tests.factories.org import seed
from tests.factories.sensors import ACTOR, NOW


def test_demo_devices_stand_in_the_province_and_load_once(session: Session) -> None:
    seed(session)
    loaded = demo.load(session, ACTOR, "20", NOW)
    assert loaded.devices == len(demo.DEVICES)
    devices = session.execute(select(Device).order_by(Device.code)).scalars().all()
    assert all(d.demo and d.name.endswith("(demo)") for d in devices)
    assert {d.kind for d in devices} == {"water_level", "rain_gauge", "air_quality", "fire_smoke",
                                         "camera", "emission"}  # fmt: skip
    assert loaded.events == len(demo.CAMERA_EVENTS)
    for d in devices:
        assert geo.in_province(session, "20", d.lon, d.lat), d.code
    areas = {d.code: d.area_code for d in devices}
    assert areas["KK-DONGKINH"] == "05977"  # Phường Đông Kinh
    assert areas["KC-THATKHE"] == "06040"  # Xã Thất Khê
    assert all(areas.values())
    stored = session.execute(select(func.count()).select_from(Reading)).scalar_one()
    assert stored == loaded.readings > 1000
    levels = session.execute(select(Latest.value).where(Latest.quantity == "currentLevel"))
    assert all(240 < v < 270 for v in levels.scalars())
    assert demo.load(session, ACTOR, "20", NOW).devices == 0
    assert demo.load(session, ACTOR, "08", NOW).devices == 0
