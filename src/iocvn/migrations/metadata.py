"""Every domain's tables, gathered for Alembic and for tests."""

from iocvn.alerts import models as alert_models
from iocvn.alerts import models_notify as alert_notify_models
from iocvn.alerts import models_rules as alert_rule_models
from iocvn.alerts import models_violations as alert_violation_models
from iocvn.audit import models as audit_models
from iocvn.auth import models as auth_models
from iocvn.core.models import Base
from iocvn.feedback import models as feedback_models
from iocvn.indicators import models as indicator_models
from iocvn.notify import models as notify_models
from iocvn.org import models as org_models
from iocvn.sensors import models as sensor_models
from iocvn.sensors import models_events as sensor_event_models

metadata = Base.metadata
__all__ = [
    "alert_models",
    "alert_notify_models",
    "alert_rule_models",
    "alert_violation_models",
    "audit_models",
    "auth_models",
    "feedback_models",
    "indicator_models",
    "metadata",
    "notify_models",
    "org_models",
    "sensor_event_models",
    "sensor_models",
]
