"""Onboarding: add an OLT, give it its poll job, run that poll now (admin, CLI, API alike)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from jobs.dispatch import RunReport, run_jobs_now
from webapp.extensions import db
from webapp.models import JobHost, Olt, SnmpJob, User
from webapp.models.base import utcnow
from webapp.validators import Invalid

log = logging.getLogger(__name__)
POLL = "poll"


def poll_job_of(olt: Olt) -> SnmpJob | None:
    """The poll job that runs on this OLT (the one named after it first), if any."""
    jobs = db.session.scalars(
        select(SnmpJob)
        .join(JobHost, JobHost.job_id == SnmpJob.id)
        .where(JobHost.olt_id == olt.id, SnmpJob.job_type == POLL)
        .order_by(SnmpJob.id)
    ).all()
    mine = [j for j in jobs if j.name == poll_job_name(olt)]
    return (mine or jobs or [None])[0]


def poll_job_name(olt: Olt) -> str:
    """The name an OLT's own poll job gets."""
    return f"poll {olt.name}"


def ensure_poll_job(olt: Olt, interval: str | None = None) -> SnmpJob:
    """The OLT's poll job, created (every DEFAULT_POLL_INTERVAL, due now) if it has none."""
    job = poll_job_of(olt)
    if job is not None:
        return job
    db.session.flush()  # the OLT needs its id
    job = SnmpJob(
        name=_free_name(poll_job_name(olt)),
        description=f"Find the ONUs of {olt.name} and collect every attribute it supports",
        brand_id=None,
        job_type=POLL,
        oid_id=None,
        interval=interval or current_app.config["DEFAULT_POLL_INTERVAL"],
        next_run_at=utcnow(),  # the first poll runs at the next tick
        options={},
        hosts=[JobHost(olt_id=olt.id)],
    )
    db.session.add(job)
    db.session.flush()
    log.info("OLT %s: poll job %s created", olt.name, job.id)
    return job


def _free_name(name: str) -> str:
    """``name``, or "name (2)"… when a job already has it (job names are unique)."""
    taken = set(db.session.scalars(select(SnmpJob.name).where(SnmpJob.name.like(f"{name}%"))))
    if name not in taken:
        return name
    n = 2
    while f"{name} ({n})" in taken:
        n += 1
    return f"{name} ({n})"


@dataclass
class PollRun:
    """What `poll now` did."""

    job: SnmpJob
    created_job: bool
    report: RunReport


def poll_now(olt: Olt, user: User | None = None, trigger: str = "cli", label: str = "") -> PollRun:
    """Run the OLT's poll job now through run_jobs_now (creating the job if missing)."""
    existing = poll_job_of(olt)
    job = existing or ensure_poll_job(olt)
    db.session.commit()
    report = run_jobs_now([job.id], user=user, trigger=trigger, label=label, olt_ids={olt.id})
    return PollRun(job, existing is None, report)


V3_MIN_KEY = 8  # RFC 3414 section 11.2: passwords shorter than 8 octets are refused
SECRET_MAX = 255  # as the admin form allows (stored encrypted in a 1,024-character column)
AUTH_PROTOCOLS = ("SHA", "MD5", "SHA256", "SHA512")
PRIV_PROTOCOLS = ("AES", "DES", "AES256")


@dataclass
class NewOlt:
    """What `olts add` (or an API client) gives to add an OLT."""

    name: str
    host: str
    port: int = 161
    version: str = "2c"
    community: str = ""
    brand: str | None = None
    model: str | None = None  # None or "detect": detect brand and model
    v3_user: str = ""
    v3_auth_proto: str = "SHA"
    v3_auth_key: str = ""
    v3_priv_proto: str = "AES"
    v3_priv_key: str = ""
    timeout: float = 2.0
    retries: int = 1
    description: str = ""


def _check_new(new: NewOlt) -> None:
    """Raise ValueError saying what is wrong with the new OLT's settings (never a secret)."""
    from webapp.validators import validate_host

    if not new.name.strip() or len(new.name) > 100:
        raise Invalid(_("the OLT name must be 1 to 100 characters"), "name")
    if db.session.scalar(select(Olt.id).where(Olt.name == new.name)) is not None:
        raise Invalid(_("an OLT named %(name)s already exists", name=repr(new.name)), "name")
    new.host = validate_host(new.host)
    if not 0 < new.port < 65536:
        raise Invalid(_("invalid UDP port %(port)s", port=new.port), "port")
    if new.version not in ("1", "2c", "3"):
        raise Invalid(_("the SNMP version must be 1, 2c or 3"), "version")
    if not 0.1 <= new.timeout <= 60 or not 0 <= new.retries <= 10:
        raise Invalid(_("the timeout must be 0.1 to 60 s and retries 0 to 10"), "timeout")
    if new.version in ("1", "2c") and not new.community:
        raise Invalid(
            _("an SNMP community is required for SNMP v1/v2c (give it on stdin)"), "community"
        )
    if len(new.community) > SECRET_MAX:
        raise Invalid(
            _("the SNMP community must be at most %(n)d characters", n=SECRET_MAX), "community"
        )
    if new.version == "3":
        check_v3(
            new.v3_user, new.v3_auth_proto, new.v3_auth_key, new.v3_priv_proto, new.v3_priv_key
        )


def check_v3(user: str, auth_proto: str, auth_key: str, priv_proto: str, priv_key: str) -> None:
    """SNMPv3 settings as RFC 3414 allows them (ValueError without the keys themselves)."""
    if not user:
        raise Invalid(_("an SNMPv3 user is required for SNMP v3"), "v3_user")
    if len(user) > 100:
        raise Invalid(_("the SNMPv3 user must be at most 100 characters"), "v3_user")
    if max(len(auth_key), len(priv_key)) > SECRET_MAX:
        raise Invalid(
            _("SNMPv3 keys must be at most %(n)d characters", n=SECRET_MAX), "v3_auth_key"
        )
    if auth_proto not in AUTH_PROTOCOLS or priv_proto not in PRIV_PROTOCOLS:
        raise Invalid(
            _(
                "SNMPv3 auth protocol is one of %(auth)s, privacy one of %(priv)s",
                auth=", ".join(AUTH_PROTOCOLS),
                priv=", ".join(PRIV_PROTOCOLS),
            ),
            "v3_auth_proto" if auth_proto not in AUTH_PROTOCOLS else "v3_priv_proto",
        )
    if auth_key and len(auth_key) < V3_MIN_KEY:
        raise Invalid(
            _("the SNMPv3 auth key must have at least %(n)d characters", n=V3_MIN_KEY),
            "v3_auth_key",
        )
    if priv_key and len(priv_key) < V3_MIN_KEY:
        raise Invalid(
            _("the SNMPv3 privacy key must have at least %(n)d characters", n=V3_MIN_KEY),
            "v3_priv_key",
        )
    if priv_key and not auth_key:
        raise Invalid(_("SNMPv3 privacy needs an auth key too"), "v3_auth_key")


def _brand_and_model(new: NewOlt):
    """(brand, model, detect) from the names given; ValueError for unknown ones."""
    from webapp.models import Brand, OltModel

    if new.model in (None, "", "detect") and not new.brand:
        return None, None, True
    brand = db.session.scalar(
        select(Brand).where(func.lower(Brand.name) == (new.brand or "").lower())
    )
    if brand is None:
        known = ", ".join(db.session.scalars(select(Brand.name).order_by(Brand.name)))
        raise Invalid(
            _(
                "unknown brand %(brand)s; known: %(known)s",
                brand=repr(new.brand),
                known=known or "-",
            ),
            "brand",
        )
    if new.model in (None, "", "detect"):
        return brand, None, new.model == "detect"
    model = db.session.scalar(
        select(OltModel).where(
            OltModel.brand_id == brand.id, func.lower(OltModel.name) == new.model.lower()
        )
    )
    if model is None:
        names = db.session.scalars(select(OltModel.name).where(OltModel.brand_id == brand.id))
        raise Invalid(
            _(
                "unknown %(brand)s model %(model)s; known: %(known)s",
                brand=brand.name,
                model=repr(new.model),
                known=", ".join(names),
            ),
            "model",
        )
    return brand, model, False


def add_olt(new: NewOlt) -> Olt:
    """Create an OLT and its poll job; commit. ValueError (nothing written) on bad settings."""
    from webapp.seed import seed_profiles

    seed_profiles()
    _check_new(new)
    brand, model, detect_mode = _brand_and_model(new)
    olt = Olt(
        name=new.name,
        brand=brand,
        model=model,
        auto_detect=detect_mode,
        host=new.host,
        snmp_port=new.port,
        snmp_version=new.version,
        community=new.community,
        v3_user=new.v3_user,
        v3_auth_proto=new.v3_auth_proto,
        v3_auth_key=new.v3_auth_key,
        v3_priv_proto=new.v3_priv_proto,
        v3_priv_key=new.v3_priv_key,
        timeout=new.timeout,
        retries=new.retries,
        description=new.description,
    )
    db.session.add(olt)
    ensure_poll_job(olt)
    db.session.commit()
    log.info("OLT %s added (%s)", olt.name, olt.address)
    return olt


def olt_info(olt: Olt) -> dict:
    """The OLT as scripts see it (never a secret)."""
    from sqlalchemy import func

    from webapp.models import Onu

    counts = dict(
        db.session.execute(
            select(Onu.present, func.count()).where(Onu.olt_id == olt.id).group_by(Onu.present)
        ).all()
    )
    detection = olt.detection or {}
    job = poll_job_of(olt)
    return {
        "id": olt.id,
        "name": olt.name,
        "host": olt.host,
        "port": olt.snmp_port,
        "version": olt.snmp_version,
        "brand": olt.brand.name if olt.brand else None,
        "model": olt.model.name if olt.model else None,
        "profile": olt.profile_key,
        "auto_detect": olt.auto_detect,
        "detected": bool(detection.get("known")),
        "detected_at": olt.detected_at.isoformat() if olt.detected_at else None,
        "detection": detection.get("message"),
        "enabled": olt.enabled,
        "onus_present": counts.get(True, 0),
        "onus_absent": counts.get(False, 0),
        "poll_job": job.name if job else None,
    }


ONU_FIELDS = (
    "olt",
    "position",
    "frame",
    "slot",
    "port",
    "onu",
    "present",
    "state",
    "serial",
    "name",
    "description",
    "rx_dbm",
    "tx_dbm",
    "distance_m",
    "last_seen_at",
)


def onu_rows(olt: Olt | None = None, present: bool | None = None) -> list[dict]:
    """Each ONU as scripts see it (the keys of ONU_FIELDS, in inventory order)."""
    from webapp.models import Onu

    query = select(Onu, Olt.name).join(Olt, Olt.id == Onu.olt_id)
    if olt is not None:
        query = query.where(Onu.olt_id == olt.id)
    if present is not None:
        query = query.where(Onu.present.is_(present))
    query = query.order_by(Olt.name, Onu.frame, Onu.slot, Onu.port, Onu.onu_id, Onu.position)
    out = []
    for onu, olt_name in db.session.execute(query):
        out.append(
            {
                "olt": olt_name,
                "position": onu.position,
                "frame": onu.frame,
                "slot": onu.slot,
                "port": onu.port,
                "onu": onu.onu_id,
                "present": onu.present,
                "state": onu.state_label
                or (None if onu.state_value is None else str(onu.state_value)),
                "serial": onu.serial,
                "name": onu.name,
                "description": onu.description,
                "rx_dbm": onu.rx_power_dbm,
                "tx_dbm": onu.tx_power_dbm,
                "distance_m": onu.distance_m,
                "last_seen_at": onu.last_seen_at.isoformat() if onu.last_seen_at else None,
            }
        )
    return out
