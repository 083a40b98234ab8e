"""Seed what the built-in profiles name (idempotent; never overwrites edits).

Brands and OLT models are rows because OLTs point at them; OIDs are rows so that the per-OID
jobs of the original system can pick them. Formulas, value rules and state labels are not
copied: the profiles answer them (jobs/columns.py), and the database keeps only operators'
edits of them.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from jobs.olts import ensure_poll_job
from snmp.profiles import PROFILES, Profile
from webapp.extensions import db
from webapp.models import Brand, Oid, Olt, OltModel

log = logging.getLogger(__name__)


def _get_or_add(model, defaults: dict | None = None, **keys):
    row = db.session.scalar(select(model).filter_by(**keys))
    if row is None:
        row = model(**keys, **(defaults or {}))
        db.session.add(row)
        db.session.flush()
    return row


def _default_key(brand_name: str) -> str:
    """The profile of a brand as a whole: its first one."""
    return next(p.key for p in PROFILES.values() if p.brand == brand_name)


def seed_profile(profile: Profile) -> Brand:
    """Create the brand, its models and the OID catalogue entries that are missing."""
    brand = _get_or_add(
        Brand,
        {
            "description": f"Built-in profiles for {profile.brand}",
            "profile_key": _default_key(profile.brand),
        },
        name=profile.brand,
    )
    for name in profile.models:
        _get_or_add(
            OltModel,
            {"technology": profile.technology, "profile_key": profile.key},
            brand_id=brand.id,
            name=name,
        )
    known = set(db.session.scalars(select(Oid.oid).where(Oid.brand_id == brand.id)))
    for column in profile.columns:
        if column.oid in known:
            continue
        known.add(column.oid)
        tree = f" ({column.tree})" if column.tree else ""
        db.session.add(
            Oid(
                brand_id=brand.id,
                oid=column.oid,
                name=f"{profile.brand} {column.mib_name}{tree}",
                kind=column.attribute,
                mib_name=column.mib_name,
                description=f"Built-in ({profile.key}); meaning from {column.source}",
            )
        )
    db.session.flush()
    return brand


def seed_profiles() -> list[Brand]:
    """Seed every built-in profile; commit."""
    brands = [seed_profile(p) for p in PROFILES.values()]
    db.session.commit()
    return list(dict.fromkeys(brands))


def seed_demo_olt(
    name: str, shape_key: str, host: str, port: int, community: str, detect: bool = False
) -> Olt:
    """Create (or point at the lab) a demo OLT of a lab shape with its poll job; commit.

    With ``detect`` a new OLT has model "detect": its first poll asks it what it is.
    """
    from snmp.lab.generate import get_shape

    profile = PROFILES[get_shape(shape_key).profile]
    brand = seed_profile(profile)
    model = db.session.scalar(select(OltModel).filter_by(brand_id=brand.id, name=profile.models[0]))
    olt = db.session.scalar(select(Olt).filter_by(name=name))
    if olt is None:
        olt = Olt(
            name=name,
            brand_id=None if detect else brand.id,
            model_id=None if detect else model.id,
            auto_detect=detect,
            description=f"Simulated {profile.brand} OLT (lab shape {shape_key})",
            host=host,
        )
        db.session.add(olt)
    olt.host, olt.snmp_port, olt.community = host, port, community  # the lab port changes per run
    ensure_poll_job(olt, interval="5m")
    db.session.commit()
    return olt
