"""Sustained citizen-report intake over HTTP: a real ``uvicorn`` server and an open-loop load
generator on this machine (loopback only), POSTing reports to ``/api/v1/feedback/webhook``.

Open loop: request i is due at ``start + i / RATE``, and its latency is measured from that
moment, so a server that falls behind shows it in the percentiles (no coordinated omission).
Each report has a real point in a Lạng Sơn commune, a phone number to seal, and goes through
the whole intake (rate check, place, routing, deadline, audit entry) in its own transaction.

Environment: ``BENCH_FEEDBACK_RATE`` (reports/s, default 200), ``BENCH_FEEDBACK_SECONDS``
(default 20), ``BENCH_FEEDBACK_WORKERS`` (uvicorn worker processes, default 2: one per core).
A request not answered within 5 s is counted in ``errors`` (``ReadTimeout``), so an
overloaded server shows as errors and a lower ``achieved_per_s``, not as a crash.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import fresh_database, report

RATE = float(os.environ.get("BENCH_FEEDBACK_RATE", "200"))
SECONDS = float(os.environ.get("BENCH_FEEDBACK_SECONDS", "20"))
WORKERS = int(os.environ.get("BENCH_FEEDBACK_WORKERS", "2"))
TIMEOUT = 5.0  # a request not answered in 5 s counts as failed (ReadTimeout)
TEXTS = [
    "Ổ gà lớn giữa đường, xe máy đi qua rất dễ ngã, đề nghị sửa sớm.",
    "Đèn đường cả dãy phố tắt từ tối qua, rất tối và nguy hiểm.",
    "Cống thoát nước bị tắc, mưa là ngập cả đoạn đường trước chợ.",
    "Rác thải đổ trộm ở bãi đất trống cạnh trường học, bốc mùi hôi.",
    "Quán karaoke hát to quá 23 giờ đêm, ảnh hưởng người dân xung quanh.",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _points() -> list[tuple[float, float]]:
    from shapely.geometry import shape

    import iocvn.org

    folder = Path(iocvn.org.__file__).parent / "data"
    data = json.loads((folder / "lang-son-boundaries.geojson").read_text(encoding="utf-8"))
    return [
        (p.y, p.x)
        for f in data["features"][1:]
        for p in [shape(f["geometry"]).representative_point()]
    ]


async def _load(url: str, headers: dict[str, str], points: list[tuple[float, float]]) -> dict:
    import httpx

    total = int(RATE * SECONDS)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    rng = random.Random(7)
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    client = httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=TIMEOUT)
    async with client as c:
        for lat, lon in points[:30]:  # warm-up, not measured: caches, connections, imports
            body = {"description": TEXTS[0], "lat": lat, "lon": lon, "channel": "app"}
            await c.post("/api/v1/feedback/webhook", json=body)
        start = time.perf_counter()

        async def one(i: int) -> None:
            due = start + i / RATE
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            if sum(errors.values()) > max(20, 0.05 * len(latencies)):
                errors["not sent: overloaded"] = errors.get("not sent: overloaded", 0) + 1
                return  # stop loading a server that already fails: the result is known
            lat, lon = rng.choice(points)
            body = {"description": rng.choice(TEXTS), "lat": lat, "lon": lon,
                    "phone": f"09{rng.randrange(10**8):08d}", "channel": "app"}  # fmt: skip
            try:
                r = await c.post("/api/v1/feedback/webhook", json=body)
                key = str(r.status_code)
            except httpx.HTTPError as exc:
                key = type(exc).__name__
            latencies.append((time.perf_counter() - due) * 1000)
            if key != "201":
                errors[key] = errors.get(key, 0) + 1

        await asyncio.gather(*(one(i) for i in range(total)))
        elapsed = time.perf_counter() - start
    latencies.sort()
    if not latencies:
        latencies = [float("nan")]
    return {
        "median_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1),
        "n": total,
        "offered_per_s": RATE,
        "achieved_per_s": round(total / elapsed, 1),
        "errors": errors,
        "workers": WORKERS,
    }


def main() -> None:
    with fresh_database() as url:
        from iocvn.auth import credentials
        from iocvn.auth import service as users
        from iocvn.core.context import Actor
        from iocvn.db import transaction
        from iocvn.feedback import catalogue, routing

        with transaction() as s:
            catalogue.seed_categories(s, Actor("bench"))
            routing.seed_rules(s, Actor("bench"), "20")
            user = users.create_user(s, Actor("bench"), users.NewUser("app", "integration", "20"))
            token, _ = credentials.create_token(s, Actor("bench"), user)
        port = _free_port()
        env = {**os.environ, "IOCVN_DATABASE_URL": url, "IOCVN_FEEDBACK_PER_HOUR": "0",
               "IOCVN_LOG_LEVEL": "WARNING", "IOCVN_NOTIFY_INTERVAL_SECONDS": "0"}  # fmt: skip
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "iocvn.app:create_app",
             "--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS),
             "--no-access-log", "--log-level", "warning"],
            env=env,
        )  # fmt: skip
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    break
                except OSError:
                    time.sleep(0.2)
            points = _points()
            result = asyncio.run(
                _load(f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}, points)
            )
        finally:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(15)
        report(f"feedback intake over HTTP at {RATE:g}/s for {SECONDS:g} s", result)


if __name__ == "__main__":
    main()
