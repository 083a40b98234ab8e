"""Brand profiles: which OIDs to poll and how to decode indexes, per OLT brand."""

from snmp.profiles.base import OID_KINDS, BrandProfile, ProfileOid
from snmp.profiles.huawei import HUAWEI
from snmp.profiles.zte import ZTE

PROFILES: dict[str, BrandProfile] = {p.key: p for p in (HUAWEI, ZTE)}

__all__ = ["OID_KINDS", "PROFILES", "BrandProfile", "ProfileOid", "get_profile"]


def get_profile(key: str) -> BrandProfile:
    """Return the profile for a key such as "huawei" (case-insensitive); KeyError if unknown."""
    try:
        return PROFILES[key.strip().lower()]
    except KeyError:
        raise KeyError(f"unknown brand profile {key!r}; known: {sorted(PROFILES)}") from None
