"""All models, importable from one place."""

from webapp.models.executions import Execution
from webapp.models.inventory import Brand, IndexFormula, Oid, Olt, OltModel, Onu, StateLabel
from webapp.models.jobs import JobHost, SnmpJob
from webapp.models.users import User

__all__ = [
    "Brand",
    "Execution",
    "IndexFormula",
    "JobHost",
    "Oid",
    "Olt",
    "OltModel",
    "Onu",
    "SnmpJob",
    "StateLabel",
    "User",
]
