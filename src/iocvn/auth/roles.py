"""Roles, what each may do, and which kind of org unit each may belong to."""

from __future__ import annotations

from typing import Final

ROLES: Final = (
    "admin",  # quản trị hệ thống
    "leader",  # lãnh đạo
    "operator",  # điều hành viên IOC
    "agency_officer",  # cán bộ sở, ban, ngành
    "commune_officer",  # cán bộ xã, phường
    "data_steward",  # quản trị dữ liệu
    "viewer",  # chỉ xem
    "integration",  # hệ thống tích hợp
)

# Which level of org unit a role's user may belong to (the unit decides the scope).
ROLE_LEVELS: Final[dict[str, frozenset[str]]] = {
    "admin": frozenset({"province"}),
    "leader": frozenset({"province", "commune", "agency"}),
    "operator": frozenset({"province", "commune"}),
    "agency_officer": frozenset({"agency"}),
    "commune_officer": frozenset({"commune"}),
    "data_steward": frozenset({"province", "agency"}),
    "viewer": frozenset({"province", "commune", "agency"}),
    "integration": frozenset({"province", "commune", "agency"}),
}

ALL = frozenset(ROLES)

# Permission → roles holding it. Later domains add their own permissions here.
PERMISSIONS: Final[dict[str, frozenset[str]]] = {
    "org.read": ALL,
    "org.write": frozenset({"admin", "data_steward"}),
    "user.read": frozenset({"admin"}),
    "user.write": frozenset({"admin"}),
    "token.write": frozenset({"admin"}),
    "audit.read": frozenset({"admin"}),
    # Indicators (issue #3): the catalogue, data entry and approval, targets, analytics.
    "indicator.read": ALL,
    "indicator.write": frozenset({"admin", "data_steward"}),
    "data.enter": frozenset(
        {"operator", "agency_officer", "commune_officer", "data_steward", "integration"}
    ),
    # Approving is further limited to the indicator's owner agency for agency officers.
    "data.approve": frozenset({"operator", "data_steward", "agency_officer"}),
    "data.lock": frozenset({"operator", "data_steward"}),
    "target.write": frozenset({"operator", "data_steward"}),
    # Citizen feedback (issue #4). Reading cases is further limited by the handling scope
    # (OrgScope.handling_clause); the reporter's identity needs feedback.reveal, a reason, and
    # the province's scope.
    "feedback.read": frozenset({"operator", "leader", "agency_officer", "commune_officer"}),
    "feedback.submit": frozenset({"integration", "operator"}),  # Open311 POST, webhook
    "feedback.intake": frozenset({"operator", "commune_officer", "agency_officer"}),  # hotline
    "feedback.triage": frozenset({"operator"}),  # classify, route, accept/reject, merge, extend
    "feedback.handle": frozenset({"operator", "agency_officer", "commune_officer"}),
    "feedback.reveal": frozenset({"operator"}),
    "feedback.admin": frozenset({"operator", "admin"}),  # categories, routing, calendar, model
    "feedback.stats": frozenset({"operator", "leader", "agency_officer", "commune_officer"}),
    # Sensors (issue #5): everyone on the staff reads devices and readings (in their scope);
    # operators manage devices and rules; integrations and operators post readings with a
    # staff token (devices post with their own key).
    "sensor.read": ALL,
    "sensor.write": frozenset({"operator", "admin"}),
    "sensor.ingest": frozenset({"integration", "operator"}),
    # Public warnings in CAP 1.2 (issue #5): operators draft; a leader, or an operator other
    # than whoever drafted or edited it, publishes (four eyes, checked in alerts.warnings).
    "warning.read": ALL,
    "warning.draft": frozenset({"operator"}),
    "warning.publish": frozenset({"leader", "operator"}),
    # Alerts (issue #5): the staff read alerts and rules; operators and admins manage rules
    # and silences; operators, leaders and commune officers acknowledge.
    "alert.read": ALL - {"integration"},
    "alert.write": frozenset({"operator", "admin"}),
    "alert.ack": frozenset({"operator", "leader", "commune_officer"}),
    # Notifications (R17): the operators' view of deliveries, and sending failed ones again.
    "notification.read": frozenset({"admin", "operator"}),
    "notification.retry": frozenset({"admin", "operator"}),
}


def has_permission(role: str, permission: str) -> bool:
    """True when ``role`` holds ``permission`` (unknown permissions are held by nobody)."""
    return role in PERMISSIONS.get(permission, frozenset())
