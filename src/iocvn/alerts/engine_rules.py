"""Alert rules of the alerting engine: conditions over a series' samples, rules, and the
outcome of one evaluation. Pure: no database, no clock.

A **series** is a label set — a device, a group of devices, an area — with samples per
quantity (``{"currentLevel": [(ts, value), …]}``, oldest first). A rule's ``selector``
(label matchers) says which series it watches; the engine never fetches anything:
``Rule.selects``, ``Rule.quantities`` and ``Rule.lookback_s`` tell the caller what to supply.
Semantics are in ``engine``'s docstring and docs/alerts.md.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar, Literal, NoReturn

from iocvn.alerts import engine_messages  # noqa: F401  (registers the engine's texts)
from iocvn.alerts.engine_labels import Labels, Matcher, as_labels, matches_all
from iocvn.core.errors import Invalid

State = Literal["normal", "pending", "firing", "resolved", "no_data", "error"]
STATES: tuple[State, ...] = ("normal", "pending", "firing", "resolved", "no_data", "error")
# Active states notify and escalate; an episode is an unbroken stay among them.
ACTIVE: frozenset[str] = frozenset({"firing", "no_data", "error"})
Severity = Literal["critical", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "warning", "info")
Op = Literal[">", ">=", "<", "<=", "==", "!="]
Reducer = Literal["last", "min", "max", "mean"]
NoDataPolicy = Literal["NoData", "Alerting", "OK"]
ErrorPolicy = Literal["Error", "Alerting", "OK"]

Sample = tuple[float, float]  # (seconds since the epoch, value)
Samples = Mapping[str, Sequence[Sample]]  # quantity -> samples, oldest first
Values = Mapping[str, float | None]

OPS: Mapping[str, Callable[[float, float], bool]] = MappingProxyType(
    {
        ">": operator.gt,
        ">=": operator.ge,
        "<": operator.lt,
        "<=": operator.le,
        "==": operator.eq,
        "!=": operator.ne,
    }
)
_NO_DATA_TO: Mapping[str, State] = MappingProxyType(
    {"NoData": "no_data", "Alerting": "firing", "OK": "normal"}
)
_ERROR_TO: Mapping[str, State] = MappingProxyType(
    {"Error": "error", "Alerting": "firing", "OK": "normal"}
)
NO_SAMPLES: Samples = MappingProxyType({})


def _invalid(problem: str) -> NoReturn:
    raise Invalid("alert_rule_invalid", details={"problem": problem}, problem=problem)


def _window(seq: Sequence[Sample], cutoff: float) -> list[float]:
    """Values of the samples newer than ``cutoff`` (the sequence is oldest first)."""
    found = []
    for ts, value in reversed(seq):
        if ts <= cutoff:
            break
        found.append(value)
    return found


@dataclass(frozen=True, slots=True)
class Threshold:
    """``reduce(quantity over the window) op value``, e.g. ``last(currentLevel) > 3.2``.

    The window is ``window_s`` when set, else the rule's freshness span (``no_data_after``
    expected intervals): a value older than that is no data, never a stale truth.
    """

    quantity: str
    op: Op
    value: float
    reduce: Reducer = "last"
    window_s: float = 0.0
    _test: Callable[[float, float], bool] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.op not in OPS:
            _invalid(f"operator {self.op!r} (one of {', '.join(OPS)})")
        if self.reduce not in ("last", "min", "max", "mean"):
            _invalid(f"reducer {self.reduce!r} (last, min, max or mean)")
        if not math.isfinite(self.value) or not self.window_s >= 0:
            _invalid("a threshold needs a finite value and a window ≥ 0")
        object.__setattr__(self, "_test", OPS[self.op])

    def evaluate(self, samples: Samples, now: float, stale_s: float) -> bool | None:
        """True or False; None when there is no sample in the window."""
        seq = samples.get(self.quantity)
        if not seq:
            return None
        cutoff = now - (self.window_s or stale_s)
        if self.reduce == "last":
            ts, value = seq[-1]
            return None if ts <= cutoff else self._test(value, self.value)
        reduced = self.reduced(seq, cutoff)
        return None if reduced is None else self._test(reduced, self.value)

    def reduced(self, seq: Sequence[Sample], cutoff: float) -> float | None:
        """The reduced value of the samples newer than ``cutoff``, None without any."""
        found = _window(seq, cutoff)
        if not found:
            return None
        if self.reduce == "last":
            return found[0]
        if self.reduce == "min":
            return min(found)
        if self.reduce == "max":
            return max(found)
        return math.fsum(found) / len(found)

    def observe(
        self, samples: Samples, now: float, stale_s: float, out: dict[str, float | None]
    ) -> None:
        """Put the value this condition compared into ``out`` (for transition records)."""
        seq = samples.get(self.quantity) or ()
        out[f"{self.reduce}({self.quantity})"] = self.reduced(seq, now - (self.window_s or stale_s))

    def needs(self, stale_s: float) -> Iterable[tuple[str, float]]:
        """(quantity, how far back) this condition reads."""
        return ((self.quantity, self.window_s or stale_s),)

    def newest_only(self) -> bool:
        """Whether the newest sample of each quantity is all this condition reads."""
        return self.reduce == "last"


@dataclass(frozen=True, slots=True)
class Rate:
    """Rate of change per minute over the window ``op value``, e.g. a river rising faster
    than 5 cm/min: ``(last − first) / (t_last − t_first) × 60`` over the samples in the window;
    no data with fewer than two samples at distinct instants."""

    quantity: str
    op: Op
    value: float
    window_s: float
    _test: Callable[[float, float], bool] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.op not in OPS:
            _invalid(f"operator {self.op!r} (one of {', '.join(OPS)})")
        if not math.isfinite(self.value) or not self.window_s > 0:
            _invalid("a rate of change needs a finite value and a window > 0")
        object.__setattr__(self, "_test", OPS[self.op])

    def rate(self, seq: Sequence[Sample], now: float) -> float | None:
        """Change per minute over the window ending at ``now``; None without two instants."""
        if not seq:
            return None
        cutoff = now - self.window_s
        last_ts, last_value = seq[-1]
        if last_ts <= cutoff:
            return None
        first_ts, first_value = last_ts, last_value
        for ts, value in reversed(seq):
            if ts <= cutoff:
                break
            first_ts, first_value = ts, value
        if first_ts == last_ts:
            return None
        return (last_value - first_value) / (last_ts - first_ts) * 60.0

    def evaluate(self, samples: Samples, now: float, stale_s: float) -> bool | None:
        """True or False; None without two samples in the window."""
        rate = self.rate(samples.get(self.quantity) or (), now)
        return None if rate is None else self._test(rate, self.value)

    def observe(
        self, samples: Samples, now: float, stale_s: float, out: dict[str, float | None]
    ) -> None:
        """Put the rate per minute into ``out``."""
        out[f"rate({self.quantity})"] = self.rate(samples.get(self.quantity) or (), now)

    def needs(self, stale_s: float) -> Iterable[tuple[str, float]]:
        """(quantity, how far back) this condition reads."""
        return ((self.quantity, self.window_s),)

    def newest_only(self) -> bool:
        """A rate needs every sample of its window."""
        return False


@dataclass(frozen=True, slots=True)
class Absent:
    """True when ``quantity`` has had no sample for ``intervals`` expected intervals (a device
    gone silent): absence is this condition's data, so it is never "no data" itself."""

    quantity: str
    interval_s: float
    intervals: int = 3

    def __post_init__(self) -> None:
        if not self.interval_s > 0 or self.intervals < 1:
            _invalid("absence needs an expected interval > 0 and at least one interval")

    def evaluate(self, samples: Samples, now: float, stale_s: float) -> bool:
        """True when the newest sample is at least ``intervals × interval_s`` old (or none)."""
        seq = samples.get(self.quantity)
        return not seq or seq[-1][0] <= now - self.interval_s * self.intervals

    def observe(
        self, samples: Samples, now: float, stale_s: float, out: dict[str, float | None]
    ) -> None:
        """Put the age of the newest sample in seconds (None: never seen) into ``out``."""
        seq = samples.get(self.quantity)
        out[f"age({self.quantity})"] = now - seq[-1][0] if seq else None

    def needs(self, stale_s: float) -> Iterable[tuple[str, float]]:
        """(quantity, how far back) this condition reads."""
        return ((self.quantity, self.interval_s * self.intervals),)

    def newest_only(self) -> bool:
        """Whether the newest sample of each quantity is all this condition reads."""
        return True


@dataclass(frozen=True, slots=True)
class _Combination:
    """Sub-conditions decided three-valued: the first one that gives ``DECISIVE`` decides;
    otherwise no data if any has none, else ``not DECISIVE``."""

    DECISIVE: ClassVar[bool]
    conditions: tuple[Condition, ...]

    def __post_init__(self) -> None:
        if not self.conditions:
            _invalid("a combination needs at least one condition")

    def evaluate(self, samples: Samples, now: float, stale_s: float) -> bool | None:
        """The decisive value beats no data beats the other."""
        result: bool | None = not self.DECISIVE
        for condition in self.conditions:
            found = condition.evaluate(samples, now, stale_s)
            if found is self.DECISIVE:
                return found
            if found is None:
                result = None
        return result

    def observe(
        self, samples: Samples, now: float, stale_s: float, out: dict[str, float | None]
    ) -> None:
        """Every sub-condition's value."""
        for condition in self.conditions:
            condition.observe(samples, now, stale_s, out)

    def needs(self, stale_s: float) -> Iterable[tuple[str, float]]:
        """(quantity, how far back) each sub-condition reads."""
        return [need for c in self.conditions for need in c.needs(stale_s)]

    def newest_only(self) -> bool:
        """Whether the newest sample of each quantity is all the sub-conditions read."""
        return all(c.newest_only() for c in self.conditions)


@dataclass(frozen=True, slots=True)
class AllOf(_Combination):
    """Every sub-condition holds. Three-valued: False if any is False, else no data if any
    has none, else True."""

    DECISIVE: ClassVar[bool] = False


@dataclass(frozen=True, slots=True)
class AnyOf(_Combination):
    """At least one sub-condition holds. Three-valued: True if any is True, else no data if
    any has none, else False."""

    DECISIVE: ClassVar[bool] = True


Condition = Threshold | Rate | Absent | AllOf | AnyOf


@dataclass(frozen=True, slots=True)
class Rule:
    """An alert rule (quy tắc cảnh báo): the series it watches (``selector``: a device
    ``device="KC-01"``, a group ``kind="water_level"``, an area ``commune="Đông Kinh"``; every
    series without matchers), a condition, how long it must hold (``for_s``), how bad it is,
    its labels, its scenario (kịch bản, e.g. ``flood``), the data's expected interval, and
    what no data or a failed evaluation mean (Grafana's policies)."""

    name: str
    condition: Condition
    selector: tuple[Matcher, ...] = ()
    for_s: float = 0.0
    severity: Severity = "warning"
    labels: Labels = ()
    scenario: str | None = None
    interval_s: float = 60.0
    no_data_after: int = 3  # expected intervals without a sample before the data is "no data"
    no_data_state: NoDataPolicy = "NoData"
    error_state: ErrorPolicy = "Error"
    stale_s: float = field(init=False, repr=False, compare=False)
    on_no_data: State = field(init=False, repr=False, compare=False)
    on_error: State = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.name:
            _invalid("a rule needs a name")
        if not self.for_s >= 0 or not math.isfinite(self.for_s):
            _invalid(f"for_s must be a finite number ≥ 0, not {self.for_s}")
        if self.severity not in SEVERITIES:
            _invalid(f"severity {self.severity!r} (one of {', '.join(SEVERITIES)})")
        if not self.interval_s > 0 or self.no_data_after < 1:
            _invalid("the expected interval must be > 0 and no_data_after ≥ 1")
        if self.no_data_state not in _NO_DATA_TO:
            _invalid(f"no_data_state {self.no_data_state!r} (NoData, Alerting or OK)")
        if self.error_state not in _ERROR_TO:
            _invalid(f"error_state {self.error_state!r} (Error, Alerting or OK)")
        object.__setattr__(self, "labels", as_labels(self.labels))
        object.__setattr__(self, "stale_s", self.interval_s * self.no_data_after)
        object.__setattr__(self, "on_no_data", _NO_DATA_TO[self.no_data_state])
        object.__setattr__(self, "on_error", _ERROR_TO[self.error_state])

    def selects(self, series: Mapping[str, str] | Labels) -> bool:
        """Whether this rule watches a series with these labels."""
        return matches_all(self.selector, series)

    @property
    def quantities(self) -> frozenset[str]:
        """The quantities the caller must supply samples of."""
        return frozenset(q for q, _ in self.condition.needs(self.stale_s))

    @property
    def newest_only(self) -> bool:
        """Whether the condition reads only the newest sample of each quantity (in the
        look-back): the caller may then supply just that one (a table of latest values)
        instead of every sample of the window."""
        return self.condition.newest_only()

    @property
    def lookback_s(self) -> float:
        """How far back before ``now`` the caller must supply samples."""
        return max(span for _, span in self.condition.needs(self.stale_s))

    def instance_labels(self, series: Mapping[str, str] | Iterable[tuple[str, str]]) -> Labels:
        """An alert instance's labels: the series', then the rule's (which win), ``alertname``,
        ``severity`` and ``scenario``."""
        merged = dict(series)
        merged.update(self.labels)
        merged["alertname"] = self.name
        merged["severity"] = self.severity
        if self.scenario:
            merged["scenario"] = self.scenario
        return as_labels(merged)


@dataclass(frozen=True, slots=True)
class Observation:
    """What the caller saw of one series at one evaluation: its samples, or the error that
    prevented reading them. One object may be reused across evaluations (the engine keeps no
    reference), e.g. over a dict of deques updated in place."""

    samples: Samples = field(default_factory=lambda: NO_SAMPLES)
    error: str | None = None


def outcome(rule: Rule, observation: Observation, now: float) -> State:
    """What one evaluation says, policies applied: ``normal``, ``firing``, ``no_data`` or
    ``error``."""
    if observation.error is not None:
        return rule.on_error
    found = rule.condition.evaluate(observation.samples, now, rule.stale_s)
    if found is None:
        return rule.on_no_data
    return "firing" if found else "normal"


def observed_values(rule: Rule, observation: Observation, now: float) -> dict[str, float | None]:
    """The values the rule's conditions compared at ``now``, named ``reducer(quantity)``,
    ``rate(quantity)`` (per minute) and ``age(quantity)`` (seconds)."""
    out: dict[str, float | None] = {}
    if observation.error is None:
        rule.condition.observe(observation.samples, now, rule.stale_s, out)
    return out
