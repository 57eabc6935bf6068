"""Shared set-up for benchmarks: a fresh database (SQLite file, or PostgreSQL when
``BENCH_PG`` is set) with Lạng Sơn loaded, and timing helpers that report medians."""

from __future__ import annotations

import json
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_ADMIN = os.environ.get("BENCH_PG", "")


@contextmanager
def fresh_database() -> Iterator[str]:
    """Yield the URL of a new, migrated, seeded database; drop it afterwards."""
    from cryptography.fernet import Fernet

    os.environ["IOCVN_SECRET_KEY"] = secrets.token_urlsafe(32)
    os.environ["IOCVN_DATA_KEYS"] = Fernet.generate_key().decode()
    if PG_ADMIN:
        name = f"iocvn_bench_{secrets.token_hex(4)}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
        try:
            yield _prepare(url)
        finally:
            from iocvn.db import engine_for

            engine_for.cache_clear()
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            yield _prepare(f"sqlite:///{Path(tmp) / 'bench.db'}")


def _prepare(url: str) -> str:
    os.environ["IOCVN_DATABASE_URL"] = url
    from iocvn.config import get_settings
    from iocvn.core.context import Actor
    from iocvn.db import migrate, transaction
    from iocvn.org.service import seed_province

    get_settings.cache_clear()
    migrate(url)
    with transaction() as session:
        seed_province(session, "20", Actor("bench"))
    return url


def measure(fn: Callable[[], object], repeat: int, warmup: int = 5) -> dict[str, float]:
    """Median and 95th percentile of ``fn`` in milliseconds."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 3),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 3),
        "n": repeat,
    }


def report(name: str, result: dict[str, float], **extra: object) -> None:
    """One JSON line per result; bench/run.py turns them into a table."""
    db = "postgresql" if PG_ADMIN else "sqlite"
    print(json.dumps({"name": name, "db": db, **result, **extra}, ensure_ascii=False), flush=True)


def cpu_by_group(root_pid: int) -> dict[str, float]:
    """CPU seconds (user + system, from ``/proc``) used so far by the process ``root_pid`` and
    its descendants (``server``), by every ``postgres`` process, and by this one (``bench``).
    Two readings' difference over a run says where the cores went."""
    ticks = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    spent: dict[int, float] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:  # the process ended meanwhile
            continue
        name, rest = raw[raw.index("(") + 1 : raw.rindex(")")], raw[raw.rindex(")") + 2 :].split()
        pid = int(entry.name)
        parent[pid], names[pid] = int(rest[1]), name
        spent[pid] = (int(rest[11]) + int(rest[12])) / ticks
    out = {"server": 0.0, "postgres": 0.0, "bench": spent.get(os.getpid(), 0.0)}
    for pid, seconds in spent.items():
        ancestor = pid
        while ancestor not in (root_pid, 0, 1) and ancestor in parent:
            ancestor = parent[ancestor]
        if ancestor == root_pid:
            out["server"] += seconds
        elif names[pid] == "postgres":
            out["postgres"] += seconds
    return out
