"""Test and detect an OLT: read its system group, match the detection table, store what was seen.

Used by the admin ("Test and detect"), the CLI (`olts detect`) and the runner (an OLT created
with model "detect" is detected before its first poll). Applying a detection sets the OLT's
brand and model (created on the fly from the detection table when new); it happens for OLTs in
"detect" mode, or when asked.
"""

from __future__ import annotations

import asyncio
import logging

from flask import current_app
from sqlalchemy import select

from jobs.errors import JobError
from jobs.messages import Message
from snmp.client import Target
from snmp.detect import Detection, detect
from snmp.profiles import profile_for
from webapp.crypto import SecretUnreadable
from webapp.extensions import db
from webapp.models import Brand, Olt, OltModel
from webapp.models.base import utcnow

log = logging.getLogger(__name__)
SECRET_KIND = "secret_unreadable"  # a detection that could not start: a secret is unreadable


def unreadable_secret(olt: Olt) -> str | None:
    """The sentence for a stored secret that the configured keys cannot decrypt, or None."""
    used = ("community",) if olt.snmp_version in ("1", "2c") else ("v3_auth_key", "v3_priv_key")
    for field in used:
        if isinstance(getattr(olt, field), SecretUnreadable):
            return Message(f"secret_unreadable_{field}", olt=olt.name)
    return None


def target_of(olt: Olt, **overrides) -> Target:
    """The SNMP target of an OLT (its secrets stay inside the Target, out of repr).

    JobError when a stored secret cannot be decrypted (the key changed without rotation).
    """
    problem = unreadable_secret(olt)
    if problem:
        raise JobError(problem)
    fields = dict(
        host=olt.host,
        port=olt.snmp_port,
        version=olt.snmp_version,
        community=olt.community,
        v3_user=olt.v3_user,
        v3_auth_key=olt.v3_auth_key,
        v3_priv_key=olt.v3_priv_key,
        v3_auth_proto=olt.v3_auth_proto,
        v3_priv_proto=olt.v3_priv_proto,
        v3_context=olt.v3_context or "",
        timeout=olt.timeout,
        retries=olt.retries,
        max_repetitions=olt.max_repetitions or 25,
        max_walk_bytes=current_app.config["SNMP_MAX_WALK_BYTES"],
    )
    fields.update(overrides)
    return Target(**fields)


def needs_detection(olt: Olt) -> bool:
    """An OLT in "detect" mode that has no brand yet, or whose last detection found nothing."""
    if not olt.auto_detect:
        return False
    return olt.brand_id is None or not (olt.detection or {}).get("known")


def _brand(name: str, profile_key: str | None) -> Brand:
    brand = db.session.scalar(select(Brand).filter_by(name=name))
    if brand is None:
        brand = Brand(name=name, description="Created by detection", profile_key=profile_key)
        db.session.add(brand)
        db.session.flush()
    return brand


def _model(brand: Brand, name: str, profile_key: str | None, technology: str) -> OltModel:
    model = db.session.scalar(select(OltModel).filter_by(brand_id=brand.id, name=name))
    if model is None:
        model = OltModel(
            brand_id=brand.id,
            name=name,
            profile_key=profile_key,
            technology=technology if len(technology) <= 10 else "GPON",
            notes="Created by detection",
        )
        db.session.add(model)
        db.session.flush()
    return model


def _no_answer(olt: Olt, d: Detection) -> str:
    """The sentence for an OLT that did not answer, as an execution would say it."""
    from types import SimpleNamespace

    from jobs.errors import describe_snmp_error, error_of_kind

    who = SimpleNamespace(olt_name=olt.name, address=olt.address, target=target_of(olt))
    return describe_snmp_error(who, error_of_kind(d.error_kind, d.error or ""))


def record(olt: Olt, d: Detection, apply: bool) -> dict:
    """Store a detection on the OLT (the caller commits); apply it if asked and known."""
    data = d.as_dict()
    if not d.answered:
        data["message"] = d.error if d.error_kind == SECRET_KIND else _no_answer(olt, d)
    data["at"] = utcnow().isoformat()
    data["configured"] = {
        "brand": olt.brand.name if olt.brand else None,
        "model": olt.model.name if olt.model else None,
        "profile": olt.profile_key,
    }
    data["applied"] = False
    if apply and d.known:
        m = d.match
        profile = profile_for(m.profile)
        brand = _brand(m.brand, profile.key if profile else m.profile)
        olt.brand = brand
        olt.model = _model(brand, m.model, m.profile, m.technology)
        data["applied"] = True
    elif d.known:
        m = d.match
        same = olt.brand is not None and olt.brand.name == m.brand
        data["agrees"] = same and profile_for(olt.profile_key) is profile_for(m.profile)
    olt.detected_at = utcnow()
    olt.detection = data
    log.info("OLT %s detected: %s", olt.name, d.message)
    return data


async def _detect(olt: Olt) -> Detection:
    problem = unreadable_secret(olt)
    if problem:
        return Detection(answered=False, error=problem, error_kind=SECRET_KIND)
    return await detect(target_of(olt))


def detect_olt(olt: Olt, apply: bool | None = None) -> dict:
    """Detect one OLT now (blocking, a few seconds at most) and record it."""
    d = asyncio.run(_detect(olt))
    return record(olt, d, olt.auto_detect if apply is None else apply)


def detect_olts(olts: list[Olt], apply: bool | None = None) -> list[dict]:
    """Detect several OLTs at once and record each."""

    async def run() -> list[Detection]:
        return list(await asyncio.gather(*(_detect(o) for o in olts)))

    found = asyncio.run(run())
    return [
        record(o, d, o.auto_detect if apply is None else apply)
        for o, d in zip(olts, found, strict=True)
    ]
