"""JSON routes of the alerting engine (``/api/v1/alerts``): rules, alerts and their
acknowledgement, silences (the violation log is :mod:`.api_violations`).

``POST /alerts/rules`` (``{"name", "device", "quantity", "op", "value", "for_s",
"severity"}`` + ``labels``, ``scenario``) and ``GET /alerts?state=firing`` are the contract of
issue #5; a rule may instead carry a ``condition`` tree and target a group of devices
(``selector``, ``area``): docs/alerts.md. Rules and silences are managed by operators and
admins (``alert.write``); operators, leaders and commune officers acknowledge (``alert.ack``);
the staff read (``alert.read``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response

from iocvn.alerts import instances, rules, silences
from iocvn.alerts.engine import is_silenced
from iocvn.alerts.models_rules import AlertRule
from iocvn.alerts.schemas_rules import (
    AckIn,
    AlertOut,
    RuleChanges,
    RuleIn,
    RuleOut,
    SilenceIn,
    SilenceOut,
)
from iocvn.alerts.silences import active_silences
from iocvn.auth.deps import Principal, require
from iocvn.core.http import DbSession
from iocvn.core.timeutil import utcnow

router = APIRouter(tags=["alerts"])
Reader = Annotated[Principal, Depends(require("alert.read"))]
Writer = Annotated[Principal, Depends(require("alert.write"))]
Acker = Annotated[Principal, Depends(require("alert.ack"))]
ULID = r"^[0-9A-HJKMNP-TV-Z]{26}$"
Id = Annotated[str, Path(min_length=26, max_length=26, pattern=ULID)]


@router.post("/alerts/rules", response_model=RuleOut, status_code=201)
def create_rule(body: RuleIn, principal: Writer, db: DbSession) -> RuleOut:
    """Create a rule on a device or a group of devices in the caller's scope (422
    ``alert_rule_device_unknown``, ``alert_rule_quantity_unknown``, ``alert_condition_invalid``,
    ``alert_rule_selector_invalid``, ``alert_rule_out_of_scope``…: docs/alerts.md)."""
    spec = rules.RuleSpec(**body.model_dump())
    return RuleOut.of(rules.create_rule(db, principal.actor(), spec, principal.scope))


@router.get("/alerts/rules", response_model=list[RuleOut])
def list_rules(
    principal: Reader, db: DbSession, enabled: Annotated[bool | None, Query()] = None
) -> list[RuleOut]:
    """The rules in the caller's scope, newest first (``enabled=true|false`` to filter)."""
    return [RuleOut.of(r) for r in rules.list_rules(db, enabled=enabled, scope=principal.scope)]


def _etag(response: Response, row: AlertRule) -> None:
    response.headers["ETag"] = f'"{rules.version(row)}"'


@router.get("/alerts/rules/{rule_id}", response_model=RuleOut)
def get_rule(rule_id: Id, principal: Reader, db: DbSession, response: Response) -> RuleOut:
    """One rule in the caller's scope (403 ``alert_rule_forbidden`` outside it), with its
    version as ``ETag`` (send it back as ``If-Match`` when editing)."""
    row = rules.rule_in_scope(db, rule_id, principal.scope)
    _etag(response, row)
    return RuleOut.of(row)


@router.patch("/alerts/rules/{rule_id}", response_model=RuleOut)
def update_rule(
    rule_id: Id,
    body: RuleChanges,
    principal: Writer,
    db: DbSession,
    response: Response,
    if_match: Annotated[str | None, Header(max_length=100)] = None,
) -> RuleOut:
    """Edit a rule in the caller's scope (JSON merge patch of ``POST``'s fields, checked as
    at creation: the same 422 errors); 403 ``alert_rule_forbidden`` outside the scope, 412
    ``alert_rule_changed`` when ``If-Match`` is not the rule's ``ETag`` any more (without it
    the last edit wins). Its alerts are evaluated with the new rule at the next evaluation
    (docs/alerts.md)."""
    expected = None
    if if_match is not None and if_match.strip() != "*":
        expected = if_match.strip().removeprefix("W/").strip('"')
    row = rules.update_rule(db, principal.actor(), rule_id, body.changes(), principal.scope,
                            expected=expected)  # fmt: skip
    _etag(response, row)
    return RuleOut.of(row)


@router.post("/alerts/rules/{rule_id}/disable", response_model=RuleOut)
def disable_rule(rule_id: Id, principal: Writer, db: DbSession) -> RuleOut:
    """Stop evaluating a rule in the caller's scope (403 ``alert_rule_forbidden`` outside it;
    409 ``alert_rule_disabled`` when it already is)."""
    row = rules.rule_in_scope(db, rule_id, principal.scope)
    return RuleOut.of(rules.disable_rule(db, principal.actor(), row))


@router.post("/alerts/rules/{rule_id}/enable", response_model=RuleOut)
def enable_rule(rule_id: Id, principal: Writer, db: DbSession) -> RuleOut:
    """Evaluate a disabled rule in the caller's scope again (403 ``alert_rule_forbidden``
    outside it; 409 ``alert_rule_enabled`` when it is)."""
    row = rules.rule_in_scope(db, rule_id, principal.scope)
    return RuleOut.of(rules.enable_rule(db, principal.actor(), row))


@router.post("/alerts/silences", response_model=SilenceOut, status_code=201)
def create_silence(body: SilenceIn, principal: Writer, db: DbSession) -> SilenceOut:
    """Silence the alerts the matchers match until ``ends_at`` (at most 31 days), with a
    reason; states go on changing, only notifications and escalation are muted."""
    now = utcnow()
    row = silences.create_silence(
        db, principal.actor(), body.matchers, body.ends_at, body.comment, now, body.starts_at
    )
    return SilenceOut.of(row, now)


@router.get("/alerts/silences", response_model=list[SilenceOut])
def list_silences(
    principal: Reader, db: DbSession, all: Annotated[bool, Query()] = False
) -> list[SilenceOut]:
    """Silences not yet over, soonest end first (``all=true``: past ones too)."""
    now = utcnow()
    return [SilenceOut.of(r, now) for r in silences.list_silences(db, now, active=not all)]


@router.post("/alerts/silences/{silence_id}/expire", response_model=SilenceOut)
def expire_silence(silence_id: Id, principal: Writer, db: DbSession) -> SilenceOut:
    """End a silence now."""
    now = utcnow()
    return SilenceOut.of(silences.expire_silence(db, principal.actor(), silence_id, now), now)


@router.get("/alerts", response_model=list[AlertOut])
def list_alerts(
    principal: Reader,
    db: DbSession,
    state: Annotated[str | None, Query(max_length=12)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AlertOut]:
    """Alerts in the caller's scope, most recently changed first, by ``state`` (normal,
    pending, firing, resolved, no_data, error); ``silenced`` says whether a silence mutes it."""
    now = utcnow()
    silences = active_silences(db, now)
    found = instances.list_alerts(db, principal.scope, state=state, limit=limit)
    return [AlertOut.of(r, is_silenced(r.labels, silences, now.timestamp())) for r in found]


@router.get("/alerts/{alert_id}", response_model=AlertOut)
def get_alert(alert_id: Id, principal: Reader, db: DbSession) -> AlertOut:
    """One alert with its history of transitions."""
    now = utcnow()
    row = instances.get_alert(db, alert_id, principal.scope)
    silenced = is_silenced(row.labels, active_silences(db, now), now.timestamp())
    return AlertOut.of(row, silenced, instances.history(db, row))


@router.post("/alerts/{alert_id}/ack", response_model=AlertOut)
def acknowledge(alert_id: Id, body: AckIn, principal: Acker, db: DbSession) -> AlertOut:
    """Acknowledge an active alert with a comment (409 ``alert_not_active``,
    ``alert_already_acknowledged``); it stops escalating."""
    row = instances.acknowledge(db, principal.actor(), alert_id, body.comment, utcnow(),
                            principal.scope)  # fmt: skip
    return AlertOut.of(row)
