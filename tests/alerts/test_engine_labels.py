"""Labels of the alerting engine: canonical label sets, stable fingerprints, and Alertmanager's
matchers (equality, negation, anchored regexes, missing labels)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iocvn.alerts.engine import Matcher, as_labels, fingerprint, matches_all
from iocvn.core.errors import Invalid

FLOOD = {"alertname": "flood", "severity": "critical", "commune": "Đông Kinh", "device": "KC-01"}


def test_labels_are_sorted_pairs() -> None:
    assert as_labels({"b": "2", "a": "1"}) == (("a", "1"), ("b", "2"))
    assert as_labels([("b", "2"), ("a", "1")]) == as_labels({"a": "1", "b": "2"})
    for bad in ({"": "x"}, {"a": 1}, {1: "a"}):
        with pytest.raises(Invalid) as caught:
            as_labels(bad)
        assert caught.value.code == "alert_labels_invalid"


def test_fingerprints_are_stable_and_ignore_label_order() -> None:
    a = {"alertname": "flood", "device": "KC-01"}
    assert fingerprint(a) == "86d3f914e169f03c"  # stored in the database: must never change
    assert fingerprint(reversed(list(a.items()))) == fingerprint(a)
    assert fingerprint(as_labels(a)) == fingerprint(a)
    assert fingerprint({"alertname": "flood", "device": "KC-02"}) != fingerprint(a)
    # No ambiguity between a value holding separators and two labels.
    assert fingerprint({"a": 'b","c'}) != fingerprint({"a": "b", "c": ""})


@pytest.mark.parametrize(
    ("matcher", "expected"),
    [
        (Matcher("commune", "=", "Đông Kinh"), True),
        (Matcher("commune", "=", "Đông"), False),
        (Matcher("commune", "!=", "Đông Kinh"), False),
        (Matcher("commune", "!=", "Kỳ Lừa"), True),
        (Matcher("severity", "=~", "critical|warning"), True),
        (Matcher("severity", "=~", "crit"), False),  # anchored: the whole value must match
        (Matcher("severity", "=~", "crit.*"), True),
        (Matcher("severity", "=~", "ritical"), False),
        (Matcher("severity", "!~", "info|warning"), True),
        (Matcher("severity", "!~", "crit.*"), False),
        (Matcher("device", "=~", "KC-0[0-9]"), True),
        (Matcher("commune", "=~", "Đông .*"), True),
        # A missing label reads as "": negations match it, non-empty equalities do not.
        (Matcher("area", "=", ""), True),
        (Matcher("area", "!=", "Cao Lộc"), True),
        (Matcher("area", "=~", ".+"), False),
        (Matcher("area", "!~", ".+"), True),
    ],
)
def test_matchers(matcher: Matcher, expected: bool) -> None:
    assert matcher.matches(FLOOD) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('commune="Đông Kinh"', Matcher("commune", "=", "Đông Kinh")),
        ("severity=~critical|warning", Matcher("severity", "=~", "critical|warning")),
        (' kind !~ "camera.*" ', Matcher("kind", "!~", "camera.*")),
        ("device!=KC-01", Matcher("device", "!=", "KC-01")),
        ('note="say \\"hi\\""', Matcher("note", "=", 'say "hi"')),
        ('area=""', Matcher("area", "=", "")),
    ],
)
def test_matchers_parse_alertmanager_syntax(text: str, expected: Matcher) -> None:
    assert Matcher.parse(text) == expected


@pytest.mark.parametrize("text", ["", "=x", "1abc=x", "severity~critical", "a<b"])
def test_unparseable_matchers_are_refused(text: str) -> None:
    with pytest.raises(Invalid) as caught:
        Matcher.parse(text)
    assert caught.value.code == "alert_matcher_invalid"


def test_matches_all() -> None:
    both = (Matcher("commune", "=", "Đông Kinh"), Matcher("severity", "=~", "crit.*"))
    assert matches_all(both, FLOOD)
    assert matches_all(both, as_labels(FLOOD))
    assert not matches_all(both, {**FLOOD, "severity": "info"})
    assert matches_all((), {})


@pytest.mark.parametrize(
    "build",
    [
        lambda: Matcher("device", "=~", "KC-(01"),
        lambda: Matcher("device", "~", "KC-01"),
        lambda: Matcher("", "=", "KC-01"),
    ],
)
def test_invalid_matchers_are_refused(build: Callable[[], object]) -> None:
    with pytest.raises(Invalid) as caught:
        build()
    assert caught.value.code == "alert_matcher_invalid"
    assert caught.value.params["problem"]


values = st.text(alphabet="abcĐôngKinh-01 ", max_size=8)
patterns = st.sampled_from(["", ".*", "a.*", "Đông.*", "a|b", "[a-c]+", "K.n-0?1"])


@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), values), st.sampled_from("abc"), values)
def test_equality_and_its_negation_are_complements(
    labels: dict[str, str], name: str, value: str
) -> None:
    assert Matcher(name, "=", value).matches(labels) != Matcher(name, "!=", value).matches(labels)


@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), values), st.sampled_from("abc"), patterns)
def test_regex_and_its_negation_are_complements(
    labels: dict[str, str], name: str, pattern: str
) -> None:
    hit = Matcher(name, "=~", pattern).matches(labels)
    assert hit != Matcher(name, "!~", pattern).matches(labels)
    # Anchored: the same as a full match of the label's value (missing: "").
    assert hit == (re.fullmatch(pattern, labels.get(name, "")) is not None)
