"""Every lab shape through the real path: snmpsim -> detection -> poll job -> worker -> inventory.

The lab agrees with the profiles by construction (it encodes with them): these tests prove the
path (probe, choice of tables, multi-column walks, per-column decoding, storage), not the
vendors' encodings, which tests/test_recordings.py checks against hand-written recordings.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from jobs.dispatch import run_jobs_now
from jobs.olts import NewOlt, add_olt, poll_job_of
from snmp.lab.agent import LabAgent
from snmp.lab.generate import LAB_EPOCH, SHAPES, chosen_columns, lab_onus, truth
from tests.test_runner import work
from webapp.extensions import db
from webapp.models import Execution, JobHost, Oid, Onu, SnmpJob
from webapp.models.inventory import ATTRIBUTE_COLUMNS

ONUS, SEED = 24, 3
SHAPE_KEYS = sorted(k for k in SHAPES if k != "zte_legacy")


@pytest.fixture(scope="module")
def shapes_lab(tmp_path_factory):
    agent = LabAgent(tmp_path_factory.mktemp("shapes"))
    for key in SHAPE_KEYS:
        agent.add_olt(f"s-{key.replace('_', '-')}", key, ONUS, seed=SEED)
    with agent:
        yield agent


def _add(shapes_lab, key: str):
    name = f"s-{key.replace('_', '-')}"
    brand = "Generic" if key == "generic" else None  # the generic lab is not an OLT we know
    return add_olt(
        NewOlt(name=name, host="127.0.0.1", port=shapes_lab.port, community=name, brand=brand)
    )


def _check(onu: Onu, key: str, lab_onu, now: datetime) -> None:
    columns = chosen_columns(key)
    for attribute, column in columns.items():
        stored = getattr(onu, ATTRIBUTE_COLUMNS[attribute])
        want = truth(key, lab_onu, attribute)
        if attribute == "state":
            assert onu.state_label == want, (key, onu.position)
        elif attribute == "uptime":
            if want is None:
                assert stored is None, (key, onu.position, stored)
            elif column.rule.parse == "seconds":  # "online for N s", counted from the poll
                assert abs((now - stored) - (LAB_EPOCH - want)).total_seconds() < 120
            else:
                assert stored == want, (key, onu.position)
        elif isinstance(want, float):
            step = abs(column.rule.scale) / 2 + 1e-6
            assert stored == pytest.approx(want, abs=step), (key, attribute, onu.position)
        elif attribute == "distance" and want is not None and isinstance(stored, int):
            assert abs(stored - want) <= 1, (key, onu.position)
        else:
            assert stored == want, (key, attribute, onu.position, stored, want)


@pytest.mark.parametrize("key", SHAPE_KEYS)
def test_poll_detects_finds_and_collects_every_attribute(app, shapes_lab, key):
    app.config["OLT_TIMEZONE"] = "UTC"  # the lab's clocks
    olt = _add(shapes_lab, key)
    job = poll_job_of(olt)
    assert job is not None and job.job_type == "poll" and job.interval == "15m"
    run_jobs_now([job.id], trigger="cli", label="test")
    work(app)

    (ex,) = db.session.scalars(select(Execution)).all()
    assert ex.status == "SUCCESS", ex.error
    summary = ex.summary
    assert summary["found"] == ONUS and summary["new"] == ONUS and summary["undecoded"] == 0
    assert set(summary["tables"]) == set(chosen_columns(key)), summary
    assert "value_errors" not in summary, summary
    db.session.refresh(olt)
    if key != "generic":  # created with model "detect": detected before the first poll
        assert olt.auto_detect and olt.detection["known"] and olt.brand is not None
    now = datetime.now(UTC)
    expected = {o.position: o for o in lab_onus(key, ONUS, SEED)}
    onus = db.session.scalars(select(Onu).where(Onu.olt_id == olt.id)).all()
    assert {o.position for o in onus} == set(expected)
    for onu in onus:
        _check(onu, key, expected[onu.position], now)


@pytest.mark.parametrize("key", ["zte", "zte_v21", "huawei", "bdcom", "ufiber", "vsol_epon"])
def test_discovery_and_get_jobs_agree_with_the_poll(app, shapes_lab, key):
    """The seed's per-OID jobs place rows exactly where the poll does (one ONU identity)."""
    olt = _add(shapes_lab, key)
    run_jobs_now([poll_job_of(olt).id], trigger="cli", label="test")
    work(app)
    db.session.refresh(olt)
    before = {o.position: (o.id, o.serial) for o in db.session.scalars(select(Onu))}
    columns = chosen_columns(key)
    jobs = []
    for n, (attribute, column) in enumerate(columns.items()):
        oid = db.session.scalar(select(Oid).filter_by(brand_id=olt.brand_id, oid=column.oid))
        job_type = "discovery" if attribute == "state" else "get"
        jobs.append(
            SnmpJob(
                name=f"{job_type} {n}",
                brand_id=olt.brand_id,
                job_type=job_type,
                oid_id=oid.id,
                hosts=[JobHost(olt_id=olt.id)],
            )
        )
    db.session.add_all(jobs)
    db.session.commit()
    run_jobs_now([j.id for j in jobs], trigger="cli", label="test")
    work(app)
    runs = db.session.scalars(select(Execution).order_by(Execution.id)).all()
    assert all(r.status == "SUCCESS" for r in runs), [(r.job_name, r.error) for r in runs]
    for run in runs[1:]:
        if run.job_type == "discovery":
            assert run.summary["found"] == ONUS and run.summary["new"] == 0, run.summary
        else:
            assert run.summary["targets"] == ONUS and run.summary["rows_for_unknown_onus"] == 0
    after = {o.position: (o.id, o.serial) for o in db.session.scalars(select(Onu))}
    assert after == before  # same rows, same values: nobody duplicated or moved an ONU
