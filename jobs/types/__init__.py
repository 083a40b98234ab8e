"""Job types, registered by name: each module holds its plan, its SNMP phase and its store.

Adding a type means writing its module (a JobType subclass named TYPE) and one line here;
the runner, the dispatcher, the admin and the CLI look types up, they never name one.
Modules are imported when first used, so that the models can list the names without
importing the worker side.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobs.types.base import JobType

MODULES = {
    "poll": "jobs.types.poll",
    "discovery": "jobs.types.discovery",
    "get": "jobs.types.get",
}
NAMES = tuple(MODULES)
DEFAULT = "poll"
# Types whose success means the OLT's ONU list was read in full (the freshness metric).
ENUMERATING = frozenset({"poll", "discovery"})


def get_type(name: str) -> JobType:
    """The job type registered as ``name``; KeyError for an unknown one."""
    try:
        module = MODULES[name]
    except KeyError:
        raise KeyError(f"unknown job type {name!r}; known: {', '.join(NAMES)}") from None
    return importlib.import_module(module).TYPE
