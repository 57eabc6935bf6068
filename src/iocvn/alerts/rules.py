"""Alert rules on the database (issue #5): create, list, edit, disable and enable rules (a
condition over one device, or over a group of devices chosen by label matchers or a
commune). Every change is audited in the caller's transaction; services flush, never
commit. What an edit does to the rule's alerts is decision 0011 (:func:`update_rule`); the
alerts themselves are :mod:`.instances`, silences :mod:`.silences`.

Who may target what: a device rule needs a device the caller sees. A group rule of a
province caller selects what its matchers say; an agency's is pinned to its own devices
(``org_unit="<agency>"`` added), a commune's to the devices standing in it (``area="<code>"``
added, unless it already selects ``org_unit`` or ``area`` equal to its code); a selector
pinned to another unit is refused (``alert_rule_out_of_scope``).

The rows are converted to and from the pure engine's values in :mod:`.stored`;
:mod:`.evaluation` steps them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iocvn.alerts import conditions, engine
from iocvn.alerts import messages_rules as _messages  # noqa: F401  (registers the texts)
from iocvn.alerts.engine import Matcher
from iocvn.alerts.models_rules import AlertInstance, AlertRule
from iocvn.alerts.stored import (
    Stored,
    alert_state,
    announce,
    condition_json,
    engine_rule,
    series_labels,
    store_state,
    store_transition,
)
from iocvn.audit.service import record
from iocvn.auth.scope import OrgScope
from iocvn.core.context import Actor
from iocvn.core.errors import Conflict, Forbidden, Invalid, IocError, NotFound
from iocvn.core.ids import new_id
from iocvn.core.timeutil import utcnow
from iocvn.org.models import OrgUnit
from iocvn.sensors import directory
from iocvn.sensors.directory import DeviceInfo
from iocvn.sensors.kinds import KINDS
from iocvn.sensors.models import Device

SERIES_LABELS = ("device", "kind", "org_unit", "area")  # what a selector may match on
MAX_MATCHERS = 10
DEFAULT_INTERVAL_S = 300.0  # a group rule's expected interval when no device is selected yet


# --- rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSpec:
    """A rule as the API takes it: the flat threshold (``quantity``, ``op``, ``value``) or a
    ``condition`` tree (:mod:`.conditions`), on a ``device`` or on a group (``selector``:
    label matchers; ``area``: a commune's code, short for ``area="<code>"``)."""

    name: str
    device: str | None = None
    quantity: str | None = None
    op: str | None = None
    value: float | None = None
    for_s: float = 0.0
    severity: str = "warning"
    labels: Mapping[str, str] | None = None
    scenario: str | None = None
    condition: Mapping[str, Any] | None = None
    selector: Sequence[str] | None = None
    area: str | None = None
    no_data_state: str = "NoData"


def _tree(spec: RuleSpec) -> Mapping[str, Any]:
    """The condition's JSON tree: the one given, or the flat threshold's."""
    flat = {"quantity": spec.quantity, "op": spec.op, "value": spec.value}
    given = [name for name, v in flat.items() if v is not None]
    if spec.condition is not None:
        if given:
            problem = f"condition given with {', '.join(given)}"
            raise Invalid("alert_rule_shape_invalid", details={"problem": problem},
                          problem=problem)  # fmt: skip
        return spec.condition
    if len(given) < len(flat):
        problem = "missing " + ", ".join(n for n in flat if n not in given)
        raise Invalid("alert_rule_shape_invalid", details={"problem": problem}, problem=problem)
    return {"threshold": flat}


def matcher_text(matcher: Matcher) -> str:
    """A matcher in Alertmanager's syntax, its value quoted (``Matcher.parse`` reads it)."""
    value = matcher.value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{matcher.name}{matcher.op}"{value}"'


def _selector_invalid(problem: str) -> Invalid:
    return Invalid("alert_rule_selector_invalid", details={"problem": problem}, problem=problem)


def group_selector(
    session: Session, texts: Sequence[str], area: str | None, scope: OrgScope | None
) -> list[Matcher]:
    """The matchers of a group rule: ``texts`` (labels ``device``, ``kind``, ``org_unit``,
    ``area``), ``area="<code>"`` for a commune, then the caller's scope pinned (see the module's
    docstring)."""
    if len(texts) > MAX_MATCHERS:
        raise _selector_invalid(f"at most {MAX_MATCHERS} matchers")
    matchers = [Matcher.parse(t) for t in texts]
    for m in matchers:
        if m.name not in SERIES_LABELS:
            raise _selector_invalid(f"label {m.name} (one of {', '.join(SERIES_LABELS)})")
    if area is not None:
        unit = session.get(OrgUnit, area)
        if unit is None or unit.level != "commune":
            raise Invalid("alert_rule_area_unknown", details={"area": area[:32]}, area=area[:32])
        matchers.append(Matcher("area", "=", area))
    if not matchers:
        problem = "a device, a selector or an area is needed"
        raise Invalid("alert_rule_target_invalid", details={"problem": problem}, problem=problem)
    if scope is None or scope.is_province:
        return matchers
    own = scope.org_code
    agency = scope.level == "agency"
    pin, within = ("org_unit", {"org_unit"}) if agency else ("area", {"org_unit", "area"})
    if any(m.op == "=" and m.name in within and m.value == own for m in matchers):
        return matchers
    if any(m.op == "=" and m.name == pin for m in matchers):
        problem = f'{pin}="{own}"'
        raise Invalid("alert_rule_out_of_scope", details={"problem": problem}, problem=problem)
    return [*matchers, Matcher(pin, "=", own)]


def selected_devices(
    session: Session, matchers: Sequence[Matcher], scope: OrgScope | None
) -> list[DeviceInfo]:
    """The devices (any status) a group's matchers select now, among those the caller sees."""
    codes = session.execute(select(Device.code)).scalars().all()
    infos = directory.lookup(session, codes)
    return [
        info
        for _, info in sorted(infos.items())
        if engine.matches_all(matchers, series_labels(info))
        and (scope is None or info.visible_to(scope))
    ]


def _kinds_measuring(matchers: Sequence[Matcher], needed: set[str]) -> list[str]:
    """The kinds the ``kind`` matchers admit whose default quantities include ``needed``."""
    on_kind = [m for m in matchers if m.name == "kind"]
    return [
        k.code
        for k in KINDS.values()
        if needed <= k.quantities.keys() and all(m.matches({"kind": k.code}) for m in on_kind)
    ]


def _device_target(
    session: Session, spec: RuleSpec, device: str, tree: Mapping[str, Any], scope: OrgScope | None
) -> tuple[DeviceInfo, float, engine.Condition]:
    """A device rule's device, expected interval and condition (every quantity measured)."""
    info = directory.lookup(session, [device]).get(device)
    if info is None or (scope is not None and not info.visible_to(scope)):
        raise Invalid("alert_rule_device_unknown", details={"device": device[:64]},
                      device=device[:64])  # fmt: skip
    row = session.get(Device, info.id)
    interval_s = float(row.interval_s if row is not None else DEFAULT_INTERVAL_S)
    if spec.quantity is not None:  # a flat threshold: this error before the name's syntax
        _check_measured(info, [spec.quantity])
    condition = conditions.parse(tree, interval_s)
    _check_measured(info, conditions.quantities(condition))
    return info, interval_s, condition


def _check_measured(info: DeviceInfo, quantities: Sequence[str]) -> None:
    for quantity in quantities:
        if quantity not in info.quantities:
            raise Invalid(
                "alert_rule_quantity_unknown",
                details={"device": info.code, "quantity": quantity[:64],
                         "quantities": sorted(info.quantities)},
                device=info.code, quantity=quantity[:64],
            )  # fmt: skip


def _group_target(
    session: Session, matchers: Sequence[Matcher], tree: Mapping[str, Any], scope: OrgScope | None
) -> tuple[float, engine.Condition]:
    """A group rule's expected interval (its slowest device's) and condition: a device the
    group selects, or a kind it admits, must measure every quantity of the condition."""
    needed = set(conditions.quantities(conditions.parse(tree, DEFAULT_INTERVAL_S)))
    measuring = [i.id for i in selected_devices(session, matchers, scope) if needed <= i.quantities]
    if not measuring and not _kinds_measuring(matchers, needed):
        text = ", ".join(sorted(needed))
        raise Invalid("alert_rule_quantity_unselected", details={"quantities": sorted(needed)},
                      quantities=text)  # fmt: skip
    slowest = None
    if measuring:
        slowest = session.execute(
            select(func.max(Device.interval_s)).where(Device.id.in_(measuring))
        ).scalar()
    interval_s = float(slowest or DEFAULT_INTERVAL_S)
    return interval_s, conditions.parse(tree, interval_s)


def _fields(session: Session, spec: RuleSpec, scope: OrgScope | None, unit: str) -> dict[str, Any]:
    """The stored fields of a rule ``spec`` after every check of creation and editing;
    ``unit``: the owner of a group rule (a device rule belongs to its device's unit)."""
    tree = _tree(spec)
    if spec.device is not None and (spec.selector or spec.area is not None):
        problem = "device given with selector or area"
        raise Invalid("alert_rule_target_invalid", details={"problem": problem}, problem=problem)
    selector: list[str] = []
    if spec.device is not None:
        info, interval_s, condition = _device_target(session, spec, spec.device, tree, scope)
        device, org_code = info.code, info.org_code
    else:
        matchers = group_selector(session, [m.strip() for m in spec.selector or ()], spec.area,
                                  scope)  # fmt: skip
        interval_s, condition = _group_target(session, matchers, tree, scope)
        selector = [matcher_text(m) for m in matchers]
        device, org_code = None, unit
    simple = conditions.simple_threshold(condition)
    fields = {
        "name": spec.name.strip(), "device": device, "selector": selector,
        "quantity": simple.quantity if simple else None, "op": simple.op if simple else None,
        "value": simple.value if simple else None,
        "condition": conditions.dump(condition, interval_s), "no_data_state": spec.no_data_state,
        "for_s": float(spec.for_s), "severity": spec.severity, "labels": dict(spec.labels or {}),
        "scenario": (spec.scenario or "").strip() or None, "interval_s": interval_s,
        "org_code": org_code,
    }  # fmt: skip
    # the engine's checks: severity, for_s, labels, no-data policy
    engine_rule(AlertRule(**fields))
    return fields


def create_rule(
    session: Session, actor: Actor, spec: RuleSpec, scope: OrgScope | None
) -> AlertRule:
    """Store a rule on a device, or a group of devices, the caller may see (audited
    ``alert.rule.create``). Its expected interval is the device's (a group's slowest)."""
    unit = scope.org_code if scope is not None else actor.org_code
    row = AlertRule(id=new_id(), enabled=True, created_by=actor.name,
                    **_fields(session, spec, scope, unit))  # fmt: skip
    session.add(row)
    session.flush()
    record(session, actor, "alert.rule.create", target_type="alert_rule", target_id=row.id,
           after=row.snapshot())  # fmt: skip
    return row


def list_rules(
    session: Session, *, enabled: bool | None = None, scope: OrgScope | None = None
) -> list[AlertRule]:
    """Rules, newest first (optionally only enabled or disabled ones); with ``scope``, only
    those the caller may see (:func:`within_scope`)."""
    query = select(AlertRule).order_by(AlertRule.created_at.desc(), AlertRule.id.desc())
    if enabled is not None:
        query = query.where(AlertRule.enabled == enabled)
    found = list(session.execute(query).scalars())
    if scope is None or scope.is_province:
        return found
    infos = directory.lookup(session, {r.device for r in found if r.device})
    return [r for r in found if within_scope(r, infos.get(r.device or ""), scope)]


def get_rule(session: Session, rule_id: str) -> AlertRule:
    """A rule by id (404 ``alert_rule_not_found``)."""
    row = session.get(AlertRule, rule_id)
    if row is None:
        raise NotFound("alert_rule_not_found")
    return row


def disable_rule(session: Session, actor: Actor, row: AlertRule) -> AlertRule:
    """Stop evaluating a rule (audited ``alert.rule.disable``); its alerts stay as they were."""
    if not row.enabled:
        raise Conflict("alert_rule_disabled")
    before = row.snapshot()
    row.enabled = False
    session.flush()
    record(session, actor, "alert.rule.disable", target_type="alert_rule", target_id=row.id,
           before=before, after=row.snapshot())  # fmt: skip
    return row


def enable_rule(session: Session, actor: Actor, row: AlertRule) -> AlertRule:
    """Evaluate a disabled rule again (audited ``alert.rule.enable``; 409
    ``alert_rule_enabled`` when it is)."""
    if row.enabled:
        raise Conflict("alert_rule_enabled")
    before = row.snapshot()
    row.enabled = True
    session.flush()
    record(session, actor, "alert.rule.enable", target_type="alert_rule", target_id=row.id,
           before=before, after=row.snapshot())  # fmt: skip
    return row


# --- editing (decision 0011) ---------------------------------------------------------------

FLAT = ("quantity", "op", "value")
# what decides an evaluation's outcome or its timing: changing one restarts pending timers
TIMING = ("condition", "for_s", "no_data_state", "interval_s", "device", "selector")


def version(row: AlertRule) -> str:
    """A rule's version for optimistic concurrency (its ``updated_at`` in microseconds): the
    API's ETag, the edit form's hidden field."""
    return str(round(row.updated_at.timestamp() * 1_000_000))


def within_scope(row: AlertRule, info: DeviceInfo | None, scope: OrgScope | None) -> bool:
    """Whether a rule is the caller's to see and edit: a device rule when the caller sees the
    device (``info``), a group rule of the caller's unit; the province's callers see all."""
    if scope is None or scope.is_province:
        return True
    if row.device:
        return info is not None and info.visible_to(scope)
    return row.org_code == scope.org_code


def rule_in_scope(session: Session, rule_id: str, scope: OrgScope | None) -> AlertRule:
    """A rule the caller may see and edit (404 ``alert_rule_not_found``, 403
    ``alert_rule_forbidden``)."""
    row = get_rule(session, rule_id)
    info = directory.lookup(session, [row.device]).get(row.device) if row.device else None
    if not within_scope(row, info, scope):
        raise Forbidden("alert_rule_forbidden")
    return row


def _merged(row: AlertRule, changes: Mapping[str, Any]) -> RuleSpec:
    """The rule's spec with ``changes`` merged in (JSON merge patch, RFC 7396): a field given
    replaces the stored one, null clears it; ``labels`` merge key by key (a null value drops
    the label); ``condition`` and ``selector`` are replaced whole. A condition given replaces
    a flat threshold and the reverse; a flat field given alone is merged into the stored
    threshold."""
    unknown = sorted(set(changes) - {f.name for f in fields(RuleSpec)})
    if unknown:
        problem = f"unknown field {unknown[0][:40]}"
        raise Invalid("alert_rule_shape_invalid", details={"problem": problem}, problem=problem)
    given = dict(changes)
    for name in ("name", "for_s", "severity", "no_data_state"):
        if name in given and given[name] is None:
            problem = f"{name} cannot be null"
            raise Invalid("alert_rule_shape_invalid", details={"problem": problem},
                          problem=problem)  # fmt: skip
    labels: dict[str, str] = dict(row.labels or {})
    if "labels" in given:
        patch = given.pop("labels")
        labels = {} if patch is None else labels
        for key, value in (patch or {}).items():
            if value is None:
                labels.pop(key, None)
            else:
                labels[key] = value
    if given.get("condition") is not None:
        flat = {n: given.get(n) for n in FLAT}
    elif "condition" in given or any(n in given for n in FLAT):
        flat = {n: given[n] if n in given else getattr(row, n) for n in FLAT}
        given["condition"] = None
    else:
        flat, given["condition"] = dict.fromkeys(FLAT), condition_json(row)
    base = {"name": row.name, "device": row.device, "selector": list(row.selector),
            "for_s": row.for_s, "severity": row.severity, "scenario": row.scenario,
            "no_data_state": row.no_data_state or "NoData"}  # fmt: skip
    return RuleSpec(**(base | given | flat | {"labels": labels}))


def update_rule(
    session: Session,
    actor: Actor,
    rule_id: str,
    changes: Mapping[str, Any],
    scope: OrgScope | None,
    *,
    expected: str | None = None,
    now: datetime | None = None,
) -> AlertRule:
    """Edit a rule the caller may edit (:func:`rule_in_scope`) with ``changes`` (the fields of
    :class:`RuleSpec`, merged as :func:`_merged` says), checked as at creation. ``expected``:
    the :func:`version` the caller edited (412 ``alert_rule_changed`` when another edit came
    first; None: the last writer wins). Audited ``alert.rule.update`` with the changed fields
    before and after; a change of nothing writes nothing. The rule's alerts follow
    (:func:`_carry_alerts`)."""
    row = rule_in_scope(session, rule_id, scope)
    session.refresh(row, with_for_update=True)  # PostgreSQL: one edit at a time
    if expected is not None and expected != version(row):
        raise IocError("alert_rule_changed", status=412, details={"version": version(row)})
    old = engine_rule(row)
    before = row.snapshot()
    unit = row.org_code if not row.device else (scope.org_code if scope else actor.org_code)
    for name, value in _fields(session, _merged(row, changes), scope, unit).items():
        setattr(row, name, value)
    after = row.snapshot()
    changed = [k for k in after if after[k] != before[k]]
    if not changed:
        return row
    session.flush()
    now = now or utcnow()
    stored = _carry_alerts(session, row, old, any(k in changed for k in TIMING), now)
    record(session, actor, "alert.rule.update", target_type="alert_rule", target_id=row.id,
           before={k: before[k] for k in changed},
           after={k: after[k] for k in changed})  # fmt: skip
    announce(session, stored, now)
    return row


def _carry_alerts(
    session: Session, row: AlertRule, old: engine.Rule, restart: bool, now: datetime
) -> list[Stored]:
    """What an edit does to the rule's alerts; the next evaluation then steps them with the
    new rule (a firing alert whose new condition does not hold resolves, as always):

    - each keeps its state, episode, acknowledgement and rung, under its new labels (name,
      severity, labels, scenario) and fingerprint;
    - ``restart`` (the condition, ``for_s``, no-data policy or target changed): a pending
      alert goes back to ``normal``, so its timer starts afresh under the new rule;
    - an alert of a device the rule no longer watches (another target) stands down: an
      active one is ``resolved`` (told), another goes to ``normal``.
    """
    rule = engine_rule(row)
    instances = list(
        session.execute(
            select(AlertInstance)
            .where(AlertInstance.rule_id == row.id)
            .order_by(AlertInstance.fingerprint)
            .with_for_update()
        ).scalars()
    )
    infos = directory.lookup(session, {i.device for i in instances if i.device})
    taken = {i.fingerprint for i in instances}
    stored: list[Stored] = []
    at = now.timestamp()
    for instance in instances:
        info = infos.get(instance.device) if instance.device else None
        labels = series_labels(info) if info is not None else {}
        watched = info is not None and rule.selects(labels) and rule.quantities <= info.quantities
        current = alert_state(instance, old)
        if watched:
            fresh = engine.new_alert(rule, labels)
            if fresh.fingerprint != instance.fingerprint and fresh.fingerprint not in taken:
                taken.add(fresh.fingerprint)
                instance.fingerprint, instance.labels = fresh.fingerprint, dict(fresh.labels)
            if not (restart and current.state == "pending"):
                continue
        new, transitions = engine.stand_down(current, at)
        if transitions:
            store_state(instance, new)
            stored += [store_transition(session, instance, row, t, now) for t in transitions]
    session.flush()
    return stored
