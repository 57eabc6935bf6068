"""The navigation of the web shell. Later domains append their entries here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    """One entry: where it goes, its i18n label, and the permission that shows it."""

    href: str
    label: str
    permission: str | None = None


NAV: list[NavItem] = [
    NavItem("/", "nav.home"),
    NavItem("/dashboard", "nav.dashboard", "indicator.read"),
    NavItem("/feedback", "nav.feedback", "feedback.read"),
    NavItem("/feedback/ban-do", "fb.map", "feedback.read"),
    NavItem("/feedback/stats", "nav.feedback_stats", "feedback.stats"),
    NavItem("/feedback/admin", "nav.feedback_admin", "feedback.admin"),
    NavItem("/sensors", "nav.sensors", "sensor.read"),
    NavItem("/alerts", "nav.alerts", "alert.read"),
    NavItem("/alerts/rules", "nav.alert_rules", "alert.read"),
    NavItem("/alerts/warnings", "nav.warnings", "warning.read"),
    NavItem("/indicators/entry", "nav.entry", "data.enter"),
    NavItem("/indicators/approvals", "nav.approvals", "data.approve"),
    NavItem("/indicators", "nav.indicators", "indicator.read"),
    NavItem("/indicators/completeness", "nav.completeness", "indicator.read"),
    NavItem("/indicators/targets", "nav.targets", "indicator.read"),
    NavItem("/indicators/schedules", "nav.schedules", "indicator.read"),
    NavItem("/org", "nav.org", "org.read"),
    NavItem("/admin/users", "nav.users", "user.read"),
    NavItem("/admin/audit", "nav.audit", "audit.read"),
    NavItem("/admin/notifications", "nav.notifications", "notification.read"),
]
