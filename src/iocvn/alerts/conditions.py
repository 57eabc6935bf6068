"""A rule's condition as JSON (the API's body and ``alert_rules.condition``) and back to the
engine's values. Pure: no database, no clock.

One key per node::

    {"threshold": {"quantity": "so2", "op": ">", "value": 500, "reduce": "max", "window_s": 900}}
    {"rate": {"quantity": "currentLevel", "op": ">", "value": 0.05, "window_s": 900}}
    {"absent": {"quantity": "currentLevel", "intervals": 3}}
    {"all": [<condition>, …]}    {"any": [<condition>, …]}

``reduce`` (``last`` by default) and ``window_s`` (0: the rule's freshness span) are optional
for a threshold; a rate is per minute over ``window_s``; an absence counts the rule's expected
intervals (``interval_s`` in the node only when it differs from the rule's). Trees are bounded
(:data:`MAX_DEPTH`, :data:`MAX_NODES`, :data:`MAX_CHILDREN`) so a request cannot make the
evaluation loop walk a huge tree; a bad tree raises ``alert_condition_invalid`` naming where
(``condition.all[1].threshold.op``) and why. ``parse(dump(c, i), i) == c`` (property-tested).
This module must not read the database: which quantities a device measures is checked by
:mod:`.rules`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final, NoReturn, cast

from iocvn.alerts import messages_rules as _messages  # noqa: F401  (registers the texts)
from iocvn.alerts.engine import Absent, AllOf, AnyOf, Condition, Rate, Threshold
from iocvn.alerts.engine_rules import OPS
from iocvn.core.errors import Invalid

MAX_DEPTH: Final = 4  # a leaf alone is depth 1; all/any of leaves is 2
MAX_NODES: Final = 24  # leaves and combinations together
MAX_CHILDREN: Final = 12  # conditions in one all/any
MAX_WINDOW_S: Final = 7 * 86400.0  # windows of at most a week
MAX_INTERVALS: Final = 1000
QUANTITY: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")  # as sensors.registry.QUANTITY
REDUCERS: Final = ("last", "min", "max", "mean")
KINDS: Final = ("threshold", "rate", "absent", "all", "any")
_FIELDS: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {  # required, optional
    "threshold": (("quantity", "op", "value"), ("reduce", "window_s")),
    "rate": (("quantity", "op", "value", "window_s"), ()),
    "absent": (("quantity",), ("intervals", "interval_s")),
}

Leaf = Threshold | Rate | Absent


def _invalid(path: str, problem: str) -> NoReturn:
    raise Invalid("alert_condition_invalid", details={"path": path, "problem": problem},
                  path=path, problem=problem)  # fmt: skip


def _number(node: Mapping[str, Any], name: str, path: str) -> float:
    found = node[name]
    if isinstance(found, bool) or not isinstance(found, int | float) or not math.isfinite(found):
        _invalid(f"{path}.{name}", "a finite number is needed")
    return float(found)


def _window(node: Mapping[str, Any], path: str, *, positive: bool) -> float:
    if "window_s" not in node:
        return 0.0
    found = _number(node, "window_s", path)
    if found < 0 or (positive and found == 0) or found > MAX_WINDOW_S:
        low = "> 0" if positive else "≥ 0"
        _invalid(f"{path}.window_s", f"seconds {low} and at most 7 days (604800)")
    return found


def _leaf(kind: str, body: object, path: str, interval_s: float) -> Leaf:
    path = f"{path}.{kind}"
    if not isinstance(body, Mapping):
        _invalid(path, "an object with the fields of the condition is needed")
    required, optional = _FIELDS[kind]
    for name in body:
        if name not in required and name not in optional:
            allowed = ", ".join((*required, *optional))
            _invalid(f"{path}.{str(name)[:40]}", f"unknown field (allowed: {allowed})")
    for name in required:
        if name not in body:
            _invalid(f"{path}.{name}", "missing")
    quantity = body["quantity"]
    if not isinstance(quantity, str) or not QUANTITY.match(quantity):
        _invalid(f"{path}.quantity", "a quantity name such as currentLevel or so2")
    if kind == "absent":
        intervals = body.get("intervals", 3)
        if isinstance(intervals, bool) or not isinstance(intervals, int):
            _invalid(f"{path}.intervals", "a whole number of expected intervals")
        if not 1 <= intervals <= MAX_INTERVALS:
            _invalid(f"{path}.intervals", f"between 1 and {MAX_INTERVALS}")
        own = _number(body, "interval_s", path) if "interval_s" in body else interval_s
        if not 0 < own <= MAX_WINDOW_S:
            _invalid(f"{path}.interval_s", "seconds > 0 and at most 7 days (604800)")
        return Absent(quantity, own, intervals)
    op = body["op"]
    if not isinstance(op, str) or op not in OPS:
        _invalid(f"{path}.op", f"one of {' '.join(OPS)}")
    value = _number(body, "value", path)
    if kind == "rate":
        return Rate(quantity, cast(Any, op), value, _window(body, path, positive=True))
    reduce = body.get("reduce", "last")
    if not isinstance(reduce, str) or reduce not in REDUCERS:
        _invalid(f"{path}.reduce", f"one of {', '.join(REDUCERS)}")
    window_s = _window(body, path, positive=False)
    return Threshold(quantity, cast(Any, op), value, cast(Any, reduce), window_s)


def _node(tree: object, path: str, depth: int, seen: list[int], interval_s: float) -> Condition:
    if depth > MAX_DEPTH:
        _invalid(path, f"nested deeper than {MAX_DEPTH} levels")
    seen[0] += 1
    if seen[0] > MAX_NODES:
        _invalid(path, f"more than {MAX_NODES} conditions in one rule")
    if not isinstance(tree, Mapping) or len(tree) != 1:
        _invalid(path, f"an object with exactly one key, one of: {', '.join(KINDS)}")
    ((kind, body),) = tree.items()
    if kind not in KINDS:
        _invalid(f"{path}.{str(kind)[:40]}", f"unknown condition (one of: {', '.join(KINDS)})")
    if kind not in ("all", "any"):
        return _leaf(kind, body, path, interval_s)
    if not isinstance(body, list) or not 1 <= len(body) <= MAX_CHILDREN:
        _invalid(f"{path}.{kind}", f"a list of 1 to {MAX_CHILDREN} conditions")
    parts = tuple(
        _node(child, f"{path}.{kind}[{i}]", depth + 1, seen, interval_s)
        for i, child in enumerate(body)
    )
    return AllOf(parts) if kind == "all" else AnyOf(parts)


def parse(tree: object, interval_s: float) -> Condition:
    """The engine's condition of a JSON tree (``interval_s``: the rule's expected interval,
    which absences count); 422 ``alert_condition_invalid`` naming where and why."""
    return _node(tree, "condition", 1, [0], interval_s)


def dump(condition: Condition, interval_s: float | None = None) -> dict[str, Any]:
    """The JSON tree of an engine condition, every field written out (an absence's
    ``interval_s`` only when it differs from the rule's ``interval_s``)."""
    if isinstance(condition, Threshold):
        return {"threshold": {"quantity": condition.quantity, "op": condition.op,
                              "value": condition.value, "reduce": condition.reduce,
                              "window_s": condition.window_s}}  # fmt: skip
    if isinstance(condition, Rate):
        return {"rate": {"quantity": condition.quantity, "op": condition.op,
                         "value": condition.value, "window_s": condition.window_s}}  # fmt: skip
    if isinstance(condition, Absent):
        body: dict[str, Any] = {"quantity": condition.quantity, "intervals": condition.intervals}
        if condition.interval_s != interval_s:
            body["interval_s"] = condition.interval_s
        return {"absent": body}
    kind = "all" if isinstance(condition, AllOf) else "any"
    return {kind: [dump(c, interval_s) for c in condition.conditions]}


def leaves(condition: Condition) -> Iterator[Leaf]:
    """The thresholds, rates and absences of a condition, in order."""
    if isinstance(condition, AllOf | AnyOf):
        for part in condition.conditions:
            yield from leaves(part)
    else:
        yield condition


def quantities(condition: Condition) -> list[str]:
    """The quantities a condition reads, in order of first appearance."""
    return list(dict.fromkeys(leaf.quantity for leaf in leaves(condition)))


def simple_threshold(condition: Condition) -> Threshold | None:
    """The condition when it is the plain ``last(quantity) op value`` (the flat columns of
    ``alert_rules`` can hold it), else None."""
    if isinstance(condition, Threshold) and condition.reduce == "last" and not condition.window_s:
        return condition
    return None
