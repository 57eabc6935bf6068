"""The alerting engine's state machine (issue #5: 10,000 readings/s, alert latency p99 ≤ 2 s):
``step()`` calls per second over 10,000 series — steady (the common case: nothing changes),
a combined level-and-rate rule, and the worst case where every call is a transition — and
one round of grouping 1,000 firing alerts. Pure: no database."""

from __future__ import annotations

from collections import deque

from common import PG_ADMIN, measure, report

from iocvn.alerts.engine import (
    AlertState,
    AllOf,
    GroupPolicy,
    Observation,
    Rate,
    Rule,
    Threshold,
    due_notifications,
    new_alert,
    regroup,
    step,
)

SERIES = 10_000
T0 = 1_780_000_000.0


def series(rule: Rule) -> list[AlertState]:
    """One alert instance per series (a gauge), 100 communes."""
    return [
        new_alert(rule, {"device": f"D-{i:05}", "commune": f"C{i % 100:03}"}) for i in range(SERIES)
    ]


def observations(levels: list[float]) -> list[Observation]:
    """Each series' last ten readings a minute apart, in a deque as the loop will keep them."""
    return [
        Observation(
            {"currentLevel": deque(((T0 + 60 * m, levels[m]) for m in range(10)), maxlen=10)}
        )
        for _ in range(SERIES)
    ]


def bench_step(name: str, rule: Rule, *levels: list[float]) -> None:
    """Rounds stepping every series; round k sees the k-th set of readings (cycling)."""
    alerts = series(rule)
    seen = [observations(values) for values in levels]
    now = T0 + 9 * 60 + 30  # 30 s after the newest reading
    turn = iter(range(10**9))

    def one_round() -> None:
        current = seen[next(turn) % len(seen)]
        for i, alert in enumerate(alerts):
            alerts[i], _ = step(alert, current[i], now)

    result = measure(one_round, repeat=30)
    report(name, result, series=SERIES, calls_per_s=round(SERIES / (result["median_ms"] / 1000)))


def main() -> None:
    if PG_ADMIN:
        return  # pure: one run is enough
    level = Threshold("currentLevel", ">", 3.2)
    low, high = [3.0] * 10, [3.5] * 10
    bench_step("alert engine: step, threshold, steady normal", Rule("level", level), low)
    rising = [3.3 + 0.02 * m for m in range(10)]
    both = AllOf((level, Rate("currentLevel", ">", 0.01, 600)))
    bench_step("alert engine: step, level and rate, steady firing", Rule("flood", both), rising)
    # Worst case: for_s > 0 and the level crosses the threshold at every round, so every call
    # is a transition (normal → pending → normal …) with its values and a new state.
    flapping = Rule("level", level, for_s=300)
    bench_step("alert engine: step, every call a transition", flapping, high, low)

    last = T0 + 9 * 60
    firing = [
        step(a, Observation({"currentLevel": [(last, 3.5)]}), last)[0]
        for a in series(Rule("level", level))[:1000]
    ]
    policy = GroupPolicy(("alertname", "commune"))

    def group_round() -> None:
        due_notifications(regroup((), firing, policy, last + 60), last + 60)

    result = measure(group_round, repeat=30)
    report("alert engine: regroup + due, 1,000 firing alerts", result, alerts=len(firing))


if __name__ == "__main__":
    main()
