"""Brand profiles: candidate ONU columns per attribute, index formulas, detection rules."""

from snmp.profiles.base import ATTRIBUTES, DEFAULT_RULES, ENUM_ATTRIBUTES, Column, Profile
from snmp.profiles.bdcom import BDCOM
from snmp.profiles.cdata import CDATA
from snmp.profiles.fiberhome import FIBERHOME
from snmp.profiles.generic import GENERIC
from snmp.profiles.huawei import HUAWEI
from snmp.profiles.ufiber import UFIBER
from snmp.profiles.vsol import VSOL
from snmp.profiles.zte import ZTE, ZTE_C600

PROFILES: dict[str, Profile] = {
    p.key: p for p in (HUAWEI, ZTE, ZTE_C600, FIBERHOME, VSOL, CDATA, BDCOM, UFIBER, GENERIC)
}
# Keys of earlier releases, still stored on OLT models: one profile now covers each family's
# firmware trees and technologies.
ALIASES = {
    "zte_v21": "zte",
    "vsol_epon": "vsol",
    "vsol_gpon": "vsol",
    "cdata_gpon": "cdata",
    "cdata_epon": "cdata",
}

__all__ = [
    "ALIASES",
    "ATTRIBUTES",
    "DEFAULT_RULES",
    "ENUM_ATTRIBUTES",
    "GENERIC",
    "PROFILES",
    "Column",
    "Profile",
    "get_profile",
    "profile_for",
]


def profile_for(key: str | None) -> Profile | None:
    """The profile named ``key`` (or an old alias of it), None for None or an unknown key."""
    text = (key or "").strip().lower()
    return PROFILES.get(ALIASES.get(text, text))


def get_profile(key: str) -> Profile:
    """Return the profile for a key such as "huawei" (case-insensitive); KeyError if unknown."""
    profile = profile_for(key)
    if profile is None:
        raise KeyError(f"unknown brand profile {key!r}; known: {sorted(PROFILES)}")
    return profile
