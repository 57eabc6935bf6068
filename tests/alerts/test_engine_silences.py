"""Silences: Alertmanager's matchers on an alert's labels, time boxes, author and reason."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from iocvn.alerts.engine import Matcher, Silence, as_labels, is_silenced, silencing
from iocvn.core.errors import Invalid

FLOOD = {"alertname": "flood", "severity": "critical", "commune": "Đông Kinh", "device": "KC-01"}


def silence(*matchers: Matcher, starts: float = 1000.0, ends: float = 2000.0) -> Silence:
    return Silence(matchers, starts, ends, created_by="dieuhanh", comment="bảo trì trạm đo")


def test_a_silence_is_active_from_its_start_included_to_its_end_excluded() -> None:
    s = silence(Matcher("device", "=", "KC-01"))
    assert [is_silenced(FLOOD, [s], now) for now in (999.999, 1000.0, 1999.999, 2000.0)] == [
        False,
        True,
        True,
        False,
    ]
    # Back to back: no gap, no overlap at the seam.
    after = silence(Matcher("device", "=", "KC-01"), starts=2000.0, ends=3000.0)
    assert silencing(FLOOD, [s, after], 2000.0) == [after]
    assert silencing(FLOOD, [s, after], 1999.0) == [s]


def test_every_matcher_of_a_silence_must_match() -> None:
    both = silence(Matcher("commune", "=", "Đông Kinh"), Matcher("severity", "=", "warning"))
    assert not is_silenced(FLOOD, [both], 1500.0)
    assert is_silenced({**FLOOD, "severity": "warning"}, [both], 1500.0)
    assert is_silenced(as_labels({**FLOOD, "severity": "warning"}), [both], 1500.0)
    assert not is_silenced(FLOOD, [], 1500.0)


def test_any_silence_is_enough() -> None:
    other = silence(Matcher("device", "=", "KC-02"))
    mine = silence(Matcher("alertname", "=~", "flood|fire"), starts=1400.0, ends=1600.0)
    assert silencing(FLOOD, [other, mine], 1500.0) == [mine]
    assert not is_silenced(FLOOD, [other, mine], 1700.0)


@pytest.mark.parametrize(
    "build",
    [
        lambda: silence(),
        lambda: silence(Matcher("device", "=~", ".*")),  # would silence every alert
        lambda: silence(Matcher("device", "!=", "KC-01"), Matcher("area", "=", "")),
        lambda: silence(Matcher("device", "=", "KC-01"), starts=2000.0, ends=2000.0),
        lambda: Silence((Matcher("device", "=", "KC-01"),), 0, 1, created_by="", comment="x"),
        lambda: Silence((Matcher("device", "=", "KC-01"),), 0, 1, created_by="a", comment=" "),
    ],
)
def test_invalid_silences_are_refused_with_a_reason(build: Callable[[], object]) -> None:
    with pytest.raises(Invalid) as caught:
        build()
    assert caught.value.code == "alert_silence_invalid"
    assert caught.value.params["problem"]
