"""Brand profiles: which OIDs to poll and how to decode indexes, per OLT brand."""

from snmp.profiles.base import DEFAULT_RULES, OID_KINDS, BrandProfile, ProfileOid
from snmp.profiles.cdata import CDATA_EPON, CDATA_GPON
from snmp.profiles.fiberhome import FIBERHOME
from snmp.profiles.generic import GENERIC
from snmp.profiles.huawei import HUAWEI
from snmp.profiles.vsol import VSOL_EPON, VSOL_GPON
from snmp.profiles.zte import ZTE, ZTE_C600, ZTE_V21

# order matters to consumers that merge profiles of one brand: the first one of a brand wins
PROFILES: dict[str, BrandProfile] = {
    p.key: p
    for p in (
        HUAWEI,
        ZTE,
        ZTE_V21,
        ZTE_C600,
        FIBERHOME,
        VSOL_EPON,
        VSOL_GPON,
        CDATA_GPON,
        CDATA_EPON,
        GENERIC,
    )
}

__all__ = ["DEFAULT_RULES", "OID_KINDS", "PROFILES", "BrandProfile", "ProfileOid", "get_profile"]


def get_profile(key: str) -> BrandProfile:
    """Return the profile for a key such as "huawei" (case-insensitive); KeyError if unknown."""
    try:
        return PROFILES[key.strip().lower()]
    except KeyError:
        raise KeyError(f"unknown brand profile {key!r}; known: {sorted(PROFILES)}") from None
