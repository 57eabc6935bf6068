"""The alerting engine's core (issue #5, "One alerting engine"): rules, the state machine of
alert instances, fingerprints, notification grouping, silences, acknowledgement and
escalation — modelled on Grafana's alert states and Prometheus Alertmanager. One import for
callers; the code is in ``engine_labels``, ``engine_rules``, ``engine_state``,
``engine_silences``, ``engine_groups`` and ``engine_escalation``.

Pure: no database, no clock, no I/O, no notification. Every function takes ``now`` and
returns new immutable values; the same inputs always give the same outputs, so a state
stored and loaded again continues exactly as if it had never left memory. Persistence, the
API, the evaluation loop and delivery belong to their callers. Time is seconds since the
Unix epoch as a float (``datetime.timestamp()``): the loop steps thousands of series a
second and float arithmetic is the cheapest there is; callers convert at their edge.

**Rules and conditions.** A rule watches the series its ``selector`` matches (label matchers: a
device, a group of devices, an area); its condition reads one series' samples, supplied by the
caller as ``{quantity: [(ts, value), …]}``, oldest first. ``Threshold`` compares the newest
value (or the min/max/mean over ``window_s``) with ``op`` (``> >= < <= == !=``); without
``window_s`` it only looks ``no_data_after × interval_s`` back, so a silent device's last value
is no data, never a lasting truth. ``Rate`` is the change per minute between the first and the
last sample in its window. ``Absent`` is true once a quantity has had no sample for N expected
intervals. ``AllOf``/``AnyOf`` combine them in three-valued logic: for ``AllOf`` False beats no
data beats True; for ``AnyOf`` True beats no data beats False.

**One evaluation's outcome** (``outcome``): the observation's error, mapped by the rule's
``error_state`` (``Error`` → error, ``Alerting`` → firing, ``OK`` → normal); else no data,
mapped by ``no_data_state`` (``NoData`` → no_data, ``Alerting``, ``OK``); else firing when
the condition holds, normal when not.

**States** of an instance (one per rule × series labels), ``step(alert, observation, now)``:

- ``normal`` or ``resolved`` + a bad outcome (firing, no_data or error) → ``pending``
  heading for it; straight to it when ``for_s`` is 0.
- ``pending`` + the same bad outcome → that state once ``now − since ≥ for_s``, else stays;
  + another bad outcome → ``pending`` again, timed afresh (no transition: nothing to tell);
  + normal → ``normal``. So a condition that flaps within ``for_s`` never fires, and an alert
  fires only after ``for_s`` of continuous evaluations saying so.
- ``firing``, ``no_data``, ``error`` (the active states) + another bad outcome → that state
  at once (the episode goes on, acknowledgement and rung kept); + normal → ``resolved``.
- ``resolved`` + normal → ``normal``: resolution is shown for one evaluation.

``step`` returns the very same state object when nothing changed, and at most one
``Transition`` (from, to, at, the compared values, labels, error); ``Transition.notifies``
says whether receivers care (entering or changing an active state, resolving).

**Fingerprints and grouping.** An instance's labels are its series' labels, the rule's
labels (which win), ``alertname``, ``severity`` and ``scenario``; its fingerprint is a stable
hash of them, and alerts with equal labels are one alert (``fold``). ``regroup`` puts
active, unsilenced alerts into groups by the ``group_by`` labels; ``due_notifications``
sends a group's first notification ``group_wait`` after the group appears, then — never
sooner than ``group_interval`` after the last — one when an alert joins, changes state or
is resolved, and a reminder after ``repeat_interval`` of no change.

**Silences** (``is_silenced``): matchers ``=``, ``!=``, ``=~``, ``!~`` (regexes match the
whole value; a missing label is ""), active on ``[starts_at, ends_at)``, with author and
reason. They never change a state: a silenced alert still goes pending, firing and resolved
(and its history shows it); it is left out of notifications and escalation.

**Acknowledgement and escalation.** ``acknowledge`` records who, when and why on an active
alert. An episode starts at the ladder's first rung (the ordinary receivers); rung ``k`` is
due at ``active_since + Σ ack_timeout_s`` of the rungs below it (commune 15 min → province
IOC 30 min → leadership by default); ``escalation_due`` lists the rungs due and not yet
reached, none once acknowledged; ``escalate`` records them. Resolution ends the episode,
its acknowledgement and its rung.
"""

from __future__ import annotations

from iocvn.alerts.engine_escalation import (
    DEFAULT_LADDER,
    Escalation,
    EscalationLadder,
    EscalationLevel,
    acknowledge,
    escalate,
    escalation_due,
)
from iocvn.alerts.engine_groups import (
    AlertGroup,
    GroupPolicy,
    Notification,
    due_notifications,
    fold,
    mark_sent,
    regroup,
)
from iocvn.alerts.engine_labels import Labels, Matcher, as_labels, fingerprint, matches_all
from iocvn.alerts.engine_rules import (
    ACTIVE,
    STATES,
    Absent,
    AllOf,
    AnyOf,
    Condition,
    Observation,
    Rate,
    Rule,
    Sample,
    State,
    Threshold,
    observed_values,
    outcome,
)
from iocvn.alerts.engine_silences import Silence, is_silenced, silencing
from iocvn.alerts.engine_state import (
    Acknowledgement,
    AlertState,
    Transition,
    new_alert,
    replay,
    stand_down,
    step,
)

__all__ = [
    "ACTIVE",
    "DEFAULT_LADDER",
    "STATES",
    "Absent",
    "Acknowledgement",
    "AlertGroup",
    "AlertState",
    "AllOf",
    "AnyOf",
    "Condition",
    "Escalation",
    "EscalationLadder",
    "EscalationLevel",
    "GroupPolicy",
    "Labels",
    "Matcher",
    "Notification",
    "Observation",
    "Rate",
    "Rule",
    "Sample",
    "Silence",
    "State",
    "Threshold",
    "Transition",
    "acknowledge",
    "as_labels",
    "due_notifications",
    "escalate",
    "escalation_due",
    "fingerprint",
    "fold",
    "is_silenced",
    "mark_sent",
    "matches_all",
    "new_alert",
    "observed_values",
    "outcome",
    "regroup",
    "replay",
    "silencing",
    "stand_down",
    "step",
]
