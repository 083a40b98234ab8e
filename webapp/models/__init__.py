"""All models, importable from one place."""

from webapp.models.executions import Execution
from webapp.models.history import (
    Alarm,
    AlarmRule,
    Notification,
    OnuEvent,
    SampleBlock,
    SampleRoster,
)
from webapp.models.inventory import Brand, IndexFormula, Oid, Olt, OltModel, Onu, StateLabel
from webapp.models.jobs import JobHost, SnmpJob
from webapp.models.tokens import ApiToken
from webapp.models.users import User

__all__ = [
    "Alarm",
    "ApiToken",
    "AlarmRule",
    "Brand",
    "Execution",
    "IndexFormula",
    "JobHost",
    "Notification",
    "Oid",
    "Olt",
    "OltModel",
    "Onu",
    "OnuEvent",
    "SampleBlock",
    "SampleRoster",
    "SnmpJob",
    "StateLabel",
    "User",
]
