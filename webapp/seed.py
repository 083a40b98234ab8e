"""Seed the built-in brand profiles and the demo data (idempotent; never overwrites edits)."""

from __future__ import annotations

import logging

from sqlalchemy import select

from snmp.profiles import PROFILES, BrandProfile
from webapp.extensions import db
from webapp.models import Brand, IndexFormula, JobHost, Oid, Olt, OltModel, SnmpJob, StateLabel
from webapp.models.base import utcnow

log = logging.getLogger(__name__)


def _get_or_add(model, defaults: dict | None = None, **keys):
    row = db.session.scalar(select(model).filter_by(**keys))
    if row is None:
        row = model(**keys, **(defaults or {}))
        db.session.add(row)
        db.session.flush()
    return row


def seed_profile(profile: BrandProfile) -> Brand:
    """Create the brand, its models, OIDs, formula and state labels if they are missing."""
    brand = _get_or_add(
        Brand,
        {"description": f"Built-in profile {profile.key}", "profile_key": profile.key},
        name=profile.brand,
    )
    for name in profile.models:
        _get_or_add(OltModel, brand_id=brand.id, name=name)
    for item in profile.oids:
        _get_or_add(
            Oid,
            {"name": f"{profile.brand} {item.name}", "kind": item.kind, "mib_name": item.mib_name},
            brand_id=brand.id,
            oid=item.oid,
        )
    f = profile.formula
    _get_or_add(
        IndexFormula,
        {
            "name": f"{profile.brand} standard",
            "mode": f.mode,
            "base": f.base,
            "step_slot": f.step_slot,
            "step_port": f.step_port,
            "shift_frame": f.shift_frame,
            "mask_frame": f.mask_frame,
            "shift_slot": f.shift_slot,
            "mask_slot": f.mask_slot,
            "shift_port": f.shift_port,
            "mask_port": f.mask_port,
            "frame_offset": f.frame_offset,
            "onu_from_dot": f.onu_from_dot,
            "onu_offset": f.onu_offset,
        },
        brand_id=brand.id,
        model_id=None,
    )
    for value, label in profile.state_labels.items():
        _get_or_add(StateLabel, {"label": label}, brand_id=brand.id, value=value)
    return brand


def seed_profiles() -> list[Brand]:
    """Seed every built-in profile; commit."""
    brands = [seed_profile(p) for p in PROFILES.values()]
    db.session.commit()
    return brands


def seed_demo_olt(name: str, profile_key: str, host: str, port: int, community: str) -> Olt:
    """Create (or point at the lab) a demo OLT with discovery and get jobs; commit."""
    profile = PROFILES[profile_key]
    brand = seed_profile(profile)
    model = db.session.scalar(select(OltModel).filter_by(brand_id=brand.id, name=profile.models[0]))
    olt = _get_or_add(
        Olt,
        {
            "brand_id": brand.id,
            "model_id": model.id,
            "host": host,
            "snmp_port": port,
            "community": community,
            "description": f"Simulated {profile.brand} OLT (lab)",
        },
        name=name,
    )
    olt.host, olt.snmp_port, olt.community = host, port, community  # the lab port changes per run
    demo_jobs = [("discovery", "discovery", f"{profile.brand} ONU discovery", "5m")]
    demo_jobs += [
        ("get", item.kind, f"{profile.brand} ONU {item.name}", "15m")
        for item in profile.oids
        if item.kind in ("serial", "description", "distance")
    ]
    for job_type, kind, job_name, interval in demo_jobs:
        oid = db.session.scalar(
            select(Oid).filter_by(brand_id=brand.id, oid=profile.oid_of(kind).oid)
        )
        defaults = {
            "brand_id": brand.id,
            "job_type": job_type,
            "oid_id": oid.id,
            "interval": interval,
            "next_run_at": utcnow(),
            "description": "Demo job on the simulated OLTs",
        }
        job = _get_or_add(SnmpJob, defaults, name=job_name)
        _get_or_add(JobHost, job_id=job.id, olt_id=olt.id)
    db.session.commit()
    return olt
