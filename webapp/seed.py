"""Seed the built-in brand profiles and the demo data (idempotent; never overwrites edits).

A brand's first profile is its default (brand-wide formula, labels and OIDs); later profiles
of the same brand (ZTE V2.1 and C600, V-SOL GPON, C-Data EPON) describe particular models,
so their formulas and labels are seeded per model and found through OltModel.profile_key.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from snmp.profiles import PROFILES, BrandProfile, ProfileOid
from webapp.extensions import db
from webapp.models import Brand, IndexFormula, JobHost, Oid, Olt, OltModel, SnmpJob, StateLabel
from webapp.models.base import utcnow

log = logging.getLogger(__name__)
FORMULA_FIELDS = (
    "mode",
    "base",
    "step_slot",
    "step_port",
    "shift_frame",
    "mask_frame",
    "shift_slot",
    "mask_slot",
    "shift_port",
    "mask_port",
    "shift_onu",
    "mask_onu",
    "frame_offset",
    "slot_offset",
    "port_offset",
    "onu_from_dot",
    "onu_offset",
)


def _get_or_add(model, defaults: dict | None = None, **keys):
    row = db.session.scalar(select(model).filter_by(**keys))
    if row is None:
        row = model(**keys, **(defaults or {}))
        db.session.add(row)
        db.session.flush()
    return row


def db_kind(item: ProfileOid) -> str:
    """The OID kind as stored: the OLT-side receive power is an attribute of its own."""
    return "olt_rx_power" if item.name == "olt_rx_power" else item.kind


def _seed_oid(brand: Brand, model: OltModel | None, item: ProfileOid, label: str) -> None:
    """One OID row per profile: model-specific profiles may read the same OID differently."""
    scope = model.id if model else None
    if db.session.scalar(select(Oid).filter_by(brand_id=brand.id, model_id=scope, oid=item.oid)):
        return
    oid = Oid(
        brand_id=brand.id,
        model_id=model.id if model else None,
        oid=item.oid,
        name=f"{label} {item.name}",
        kind=db_kind(item),
        mib_name=item.mib_name,
        index_suffix=item.index_suffix,
    )
    oid.set_rule(item.rule)
    db.session.add(oid)


def seed_profile(profile: BrandProfile) -> Brand:
    """Create the brand, models, OIDs, formula(s) and state labels that are missing."""
    default_key = _default_key(profile.brand)
    if profile.key != default_key:
        seed_profile(PROFILES[default_key])  # brand-wide rows come from the brand's first profile
    brand = _get_or_add(
        Brand,
        {"description": f"Built-in profiles for {profile.brand}", "profile_key": default_key},
        name=profile.brand,
    )
    default = profile.key == default_key
    models = [
        _get_or_add(
            OltModel,
            {"technology": profile.technology, "profile_key": profile.key},
            brand_id=brand.id,
            name=name,
        )
        for name in profile.models
    ]
    scopes = [None] if default else models
    label = profile.brand if default else f"{profile.brand} {profile.models[0]}"
    for item in profile.oids:
        _seed_oid(brand, None if default else models[0], item, label)
    spec = {f: getattr(profile.formula, f) for f in FORMULA_FIELDS}
    for model in scopes:
        name = f"{label if model is None else f'{profile.brand} {model.name}'} standard"
        _get_or_add(
            IndexFormula,
            dict(spec, name=name),
            brand_id=brand.id,
            model_id=model.id if model else None,
        )
        for value, text in profile.state_labels.items():
            _get_or_add(
                StateLabel,
                {"label": text},
                brand_id=brand.id,
                model_id=model.id if model else None,
                value=value,
            )
    return brand


def seed_profiles() -> list[Brand]:
    """Seed every built-in profile; commit."""
    brands = [seed_profile(p) for p in PROFILES.values()]
    db.session.commit()
    return list(dict.fromkeys(brands))


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
    scope = None if profile.key == brand.profile_key else model.id
    for job_type, item, job_name, interval in _demo_jobs(profile):
        oid = db.session.scalar(
            select(Oid).filter_by(brand_id=brand.id, model_id=scope, oid=item.oid)
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


def _demo_jobs(profile: BrandProfile):
    label = (
        profile.brand
        if profile.key == _default_key(profile.brand)
        else (f"{profile.brand} {profile.models[0]}")
    )
    yield "discovery", profile.discovery, f"{label} ONU discovery", "5m"
    for item in profile.oids:
        if item.kind in ("serial", "description", "distance", "rx_power"):
            yield "get", item, f"{label} ONU {item.name}", "15m"


def _default_key(brand_name: str) -> str:
    return next(p.key for p in PROFILES.values() if p.brand == brand_name)
