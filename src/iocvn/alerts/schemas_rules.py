"""JSON shapes of alert rules, alerts and silences (``/api/v1/alerts/...``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from iocvn.alerts.models_rules import AlertInstance, AlertRule, AlertSilence, AlertTransition
from iocvn.alerts.stored import condition_json

MatcherText = Annotated[str, Field(min_length=1, max_length=200)]


# The fields of a rule, shared by creation (required or defaulted) and changes (optional).
Name = Annotated[str, Field(min_length=1, max_length=200)]
Device = Annotated[str, Field(min_length=1, max_length=64)]
Quantity = Annotated[str, Field(min_length=1, max_length=64)]
Op = Literal[">", "<", ">=", "<=", "==", "!="]
Value = Annotated[float, Field(allow_inf_nan=False)]
Selector = Annotated[list[MatcherText], Field(max_length=10)]
Area = Annotated[str, Field(min_length=1, max_length=32)]
ForS = Annotated[float, Field(ge=0, le=7 * 86400, allow_inf_nan=False)]
Severity = Literal["critical", "warning", "info"]
Scenario = Annotated[str, Field(max_length=40)]
NoDataState = Literal["NoData", "Alerting", "OK"]


class RuleIn(BaseModel):
    """A rule held ``for_s`` seconds: the flat threshold ``last(quantity) op value`` or a
    ``condition`` tree (threshold, rate, absent, all, any: docs/alerts.md), on one ``device``
    or on a group (``selector``: label matchers on device, kind, org_unit, area; ``area``: a
    commune's code). The service says which combinations are refused, and why."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    device: Device | None = None
    quantity: Quantity | None = None
    op: Op | None = None
    value: Value | None = None
    condition: dict[str, Any] | None = None
    selector: Selector | None = None
    area: Area | None = None
    for_s: ForS
    severity: Severity
    labels: dict[str, str] | None = Field(default=None, max_length=20)
    scenario: Scenario | None = None
    no_data_state: NoDataState = "NoData"


class RuleChanges(BaseModel):
    """Changes to a rule (``PATCH``, JSON merge patch): the fields of :class:`RuleIn`, each
    optional; one given replaces the stored value and null clears it (not ``name``,
    ``for_s``, ``severity``, ``no_data_state``); ``labels`` merge key by key (null drops a
    label); ``condition`` and ``selector`` are replaced whole."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    device: Device | None = None
    quantity: Quantity | None = None
    op: Op | None = None
    value: Value | None = None
    condition: dict[str, Any] | None = None
    selector: Selector | None = None
    area: Area | None = None
    for_s: ForS | None = None
    severity: Severity | None = None
    labels: dict[str, str | None] | None = Field(default=None, max_length=20)
    scenario: Scenario | None = None
    no_data_state: NoDataState | None = None

    @model_validator(mode="after")
    def _required_stay(self) -> RuleChanges:
        for name in ("name", "for_s", "severity", "no_data_state"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the body gave (null included: it clears)."""
        return self.model_dump(exclude_unset=True)


class RuleOut(BaseModel):
    """A stored rule."""

    id: str
    name: str
    device: str | None
    selector: list[str]
    condition: dict[str, Any] | None
    quantity: str | None
    op: str | None
    value: float | None
    no_data_state: str
    for_s: float
    severity: str
    labels: dict[str, str]
    scenario: str | None
    interval_s: float
    enabled: bool
    org_unit: str
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: AlertRule) -> RuleOut:
        """The rule as the API shows it."""
        return cls(
            id=row.id, name=row.name, device=row.device, selector=list(row.selector),
            condition=condition_json(row), quantity=row.quantity, op=row.op, value=row.value,
            no_data_state=row.no_data_state or "NoData", for_s=row.for_s,
            severity=row.severity, labels=dict(row.labels), scenario=row.scenario,
            interval_s=row.interval_s, enabled=row.enabled, org_unit=row.org_code,
            created_by=row.created_by, created_at=row.created_at, updated_at=row.updated_at,
        )  # fmt: skip


class TransitionOut(BaseModel):
    """One change of an alert's state."""

    from_state: str
    to_state: str
    at: datetime
    values: dict[str, float | None]
    error: str | None
    notifies: bool

    @classmethod
    def of(cls, row: AlertTransition) -> TransitionOut:
        """The transition as the API shows it."""
        return cls(from_state=row.from_state, to_state=row.to_state, at=row.at,
                   values=dict(row.values), error=row.error, notifies=row.notifies)  # fmt: skip


class AlertOut(BaseModel):
    """An alert (a rule × a device) and where it stands."""

    id: str
    rule_id: str
    name: str
    severity: str
    fingerprint: str
    labels: dict[str, str]
    device: str | None
    state: str
    since: datetime | None
    active_since: datetime | None
    pending_to: str | None
    last_eval: datetime | None
    value: float | None
    values: dict[str, float | None]
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    ack_comment: str
    escalation_level: int
    silenced: bool = False
    history: list[TransitionOut] | None = None

    @classmethod
    def of(
        cls,
        row: AlertInstance,
        silenced: bool = False,
        history: list[AlertTransition] | None = None,
    ) -> AlertOut:
        """The alert as the API shows it."""
        labels = dict(row.labels)
        return cls(
            id=row.id, rule_id=row.rule_id, name=labels.get("alertname", ""),
            severity=labels.get("severity", ""), fingerprint=row.fingerprint, labels=labels,
            device=row.device, state=row.state, since=row.since, active_since=row.active_since,
            pending_to=row.pending_to, last_eval=row.last_eval, value=row.value,
            values=dict(row.values), acknowledged_by=row.acknowledged_by,
            acknowledged_at=row.acknowledged_at, ack_comment=row.ack_comment,
            escalation_level=row.escalation_level, silenced=silenced,
            history=None if history is None else [TransitionOut.of(t) for t in history],
        )  # fmt: skip


class AckIn(BaseModel):
    """Acknowledging an alert: why, or what is being done."""

    model_config = ConfigDict(extra="forbid")

    comment: str = Field(min_length=1, max_length=2000)


class SilenceIn(BaseModel):
    """A silence: label matchers (``device="KC-01"``, ``severity=~"critical|warning"``), when
    it ends (and starts: now by default), and the reason."""

    model_config = ConfigDict(extra="forbid")

    matchers: list[str] = Field(min_length=1, max_length=20)
    ends_at: AwareDatetime
    starts_at: AwareDatetime | None = None
    comment: str = Field(min_length=1, max_length=2000)


class SilenceOut(BaseModel):
    """A stored silence."""

    id: str
    matchers: list[str]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    active: bool

    @classmethod
    def of(cls, row: AlertSilence, now: datetime) -> SilenceOut:
        """The silence as the API shows it."""
        return cls(id=row.id, matchers=list(row.matchers), starts_at=row.starts_at,
                   ends_at=row.ends_at, created_by=row.created_by, comment=row.comment,
                   active=row.starts_at <= now < row.ends_at)  # fmt: skip
