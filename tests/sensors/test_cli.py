"""``iocvn sensors``: CSV provisioning (all lines or none, line numbers), list, key, maintain."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from iocvn.cli import app as cli
from iocvn.sensors.models import Device
from tests.factories.sensors import device

HEADER = "code,kind,name,lon,lat,org_unit,quantities,interval_s,ranges,calibration,owner\n"
GOOD = (
    HEADER + "KC-01,water_level,Trạm Kỳ Cùng,106.7550,21.8500,20,currentLevel:m,600,"
    "currentLevel:240..270,Hiệu chuẩn 11/2026,Sở NN&MT\n"
    + 'KK-01,air_quality,Không khí Đông Kinh,"106,7750",21.8115,05977,,,pm25:0..,,\n'
)


def codes(session: Session) -> list[str]:
    session.expire_all()
    return list(session.execute(select(Device.code).order_by(Device.code)).scalars())


def test_import_registers_and_prints_the_keys_once(org: Session, tmp_path: Path) -> None:
    file = tmp_path / "devices.csv"
    file.write_text(GOOD, encoding="utf-8")
    done = CliRunner().invoke(cli, ["sensors", "import", str(file)])
    assert done.exit_code == 0, done.output
    assert "new devices: 2" in done.output
    keys = [line.split("\t") for line in done.output.splitlines() if "\t" in line]
    assert [k[0] for k in keys] == ["KC-01", "KK-01"]
    assert all(k[1].startswith("iocvnd_") for k in keys)
    assert codes(org) == ["KC-01", "KK-01"]
    air = org.execute(select(Device).where(Device.code == "KK-01")).scalar_one()
    assert air.lon == 106.775 and air.interval_s == 300 and "pm25" in air.quantities
    assert air.ranges == {"pm25": [0.0, None]}
    water = org.execute(select(Device).where(Device.code == "KC-01")).scalar_one()
    assert (water.ranges, water.calibration) == ({"currentLevel": [240.0, 270.0]},
                                                 "Hiệu chuẩn 11/2026")  # fmt: skip

    file.write_text(HEADER + "KC-01,water_level,Trạm Kỳ Cùng mới,106.7550,21.8500,20,,900,,,\n",
                    encoding="utf-8")  # fmt: skip
    keys_file = tmp_path / "keys.csv"
    again = CliRunner().invoke(cli, ["sensors", "import", str(file), "--keys", str(keys_file)])
    assert again.exit_code == 0, again.output
    assert "updated: 1" in again.output
    assert list(csv.reader(keys_file.open(encoding="utf-8"))) == [["code", "api_key"]]
    assert keys_file.stat().st_mode & 0o077 == 0
    org.expire_all()
    water = org.execute(select(Device).where(Device.code == "KC-01")).scalar_one()
    assert (water.name, water.interval_s) == ("Trạm Kỳ Cùng mới", 900)


def test_a_bad_line_stores_nothing_and_every_bad_line_is_numbered(
    org: Session, tmp_path: Path
) -> None:
    device(org, "OLD-01", "rain_gauge")
    file = tmp_path / "devices.csv"
    file.write_text(
        HEADER
        + "KC-01,water_level,Trạm Kỳ Cùng,106.7550,21.8500,20,,,,,\n"
        + "KC-02,volcano,Núi,106.7,21.8,20,,,,,\n"
        + "KC-03,water_level,Trạm 3,east,21.8,20,,,,,\n"
        + "KC-01,water_level,Trùng mã,106.7,21.8,20,,,,,\n"
        + "OLD-01,water_level,Đổi loại,106.7,21.8,20,,,,,\n"
        + "KC-05,water_level,Trạm 5,106.7,21.8,99999,,,,,\n"
        + ",,,,,,,,,,\n"
        + "KC-06,water_level,Trạm 6,106.7,21.8,20,flow,,,,\n",
        encoding="utf-8",
    )
    refused = CliRunner().invoke(cli, ["sensors", "import", str(file)])
    assert refused.exit_code == 1
    for line in ("\"line\": 3", "\"line\": 4", "\"line\": 5", "\"line\": 6", "\"line\": 7",
                 "\"line\": 9"):  # fmt: skip
        assert line in refused.output, (line, refused.output)
    assert '"line": 2' not in refused.output and '"line": 8' not in refused.output
    assert "sensor_kind_unknown" in refused.output
    assert codes(org) == ["OLD-01"]  # nothing half-written
    missing = tmp_path / "header.csv"
    missing.write_text("code,name\nX,Y\n", encoding="utf-8")
    refused = CliRunner().invoke(cli, ["sensors", "import", str(missing)])
    assert refused.exit_code == 1 and "kind, lon, lat, org_unit" in refused.output


def test_list_key_and_maintain(org: Session) -> None:
    device(org)
    device(org, "MUA-01", "rain_gauge")
    listed = CliRunner().invoke(cli, ["sensors", "list", "--kind", "rain_gauge"])
    assert listed.exit_code == 0
    assert listed.output.startswith("MUA-01\train_gauge\tactive\t20\t—\t")
    assert "1 thiết bị / devices" in listed.output
    key = CliRunner().invoke(cli, ["sensors", "key", "MUA-01"])
    assert key.exit_code == 0 and key.output.startswith("MUA-01\tiocvnd_")
    unknown = CliRunner().invoke(cli, ["sensors", "key", "NOPE"])
    assert unknown.exit_code == 1 and "device_not_found" in unknown.output
    maintained = CliRunner().invoke(cli, ["sensors", "maintain"])
    assert maintained.exit_code == 0 and "readings deleted 0" in maintained.output
