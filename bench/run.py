"""Run every bench_*.py (on SQLite, and on PostgreSQL when BENCH_PG or 127.0.0.1:5432 is
reachable) and print one table of medians."""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).parent
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def pg_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5432), 2).close()
        return True
    except OSError:
        return False


def main() -> None:
    rows = []
    targets = [{}] + ([{"BENCH_PG": os.environ.get("BENCH_PG", PG)}] if pg_reachable() else [])
    for script in sorted(HERE.glob("bench_*.py")):
        for extra in targets:
            out = subprocess.run(
                [sys.executable, str(script)],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, **extra},
                cwd=HERE,
            ).stdout
            rows += [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    print(
        f"# {datetime.now().strftime('%d/%m/%Y %H:%M')} · {platform.node()} · "
        f"{os.cpu_count()} cores · Python {platform.python_version()}"
    )
    print(
        f"| {'benchmark':<48} | {'db':<10} | {'median ms':>10} | {'p95 ms':>8} | {'n':>4} | extra |"
    )
    print(f"|{'-' * 50}|{'-' * 12}|{'-' * 12}|{'-' * 10}|{'-' * 6}|-------|")
    for r in rows:
        extra = {k: v for k, v in r.items() if k not in {"name", "db", "median_ms", "p95_ms", "n"}}
        print(
            f"| {r['name']:<48} | {r['db']:<10} | {r['median_ms']:>10} | "
            f"{r.get('p95_ms', ''):>8} | {r['n']:>4} | {json.dumps(extra) if extra else ''} |"
        )


if __name__ == "__main__":
    main()
