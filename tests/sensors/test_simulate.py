"""``iocvn simulate sensors``: generators within the kinds' limits and shaped like Lạng Sơn's
days; the flood wave crosses the alert level and recedes (controlled time); open-loop pacing;
sending through the real HTTP route with a staff token, and to the real Mosquitto."""

from __future__ import annotations

import json
import random
import secrets
import threading
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as paho
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from iocvn.cli import app as cli
from iocvn.sensors import demo, simulate
from iocvn.sensors.kinds import KINDS
from iocvn.sensors.models import Reading
from iocvn.sensors.mqtt import Broker
from iocvn.sensors.simulate import Flood, Simulator, sim_device, values
from tests.factories.auth import bearer
from tests.factories.org import seed
from tests.factories.sensors import ACTOR, device
from tests.sensors.test_mqtt import BROKER, needs_broker

VN = timedelta(hours=7)
JAN = datetime(2027, 1, 15, tzinfo=UTC)  # midnight UTC = 07:00 in Vietnam
JUL = datetime(2026, 7, 15, tzinfo=UTC)


def local(day: datetime, hour: float) -> datetime:
    """``hour`` o'clock in Vietnam on ``day``."""
    return day + timedelta(hours=hour) - VN


def every_kind() -> list[simulate.SimDevice]:
    return [sim_device(f"D-{k}", k, list(kind.quantities)) for k, kind in KINDS.items()]


class Recorder:
    """A transport that keeps what it is given."""

    def __init__(self) -> None:
        self.items: list[simulate.Item] = []
        self.sent = self.errors = 0
        self.last_error = ""
        self.closed = False

    def send(self, items: list[simulate.Item]) -> None:
        self.items.extend(items)
        self.sent += len(items)

    def close(self) -> None:
        self.closed = True


# --- generators (pure) -----------------------------------------------------------------------


def test_every_kind_stays_within_its_limits_all_year_and_in_a_flood() -> None:
    rng = random.Random(1)
    flood = Flood()
    for dev in every_kind():
        limits = KINDS[dev.kind].ranges
        for step in range(0, 365 * 24, 7):  # every 7 hours of a year: every hour of the day
            at = JUL + timedelta(hours=step, minutes=step % 60)
            got = values(dev, at, rng, flood, flood_t=step % 600)
            assert set(got) == set(dev.quantities), dev.kind
            for q, v in got.items():
                lo, hi = limits.get(q, (None, None))
                assert (lo is None or v >= lo) and (hi is None or v <= hi), (dev.kind, q, v)


def test_a_devices_own_ranges_hold_and_declared_thresholds_are_sent() -> None:
    gauge = sim_device("KC-X", "water_level", ["currentLevel", "alertLevel", "dangerLevel"],
                       {"currentLevel": [250.0, 251.0]})  # fmt: skip
    assert gauge.levels == simulate.Levels(250.5, 252.1, 253.1)  # the middle of its range
    got = values(gauge, JUL, random.Random(1), Flood(), flood_t=Flood().peak_s)
    assert got == {"currentLevel": 251.0, "alertLevel": 252.1, "dangerLevel": 253.1}
    air = sim_device("KK-X", "air_quality", ["pm25"], {"pm25": [None, 10]})
    assert values(air, local(JAN, 18), random.Random(1)) == {"pm25": 10.0}  # rush hour, capped
    assert values(sim_device("X", "air_quality", ["noise"]), JUL, random.Random(1)) == {}


def test_demo_gauges_sit_at_the_demo_levels_alert_level_i_at_252() -> None:
    langson = sim_device("KC-LANGSON", "water_level", ["currentLevel"], latest_level=249.0)
    assert langson.levels == simulate.Levels(250.4, 252.0, 253.0)
    other = sim_device("KC-OTHER", "water_level", ["currentLevel"], latest_level=249.0)
    assert other.levels is not None and other.levels.normal == 249.0


def test_same_seed_same_readings() -> None:
    dev = sim_device("KK-DONGKINH", "air_quality", list(KINDS["air_quality"].quantities))
    assert values(dev, JUL, random.Random(7)) == values(dev, JUL, random.Random(7))


def test_rain_falls_in_showers_more_in_summer() -> None:
    def rainy_minutes(start: datetime) -> int:
        return sum(simulate.shower("MUA-X", start + timedelta(minutes=m)) > 0
                   for m in range(30 * 24 * 60))  # fmt: skip

    summer, winter = rainy_minutes(JUL), rainy_minutes(JAN)
    assert 0 < winter < summer < 30 * 24 * 60 / 2  # showers, not steady rain
    assert simulate.shower("MUA-X", JUL) == simulate.shower("MUA-X", JUL)  # pure


def test_air_is_worse_at_rush_hours() -> None:
    dev = sim_device("KK", "air_quality", ["pm25", "pm10", "aqi"])
    rng = random.Random(3)

    def mean_pm25(hour: float) -> float:
        days = [JAN + timedelta(days=d) for d in range(30)]
        return sum(values(dev, local(d, hour), rng)["pm25"] for d in days) / len(days)

    night, morning, evening = mean_pm25(3), mean_pm25(7.5), mean_pm25(18)
    assert morning > night + 15 and evening > night + 20
    assert simulate.aqi(25, 50) == 50 and simulate.aqi(37.5, 0) == 75  # VN_AQI breakpoints


def test_temperature_follows_the_day_and_the_season() -> None:
    dev = sim_device("TT", "weather", ["temperature", "relativeHumidity"])
    rng = random.Random(4)
    dawn, afternoon = values(dev, local(JUL, 5), rng), values(dev, local(JUL, 14.5), rng)
    assert afternoon["temperature"] > dawn["temperature"] + 5
    assert afternoon["relativeHumidity"] < dawn["relativeHumidity"]
    assert 9 < values(dev, local(JAN, 12), rng)["temperature"] < 20 < afternoon["temperature"]


def test_street_lights_are_on_at_night_dimmed_after_23() -> None:
    light = sim_device("DEN", "street_light", list(KINDS["street_light"].quantities))
    rng = random.Random(5)
    noon, evening = values(light, local(JUL, 12), rng), values(light, local(JUL, 21), rng)
    assert (noon["powerState"], noon["illuminanceLevel"]) == (0.0, 0.0)
    assert (evening["powerState"], evening["illuminanceLevel"]) == (1.0, 1.0)
    assert evening["activePower"] > 100 > noon["activePower"]
    assert values(light, local(JUL, 1), rng)["illuminanceLevel"] == 0.5
    assert simulate.night(local(JAN, 17.75)) and not simulate.night(local(JUL, 17.75))


def test_forest_fire_sensors_are_mostly_quiet() -> None:
    fire = sim_device("CHAY", "fire_smoke", list(KINDS["fire_smoke"].quantities))
    rng = random.Random(6)
    smoke = [values(fire, JUL + timedelta(minutes=10 * i), rng)["smokeDetected"]
             for i in range(6 * 24 * 30)]  # fmt: skip
    assert sum(smoke) < len(smoke) * 0.01


# --- the flood wave (controlled time) ----------------------------------------------------------


def test_the_flood_wave_crosses_alert_and_danger_within_minutes_then_recedes() -> None:
    gauge = sim_device("KC-LANGSON", "water_level", ["currentLevel"])
    rain = sim_device("MUA-THATKHE", "rain_gauge", ["precipitation"])
    assert gauge.levels is not None
    flood, rng = Flood(), random.Random(8)
    start = local(JAN, 10)
    levels, rains = [], []
    for t in range(0, 660, 5):
        at = start + timedelta(seconds=t)
        levels.append((t, values(gauge, at, rng, flood, t)["currentLevel"]))
        rains.append((t, values(rain, at, rng, flood, t)["precipitation"]))
    above = [t for t, v in levels if v >= gauge.levels.alert]
    danger = [t for t, v in levels if v >= gauge.levels.danger]
    assert levels[0][1] < gauge.levels.alert - 1
    assert above and 60 <= above[0] <= 240  # a demo sees it within a few minutes
    assert danger and above[0] < danger[0] < above[-1]
    assert above == list(range(above[0], above[-1] + 5, 5))  # one wave: up, then down
    assert above[-1] < 480
    assert levels[-1][1] < gauge.levels.normal + 0.2  # back to normal
    heavy = [t for t, mm in rains if mm >= 10]
    assert heavy and heavy[0] < above[0]  # the downpour comes first
    assert max(mm for t, mm in rains if t > flood.rain_end_s) < 8  # and eases


def test_without_the_scenario_the_river_stays_under_alert() -> None:
    gauge = sim_device("KC-LANGSON", "water_level", ["currentLevel"])
    rng = random.Random(9)
    got = [values(gauge, JUL + timedelta(minutes=m), rng)["currentLevel"]
           for m in range(0, 3 * 24 * 60, 7)]  # fmt: skip
    assert max(got) < 252.0 and min(got) > 250.2


def test_the_progress_line_shows_the_flood() -> None:
    gauge = sim_device("KC-LANGSON", "water_level", ["currentLevel"])
    sim, rec = Simulator([gauge], 1, Flood()), Recorder()
    rec.sent, rec.errors = 42, 1
    line = simulate.progress(sim, rec, local(JAN, 10), Flood().peak_s, 10)
    assert line.startswith("10:00:00") and "sent 42" in line and "errors 1" in line
    assert "KC-LANGSON" in line and "DANGER" in line


# --- pacing ---------------------------------------------------------------------------------


def test_open_loop_pacing_spreads_readings_over_the_devices() -> None:
    devices = [sim_device("A", "weather", ["temperature"]),
               sim_device("B", "rain_gauge", ["precipitation"])]  # fmt: skip
    rec, lines = Recorder(), []
    simulate.run(Simulator(devices, rate=40), rec, duration=0.5, echo=lines.append, every=0.2)
    assert len(rec.items) == 20 and rec.closed
    assert [i["device"] for i in rec.items[:4]] == ["A", "B", "A", "B"]
    for code in ("A", "B"):
        stamps = [i["ts"] for i in rec.items if i["device"] == code]
        assert len(set(stamps)) == len(stamps) == 10  # never a duplicate of a device
        assert datetime.fromisoformat(stamps[0]).utcoffset() == timedelta(0)  # sent in UTC
    assert len(lines) >= 2 and "sent 20" in lines[-1]


def test_a_stop_ends_the_run() -> None:
    stop, rec = threading.Event(), Recorder()
    stop.set()
    simulate.run(Simulator([sim_device("A", "weather", ["temperature"])], 5), rec, stop=stop,
                 echo=lambda _: None)  # fmt: skip
    assert rec.closed and rec.items == []


# --- over HTTP, through the real route ----------------------------------------------------------


def _poster(client: TestClient) -> simulate.Post:
    def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        answer = client.post(url, content=body, headers=headers)
        return answer.status_code, answer.content

    return post


def test_http_with_a_staff_token_stores_the_demo_devices_readings(
    session: Session, client: TestClient
) -> None:
    seed(session)
    demo.load(session, ACTOR, "20", datetime.now(UTC) - timedelta(hours=1))
    token = bearer(session, "tich-hop", "integration", "20")["Authorization"].split()[1]
    device(session, "REAL-01", "weather", at=(106.7750, 21.8115))  # not a demo one
    session.commit()
    devices = simulate.load_devices(session)
    assert [d.code for d in devices] == sorted(c for c, *_ in demo.DEVICES)
    assert simulate.load_devices(session, ["REAL-01"])[0].kind == "weather"
    began = datetime.now(UTC)
    transport = simulate.HttpTransport("http://testserver", token, post=_poster(client))
    sim = Simulator(devices, rate=45, flood=Flood())
    simulate.run(sim, transport, duration=1.0, echo=lambda _: None)
    assert (transport.sent, transport.errors) == (45, 0), transport.last_error
    session.expire_all()
    stored = session.scalar(
        select(func.count(func.distinct(Reading.device_id))).where(Reading.ts >= began)
    )
    assert stored == len(demo.DEVICES)


def test_http_errors_are_counted_and_said(org: Session, client: TestClient) -> None:
    device(org, "KC-01")
    transport = simulate.HttpTransport("http://testserver", "iocvn_wrong", post=_poster(client))
    transport.send([{"device": "KC-01", "ts": datetime.now(UTC).isoformat(),
                     "values": {"currentLevel": 2.0}}])  # fmt: skip
    assert (transport.sent, transport.errors) == (0, 1)
    assert transport.last_error.startswith("HTTP 401")
    viewer = bearer(org, "xem", "viewer", "20")["Authorization"].split()[1]
    org.commit()
    refused = simulate.HttpTransport("http://testserver", viewer, post=_poster(client))
    refused.send([{"device": "KC-01", "ts": "now", "values": {"currentLevel": 1}}])
    assert refused.errors == 1 and refused.last_error.startswith("HTTP 403")
    operator = bearer(org, "dieuhanh", "operator", "20")["Authorization"].split()[1]
    org.commit()
    mixed = simulate.HttpTransport("http://testserver", operator, post=_poster(client))
    now = datetime.now(UTC).isoformat()
    mixed.send([{"device": "KC-01", "ts": now, "values": {"currentLevel": 2.0}},
                {"device": "NO-SUCH", "ts": now, "values": {"currentLevel": 2.0}}])  # fmt: skip
    assert (mixed.sent, mixed.errors) == (1, 1) and "unknown_device" in mixed.last_error
    with pytest.raises(ValueError, match="--url"):
        simulate.HttpTransport("127.0.0.1:8000", operator)


def test_the_command_says_what_is_missing(org: Session) -> None:
    runner = CliRunner()
    none = runner.invoke(cli, ["simulate", "sensors", "--via", "http", "--token", "x"])
    assert none.exit_code == 1 and "no devices" in none.output
    device(org, "KC-01")
    no_token = runner.invoke(cli, ["simulate", "sensors", "--via", "http", "--device", "KC-01"],
                             env={"IOCVN_TOKEN": ""})  # fmt: skip
    assert no_token.exit_code == 1 and "--token" in no_token.output
    bad = runner.invoke(cli, ["simulate", "sensors", "--scenario", "storm", "--via", "http"])
    assert bad.exit_code == 1 and "flood" in bad.output


# --- over MQTT, to the real broker --------------------------------------------------------------


@needs_broker
def test_mqtt_publishes_qos1_readings_on_the_device_topics() -> None:
    prefix = f"iocvn-sim-test-{secrets.token_hex(4)}"
    broker = Broker.from_url(BROKER)
    got: list[tuple[str, int, dict[str, object]]] = []
    subscribed = threading.Event()
    listener = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"sub-{prefix}")
    listener.on_subscribe = lambda *_: subscribed.set()
    listener.on_message = lambda _c, _u, m: got.append(
        (m.topic, m.qos, json.loads(m.payload))
    )  # fmt: skip
    listener.connect(broker.host, broker.port)
    listener.subscribe(f"{prefix}/+/readings", qos=1)
    listener.loop_start()
    try:
        assert subscribed.wait(10)
        devices = [sim_device("KC-LANGSON", "water_level", ["currentLevel"]),
                   sim_device("MUA-MAUSON", "rain_gauge", ["precipitation"])]  # fmt: skip
        transport = simulate.MqttTransport(BROKER, prefix)
        simulate.run(Simulator(devices, rate=30, flood=Flood()), transport, duration=0.5,
                     echo=lambda _: None)  # fmt: skip
        assert (transport.sent, transport.errors) == (15, 0)
        end = datetime.now(UTC) + timedelta(seconds=10)
        while len(got) < 15 and datetime.now(UTC) < end:
            threading.Event().wait(0.05)
    finally:
        listener.disconnect()
        listener.loop_stop()
    assert len(got) == 15
    assert {t for t, _, _ in got} == {f"{prefix}/KC-LANGSON/readings",
                                      f"{prefix}/MUA-MAUSON/readings"}  # fmt: skip
    assert all(qos == 1 for _, qos, _ in got)
    body = next(b for t, _, b in got if t.endswith("/KC-LANGSON/readings"))
    assert set(body) == {"ts", "values"}
    assert set(body["values"]) == {"currentLevel"}


def test_an_unreachable_broker_is_said() -> None:
    with pytest.raises(OSError, match=r"refused|did not accept"):
        simulate.MqttTransport("mqtt://127.0.0.1:1", "iocvn", connect_timeout=1)
