"""Sustained citizen-report intake over HTTP: a real ``uvicorn`` server and an open-loop load
generator on this machine (loopback only), POSTing reports to ``/api/v1/feedback/webhook``.

Open loop: request i is due at ``start + i / RATE``, and its latency is measured from that
moment, so a server that falls behind shows it in the percentiles (no coordinated omission).
Each report has a real point in a Lạng Sơn commune, a phone number to seal, and goes through
the whole intake (rate check, place, routing, deadline, audit entry) in its own transaction.

Environment: ``BENCH_FEEDBACK_RATE`` (reports/s, default 200), ``BENCH_FEEDBACK_SECONDS``
(default 20), ``BENCH_FEEDBACK_WORKERS`` (uvicorn worker processes, default 2: one per core),
``BENCH_FEEDBACK_WARMUP_S`` (default 2: seconds at the rate before measuring, so that a
running server is measured, its pooled connections open and statements prepared).
A request not answered within 5 s is counted in ``errors`` (``ReadTimeout``), so an
overloaded server shows as errors and a lower ``achieved_per_s``, not as a crash. The
result also says how late the generator itself sent its requests (``sent_late_p99_ms``: its
own lag, which the latencies include) and where the cores went over the run:
``server_cores`` (uvicorn and its workers), ``postgres_cores`` (every PostgreSQL process)
and ``bench_cores`` (this generator).
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

from common import cpu_by_group, fresh_database, report

RATE = float(os.environ.get("BENCH_FEEDBACK_RATE", "200"))
SECONDS = float(os.environ.get("BENCH_FEEDBACK_SECONDS", "20"))
WORKERS = int(os.environ.get("BENCH_FEEDBACK_WORKERS", "2"))
TIMEOUT = 5.0  # a request not answered in 5 s counts as failed (ReadTimeout)
WARMUP_S = float(os.environ.get("BENCH_FEEDBACK_WARMUP_S", "2"))
LEAD_S = 0.5  # requests' tasks are made this long before the first is due
IDLE_S = 4.0  # a kept-alive connection idle longer is not reused (uvicorn closes it at 5 s)
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


class _Connections:
    """A lean HTTP/1.1 keep-alive client for the load generator (loopback, JSON POSTs only).

    The load generator shares the two cores with the server and PostgreSQL; httpx spent about
    2 ms of CPU per request, and more as connections multiplied when latency rose, taking
    CPU from the server it measures. This writes prepared bytes and reads the status line,
    headers and ``Content-Length`` body: about a tenth of that.
    """

    def __init__(self, host: str, port: int, headers: dict[str, str], limit: int) -> None:
        self.host, self.port, self.limit = host, port, limit
        self.head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self.open = 0
        self.freed = asyncio.Condition()

    async def _get(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        async with self.freed:
            while not self.idle and self.open >= self.limit:
                await self.freed.wait()
            while self.idle:  # uvicorn closes a connection idle for 5 s: leave those
                reader, writer, since = self.idle.pop()
                if time.monotonic() - since < IDLE_S:
                    return reader, writer
                writer.close()
                self.open -= 1
            self.open += 1
        try:
            return await asyncio.open_connection(self.host, self.port)
        except OSError:
            await self._drop()
            raise

    async def _drop(self) -> None:
        async with self.freed:
            self.open -= 1
            self.freed.notify()

    async def post(self, path: str, body: dict[str, object]) -> int:
        """POST ``body`` as JSON; the response status (raises on a broken connection)."""
        data = json.dumps(body, ensure_ascii=False).encode()
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.head}"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
        ).encode() + data
        for attempt in (1, 2):
            reader, writer = await self._get()
            try:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                break
            except (OSError, asyncio.IncompleteReadError):
                writer.close()
                await self._drop()
                if attempt == 2:  # a kept-alive connection the server had closed: once more
                    raise
        try:
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
        except BaseException:
            writer.close()
            await self._drop()
            raise
        async with self.freed:
            self.idle.append((reader, writer, time.monotonic()))
            self.freed.notify()
        return status

    async def close(self) -> None:
        for _, writer, _ in self.idle:
            writer.close()


async def _load(
    port: int, headers: dict[str, str], points: list[tuple[float, float]], server_pid: int
) -> dict[str, object]:
    total = int(RATE * SECONDS)
    latencies: list[float] = []
    late: list[float] = []  # how late each request left the generator, seconds
    errors: dict[str, int] = {}
    rng = random.Random(7)
    client = _Connections("127.0.0.1", port, headers, limit=256)
    for lat, lon in points[:30]:  # warm-up, not measured: caches, connections, imports
        body = {"description": TEXTS[0], "lat": lat, "lon": lon, "channel": "app"}
        await client.post("/api/v1/feedback/webhook", body)

    async def one(i: int, start: float, kept: list[float]) -> None:
        due = start + i / RATE
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        late.append(time.perf_counter() - due)
        if sum(errors.values()) > max(20, 0.05 * len(kept)):
            errors["not sent: overloaded"] = errors.get("not sent: overloaded", 0) + 1
            return  # stop loading a server that already fails: the result is known
        lat, lon = rng.choice(points)
        body = {"description": rng.choice(TEXTS), "lat": lat, "lon": lon,
                "phone": f"09{rng.randrange(10**8):08d}", "channel": "app"}  # fmt: skip
        try:
            key = str(
                await asyncio.wait_for(client.post("/api/v1/feedback/webhook", body), TIMEOUT)
            )
        except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
            key = type(exc).__name__
        kept.append((time.perf_counter() - due) * 1000)
        if key != "201":
            errors[key] = errors.get(key, 0) + 1

    # Every request's task is made before the first is due: making thousands of tasks takes
    # the generator ≈ 0,1–0,3 s, and requests due meanwhile would go out late, their wait
    # counted as the server's (the first quarter-second of a run measured 300–600 ms).
    # At the rate, not measured: the pools' connections and statements of a running server.
    warm = time.perf_counter() + LEAD_S
    await asyncio.gather(*[one(i, warm, []) for i in range(int(RATE * WARMUP_S))])
    errors.clear()
    late.clear()
    start = time.perf_counter() + LEAD_S
    tasks = [asyncio.ensure_future(one(i, start, latencies)) for i in range(total)]
    await asyncio.sleep(max(0.0, start - 0.01 - time.perf_counter()))
    cpu_before = cpu_by_group(server_pid)
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    cpu_after = cpu_by_group(server_pid)
    cores = {f"{k}_cores": round((cpu_after[k] - cpu_before[k]) / elapsed, 2) for k in cpu_after}
    await client.close()
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
        # how late the generator itself sent requests (its own lag, included in the latencies)
        "sent_late_p99_ms": round(sorted(late)[int(len(late) * 0.99) - 1] * 1000, 1),
        "workers": WORKERS,
        **cores,
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
               "IOCVN_FEEDBACK_APP_PER_HOUR": "0", "IOCVN_LOG_LEVEL": "WARNING",
               "IOCVN_NOTIFY_INTERVAL_SECONDS": "0"}  # fmt: skip
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "iocvn.app:server_app",
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
                _load(port, {"Authorization": f"Bearer {token}"}, points, server.pid)
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
