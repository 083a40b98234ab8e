"""Every brand profile through the real path: snmpsim lab → worker → inventory."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from jobs.collect import ATTRIBUTE_OF_KIND
from jobs.dispatch import run_jobs_now
from snmp.lab.agent import LabAgent
from snmp.lab.generate import lab_onus
from snmp.profiles import PROFILES
from tests.test_runner import work
from webapp.extensions import db
from webapp.models import Brand, Execution, JobHost, Oid, Olt, OltModel, Onu, SnmpJob
from webapp.seed import db_kind, seed_profiles

ONUS, SEED = 24, 3


@pytest.fixture(scope="module")
def brand_lab(tmp_path_factory):
    agent = LabAgent(tmp_path_factory.mktemp("brands"))
    for key in PROFILES:
        agent.add_olt(f"p-{key.replace('_', '-')}", key, ONUS, seed=SEED)
    with agent:
        yield agent


def _olt(profile, port: int) -> Olt:
    seed_profiles()
    brand = db.session.scalar(select(Brand).filter_by(name=profile.brand))
    model = db.session.scalar(select(OltModel).filter_by(brand_id=brand.id, name=profile.models[0]))
    name = f"p-{profile.key.replace('_', '-')}"
    olt = Olt(
        name=name,
        brand_id=brand.id,
        model_id=model.id,
        host="127.0.0.1",
        snmp_port=port,
        community=name,
        timeout=2,
        retries=1,
    )
    db.session.add(olt)
    db.session.flush()
    return olt


def _job(olt: Olt, item, job_type: str) -> SnmpJob:
    # A brand's first profile owns brand-wide OIDs; later ones are scoped to their first model.
    scope = None if olt.brand.profile_key == olt.model.profile_key else olt.model_id
    oid = db.session.scalar(
        select(Oid).filter_by(brand_id=olt.brand_id, model_id=scope, oid=item.oid)
    )
    job = SnmpJob(
        name=f"{job_type} {item.name}",
        brand_id=olt.brand_id,
        job_type=job_type,
        oid_id=oid.id,
        interval="5m",
        hosts=[JobHost(olt_id=olt.id)],
    )
    db.session.add(job)
    return job


def _expected(lab_onu, attribute: str):
    truth = {
        "rx_power_dbm": lab_onu.rx_dbm,
        "tx_power_dbm": lab_onu.tx_dbm,
        "olt_rx_power_dbm": lab_onu.olt_rx_dbm,
        "distance_m": lab_onu.distance if lab_onu.distance >= 0 else None,
    }
    return truth.get(attribute, ...)


@pytest.mark.parametrize("key", list(PROFILES))
def test_profile_discovery_and_every_get(app, brand_lab, key):
    profile = PROFILES[key]
    olt = _olt(profile, brand_lab.port)
    discovery = _job(olt, profile.discovery, "discovery")
    gets = [_job(olt, item, "get") for item in profile.oids if db_kind(item) in ATTRIBUTE_OF_KIND]
    db.session.commit()
    run_jobs_now([discovery.id], trigger="cli", label="test")
    work(app)
    run_jobs_now([j.id for j in gets], trigger="cli", label="test")
    work(app)

    runs = db.session.scalars(select(Execution).order_by(Execution.id)).all()
    assert all(r.status == "SUCCESS" for r in runs), [(r.job_name, r.error) for r in runs]
    assert runs[0].summary["found"] == ONUS and runs[0].summary["undecoded"] == 0
    expected = {o.raw_index: o for o in lab_onus(key, ONUS, SEED)}
    onus = db.session.scalars(select(Onu).where(Onu.olt_id == olt.id)).all()
    assert {o.raw_index for o in onus} == set(expected)
    for onu in onus:
        e = expected[onu.raw_index]
        assert (onu.slot, onu.port, onu.onu_id) == (e.slot, e.port, e.onu_id), onu.raw_index
        for attribute in ("rx_power_dbm", "tx_power_dbm", "olt_rx_power_dbm", "distance_m"):
            want = _expected(e, attribute)
            if attribute in onu.collected and want is not ...:
                assert getattr(onu, attribute) == pytest.approx(want), (attribute, onu.name)
    for run in runs[1:]:
        assert run.summary["stored"] + run.summary["failed"] == ONUS, run.summary
        assert run.summary["stored"] > 0, (run.job_name, run.summary)
