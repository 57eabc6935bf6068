"""Conditions as JSON (``alerts.conditions``), pure: every engine condition survives a trip
through JSON, and bad trees are refused naming where and why."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iocvn.alerts import conditions
from iocvn.alerts.engine import Absent, AllOf, AnyOf, Condition, Rate, Threshold
from iocvn.core.errors import Invalid
from iocvn.core.i18n import t

OPS = (">", ">=", "<", "<=", "==", "!=")
quantities = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,12}", fullmatch=True)
values = st.floats(allow_nan=False, allow_infinity=False)
windows = st.floats(min_value=0, max_value=conditions.MAX_WINDOW_S)
positive = st.floats(min_value=0, max_value=conditions.MAX_WINDOW_S, exclude_min=True)
intervals = st.sampled_from([60.0, 300.0, 600.0])

leaves = st.one_of(
    st.builds(Threshold, quantities, st.sampled_from(OPS), values,
              st.sampled_from(conditions.REDUCERS), windows),
    st.builds(Rate, quantities, st.sampled_from(OPS), values, positive),
    st.builds(Absent, quantities, st.one_of(intervals, positive),
              st.integers(1, conditions.MAX_INTERVALS)),
)  # fmt: skip


def _trees(depth: int) -> st.SearchStrategy[Condition]:
    if depth == 1:
        return leaves
    children = st.lists(_trees(depth - 1), min_size=1, max_size=3).map(tuple)
    return st.one_of(leaves, children.map(AllOf), children.map(AnyOf))


def _size(c: Condition) -> int:
    return 1 + sum(_size(p) for p in c.conditions) if isinstance(c, AllOf | AnyOf) else 1


trees = _trees(conditions.MAX_DEPTH).filter(lambda c: _size(c) <= conditions.MAX_NODES)


@given(trees, intervals)
def test_every_condition_survives_json(condition: Condition, interval_s: float) -> None:
    tree = json.loads(json.dumps(conditions.dump(condition, interval_s)))
    assert conditions.parse(tree, interval_s) == condition
    # the dump is canonical: parsing then dumping again gives the same tree
    assert conditions.dump(conditions.parse(tree, interval_s), interval_s) == tree


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
    | st.sampled_from(["threshold", "rate", "absent", "all", "any", "quantity", "op", ">"]),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(
        st.sampled_from(["threshold", "rate", "absent", "all", "any", "quantity", "op",
                         "value", "reduce", "window_s", "intervals", "x"]),
        inner, max_size=4,
    ),
    max_leaves=30,
)  # fmt: skip


@given(json_values)
def test_any_json_is_a_condition_or_refused_with_a_reason(tree: Any) -> None:
    found: Condition | Invalid
    try:
        found = conditions.parse(tree, 300.0)
    except Invalid as refused:
        found = refused
    if isinstance(found, Invalid):
        assert found.code == "alert_condition_invalid"
        assert found.details["path"].startswith("condition")
        assert found.details["problem"]
    else:
        assert isinstance(found, Threshold | Rate | Absent | AllOf | AnyOf)


def test_short_forms_take_the_engines_defaults() -> None:
    parsed = conditions.parse({"threshold": {"quantity": "so2", "op": ">", "value": 500}}, 300)
    assert parsed == Threshold("so2", ">", 500.0)
    assert conditions.simple_threshold(parsed) == parsed
    absent = conditions.parse({"absent": {"quantity": "currentLevel"}}, 600)
    assert absent == Absent("currentLevel", 600.0, 3)
    assert conditions.dump(absent, 600) == {"absent": {"quantity": "currentLevel", "intervals": 3}}
    assert conditions.dump(absent, 300) == {
        "absent": {"quantity": "currentLevel", "intervals": 3, "interval_s": 600.0}
    }
    both = conditions.parse(
        {"any": [{"threshold": {"quantity": "so2", "op": ">", "value": 500, "reduce": "max",
                                "window_s": 900}},
                 {"all": [{"rate": {"quantity": "nox", "op": ">", "value": 2, "window_s": 600}},
                          {"threshold": {"quantity": "so2", "op": ">", "value": 1}}]}]},
        300,
    )  # fmt: skip
    assert both == AnyOf(
        (
            Threshold("so2", ">", 500.0, "max", 900.0),
            AllOf((Rate("nox", ">", 2.0, 600.0), Threshold("so2", ">", 1.0))),
        )
    )
    assert conditions.quantities(both) == ["so2", "nox"]
    assert conditions.simple_threshold(both) is None
    assert conditions.simple_threshold(Threshold("so2", ">", 1.0, "max")) is None


def _nested(depth: int) -> dict[str, Any]:
    tree: dict[str, Any] = {"threshold": {"quantity": "so2", "op": ">", "value": 1}}
    for _ in range(depth - 1):
        tree = {"all": [tree]}
    return tree


LEAF = {"quantity": "so2", "op": ">", "value": 500}


@pytest.mark.parametrize(
    ("tree", "path", "problem"),
    [
        ([], "condition", "exactly one key"),
        ({"threshold": LEAF, "rate": LEAF}, "condition", "exactly one key"),
        ({"treshold": LEAF}, "condition.treshold", "unknown condition"),
        ({"threshold": [1]}, "condition.threshold", "an object"),
        ({"threshold": LEAF | {"op": "=>"}}, "condition.threshold.op", "one of"),
        ({"threshold": LEAF | {"value": "500"}}, "condition.threshold.value", "finite number"),
        ({"threshold": LEAF | {"value": True}}, "condition.threshold.value", "finite number"),
        ({"threshold": LEAF | {"value": math.nan}}, "condition.threshold.value", "finite"),
        ({"threshold": LEAF | {"value": math.inf}}, "condition.threshold.value", "finite"),
        ({"threshold": LEAF | {"reduce": "median"}}, "condition.threshold.reduce", "one of"),
        ({"threshold": LEAF | {"window_s": -1}}, "condition.threshold.window_s", "≥ 0"),
        ({"threshold": LEAF | {"window_s": 8 * 86400}}, "condition.threshold.window_s", "7 days"),
        ({"threshold": LEAF | {"limit": 1}}, "condition.threshold.limit", "unknown field"),
        ({"threshold": {"quantity": "so2", "op": ">"}}, "condition.threshold.value", "missing"),
        ({"threshold": LEAF | {"quantity": "so 2"}}, "condition.threshold.quantity", "quantity"),
        ({"rate": LEAF | {"window_s": 0}}, "condition.rate.window_s", "> 0"),
        ({"rate": LEAF}, "condition.rate.window_s", "missing"),
        ({"absent": {"quantity": "so2", "intervals": 0}}, "condition.absent.intervals", "between"),
        ({"absent": {"quantity": "so2", "intervals": 2.5}}, "condition.absent.intervals", "whole"),
        ({"absent": {"quantity": "so2", "op": ">"}}, "condition.absent.op", "unknown field"),
        ({"all": []}, "condition.all", "a list"),
        ({"any": {"threshold": LEAF}}, "condition.any", "a list"),
        ({"all": [{"threshold": LEAF}, {"threshold": LEAF | {"op": "~"}}]},
         "condition.all[1].threshold.op", "one of"),
        ({"any": [{"threshold": LEAF}] * 13}, "condition.any", "1 to 12"),
        (_nested(conditions.MAX_DEPTH + 1), "condition.all[0].all[0].all[0].all[0]", "deeper"),
        ({"any": [{"all": [{"threshold": LEAF}] * 3}] * 6}, "condition.any[5].all[2]", "more than"),
    ],
)  # fmt: skip
def test_bad_trees_are_refused_with_where_and_why(tree: Any, path: str, problem: str) -> None:
    with pytest.raises(Invalid) as refused:
        conditions.parse(tree, 300)
    assert refused.value.code == "alert_condition_invalid"
    assert refused.value.status == 422
    assert refused.value.details["path"] == path
    assert problem in refused.value.details["problem"]


def test_the_reason_is_told_in_vietnamese_and_english() -> None:
    with pytest.raises(Invalid) as refused:
        conditions.parse({"rate": LEAF | {"window_s": 0}}, 300)
    params = refused.value.params
    vi = t(refused.value.message_key, "vi", **params)
    en = t(refused.value.message_key, "en", **params)
    assert vi.startswith("Điều kiện cảnh báo không hợp lệ tại condition.rate.window_s")
    assert en.startswith("Invalid alert condition at condition.rate.window_s")


def test_the_deepest_and_largest_trees_allowed_are_read() -> None:
    assert isinstance(conditions.parse(_nested(conditions.MAX_DEPTH), 300), AllOf)
    wide = {"any": [{"all": [{"threshold": LEAF}] * 3}] * 5}  # 1 + 5 × 4 = 21 conditions
    parsed = conditions.parse(wide, 300)
    assert isinstance(parsed, AnyOf) and len(parsed.conditions) == 5
