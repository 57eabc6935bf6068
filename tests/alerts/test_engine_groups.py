"""Notification grouping with controlled time: group_wait, group_interval, repeat_interval,
duplicates folded by labels, silenced alerts left out."""

from __future__ import annotations

import dataclasses

import pytest

from iocvn.alerts.engine import (
    AlertGroup,
    AlertState,
    GroupPolicy,
    Matcher,
    Notification,
    Observation,
    Rule,
    Silence,
    Threshold,
    as_labels,
    due_notifications,
    fold,
    mark_sent,
    new_alert,
    regroup,
    step,
)
from iocvn.core.errors import Invalid

RULE = Rule("mực nước cao", Threshold("currentLevel", ">", 3.2), interval_s=60)
POLICY = GroupPolicy(
    ("alertname", "commune"), group_wait_s=30, group_interval_s=300, repeat_interval_s=3600
)


def gauge(device: str, commune: str = "Đông Kinh") -> AlertState:
    return new_alert(RULE, {"device": device, "commune": commune})


def at(alert: AlertState, value: float, now: float) -> AlertState:
    """``alert`` after a fresh reading of ``value`` at ``now``."""
    return step(alert, Observation({"currentLevel": [(now, value)]}), now)[0]


class Receiver:
    """Regroups and sends what is due, the way the evaluation loop will."""

    def __init__(self, policy: GroupPolicy = POLICY, silences: tuple[Silence, ...] = ()) -> None:
        self.policy, self.silences = policy, silences
        self.groups: tuple[AlertGroup, ...] = ()
        self.sent: list[Notification] = []

    def tick(self, now: float, *alerts: AlertState) -> list[tuple[str, list[str], list[str]]]:
        self.groups = regroup(self.groups, alerts, self.policy, now, self.silences)
        out, kept = [], []
        for group in self.groups:
            for n in due_notifications([group], now):
                self.sent.append(n)
                group = mark_sent(group, n)
                out.append(
                    (
                        n.reason,
                        [dict(a.labels)["device"] for a in n.firing],
                        [dict(a.labels)["device"] for a in n.resolved],
                    )
                )
            kept.append(group)
        self.groups = tuple(kept)
        return out


def test_group_wait_then_group_interval_then_repeat_interval() -> None:
    rx = Receiver()
    a = at(gauge("KC-01"), 3.5, 0)
    assert rx.tick(0, a) == []  # the group appears; it waits 30 s for company
    b = at(gauge("KC-02"), 3.5, 20)
    assert rx.tick(20, a, b) == []
    assert rx.tick(30, a, b) == [("first", ["KC-01", "KC-02"], [])]
    c = at(gauge("KC-03"), 3.6, 100)
    assert rx.tick(100, a, b, c) == []  # new, but the group spoke 70 s ago
    assert rx.tick(329, a, b, c) == []
    assert rx.tick(330, a, b, c) == [("update", ["KC-01", "KC-02", "KC-03"], [])]
    assert rx.tick(3929, a, b, c) == []  # nothing new
    assert rx.tick(3930, a, b, c) == [("repeat", ["KC-01", "KC-02", "KC-03"], [])]
    a = at(a, 3.0, 4000)
    assert a.state == "resolved"
    assert rx.tick(4000, a, b, c) == []
    assert rx.tick(4230, a, b, c) == [("update", ["KC-02", "KC-03"], ["KC-01"])]
    a = at(a, 3.0, 4300)  # normal now: already told, no longer in the group
    assert rx.tick(4300, a, b, c) == []
    assert rx.groups[0].resolved == ()
    b, c = at(b, 3.0, 4500), at(c, 3.0, 4500)
    assert rx.tick(4530, a, b, c) == [("update", [], ["KC-02", "KC-03"])]
    assert rx.tick(4600, a, b, c) == []
    assert rx.groups == ()  # nothing active, nothing to tell: the group is gone


def test_a_group_waits_from_its_creation_not_from_its_alerts() -> None:
    # The loop first sees the alert late: group_wait counts from then.
    rx = Receiver()
    a = at(gauge("KC-01"), 3.5, 0)
    assert rx.tick(100, a) == []
    assert rx.tick(129, a) == []
    assert rx.tick(130, a) == [("first", ["KC-01"], [])]


def test_groups_by_the_chosen_labels() -> None:
    rx = Receiver()
    dk, kl = at(gauge("KC-01"), 3.5, 0), at(gauge("BG-01", "Kỳ Lừa"), 3.5, 0)
    assert rx.tick(0, dk, kl) == []
    assert rx.tick(30, dk, kl) == [("first", ["BG-01"], []), ("first", ["KC-01"], [])]
    assert [dict(g.key) for g in rx.groups] == [
        {"alertname": "mực nước cao", "commune": "Kỳ Lừa"},
        {"alertname": "mực nước cao", "commune": "Đông Kinh"},
    ]
    every = Receiver(GroupPolicy(("...",), group_wait_s=0))
    assert len(every.tick(0, dk, kl)) == 2
    assert every.groups[0].key == kl.labels
    one = Receiver(GroupPolicy((), group_wait_s=0))
    assert one.tick(0, dk, kl) == [("first", ["BG-01", "KC-01"], [])]


def test_an_alert_resolved_within_group_wait_is_never_notified() -> None:
    rx = Receiver()
    a = at(gauge("KC-01"), 3.5, 0)
    assert rx.tick(0, a) == []
    a = at(a, 3.0, 20)
    assert rx.tick(20, a) == []
    assert rx.tick(60, a) == []
    assert rx.groups == ()


def test_a_change_among_active_states_is_news() -> None:
    rx = Receiver()
    a = at(gauge("KC-01"), 3.5, 0)
    assert rx.tick(0, a) == []
    assert rx.tick(30, a) == [("first", ["KC-01"], [])]
    a, _ = step(a, Observation({}), 400)  # the gauge went silent: firing → no_data
    assert a.state == "no_data"
    assert rx.tick(400, a) == [("update", ["KC-01"], [])]
    assert [x.state for x in rx.sent[-1].firing] == ["no_data"]


def test_silenced_alerts_are_left_out_but_keep_their_state() -> None:
    maintenance = Silence(
        (Matcher("device", "=", "KC-02"),), 0, 1000, created_by="kythuat", comment="hiệu chuẩn"
    )
    rx = Receiver(silences=(maintenance,))
    a, b = at(gauge("KC-01"), 3.5, 0), at(gauge("KC-02"), 3.5, 0)
    assert b.state == "firing"
    assert rx.tick(0, a, b) == []
    assert rx.tick(30, a, b) == [("first", ["KC-01"], [])]
    only_silenced = Receiver(silences=(maintenance,))
    assert only_silenced.tick(0, b) == []
    assert only_silenced.tick(30, b) == []
    assert only_silenced.groups == ()
    # The silence ends while KC-02 still fires: it joins the group as news.
    assert rx.tick(1000, a, b) == [("update", ["KC-01", "KC-02"], [])]


def test_duplicates_are_folded_by_fingerprint() -> None:
    firing = at(gauge("KC-01"), 3.5, 0)
    later = at(at(gauge("KC-01"), 3.5, 0), 3.0, 60)  # the same labels, resolved since
    assert later.fingerprint == firing.fingerprint
    assert fold([later, firing]) == {firing.fingerprint: firing}  # active first
    newer = dataclasses.replace(firing, since=30.0)
    assert fold([firing, newer])[firing.fingerprint] is newer  # then the latest change
    assert fold([firing, firing])[firing.fingerprint] is firing
    rx = Receiver()
    assert rx.tick(0, firing, later, firing) == []
    assert rx.tick(30, firing, later, firing) == [("first", ["KC-01"], [])]
    assert len(rx.groups[0].firing) == 1


def test_policy_keys_and_validation() -> None:
    labels = as_labels({"alertname": "x", "commune": "Đông Kinh", "device": "KC-01"})
    assert POLICY.key(labels) == (("alertname", "x"), ("commune", "Đông Kinh"))
    assert GroupPolicy(("commune", "missing")).key(labels) == (("commune", "Đông Kinh"),)
    for bad in ({"group_interval_s": 0}, {"group_wait_s": -1}, {"repeat_interval_s": float("inf")}):
        with pytest.raises(Invalid) as caught:
            GroupPolicy(**bad)
        assert caught.value.code == "alert_grouping_invalid"
