"""`manage_cli.py jobs add/list`: jobs from scripts, checked as the admin form checks them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from snmp.profiles import PROFILES
from tests.factories import make_olt
from tests.test_runner import work
from webapp.extensions import db
from webapp.models import Execution, SnmpJob


def _jobs() -> int:
    return db.session.scalar(select(func.count(SnmpJob.id)))


def test_add_a_manual_poll_job_and_run_it(app, runner, lab):
    make_olt(lab, "huawei-a")
    make_olt(lab, "zte-a", "ZTE")
    result = runner.invoke(
        args=["jobs", "add", "nightly", "--olt", "huawei-a", "--olt", "zte-a", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["type"], data["schedule"], data["olts"]) == (
        "poll",
        "manual only",
        ["huawei-a", "zte-a"],
    )
    assert data["next_run_at"] is None  # a manual job never runs by itself
    run = runner.invoke(args=["run", str(data["id"]), "--json"])
    assert run.exit_code == 0, run.output
    work(app)
    runs = db.session.scalars(select(Execution).order_by(Execution.olt_name)).all()
    assert [(r.olt_name, r.status) for r in runs] == [("huawei-a", "SUCCESS"), ("zte-a", "SUCCESS")]
    assert runs[0].summary["found"] == 40 and runs[1].summary["found"] == 30
    listed = json.loads(runner.invoke(args=["jobs", "list", "--json"]).output)
    assert [j["name"] for j in listed] == ["nightly"]
    text = runner.invoke(args=["jobs", "list"]).output
    assert "nightly" in text and "manual only" in text and "huawei-a, zte-a" in text


def test_add_a_scheduled_get_job_by_oid_name_or_dotted_oid(app, runner, lab):
    make_olt(lab, "huawei-a")
    serial = PROFILES["huawei"].first("serial")
    by_dotted = runner.invoke(
        args=["jobs", "add", "serials", "--type", "get", "--olt", "huawei-a",
              "--oid", "." + serial.oid, "--interval", "1h", "--option", "method=get", "--json"]
    )  # fmt: skip
    assert by_dotted.exit_code == 0, by_dotted.output
    data = json.loads(by_dotted.output)
    assert (data["oid"], data["schedule"], data["options"]) == (
        serial.oid,
        "every hour",
        {"method": "get"},
    )
    assert data["next_run_at"] is not None  # scheduled: due at the next tick
    job = db.session.get(SnmpJob, data["id"])
    by_name = runner.invoke(
        args=["jobs", "add", "serials-2", "--type", "get", "--olt", "huawei-a",
              "--oid", job.oid.name, "--cron", "*/15 * * * *", "--disabled"]
    )  # fmt: skip
    assert by_name.exit_code == 0, by_name.output
    second = db.session.scalar(select(SnmpJob).filter_by(name="serials-2"))
    assert second.oid_id == job.oid_id and second.cron == "*/15 * * * *"
    assert not second.enabled and second.next_run_at is None
    by_mib = runner.invoke(
        args=["jobs", "add", "serials-3", "--type", "get", "--olt", "huawei-a",
              "--oid", "hwGponDeviceOntSn", "--json"]
    )  # fmt: skip
    assert by_mib.exit_code == 0 and json.loads(by_mib.output)["oid"] == serial.oid


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--olt", "nope"], "no OLT named 'nope'"),
        (["--olt", "huawei-a", "--type", "get"], "a get job needs an OID"),
        (["--olt", "huawei-a", "--interval", "5m", "--cron", "* * * * *"], "one of interval"),
        (["--olt", "huawei-a", "--interval", "soon"], "interval"),
        (["--olt", "huawei-a", "--cron", "61 * * * *"], "cron"),
        (["--olt", "huawei-a", "--type", "get", "--oid", "1.3.6.1.9.9.9"], "no OID"),
        (["--olt", "huawei-a", "--brand", "ZTE"], "another brand: huawei-a"),
        (["--olt", "huawei-a", "--brand", "Acme"], "no brand named 'Acme'"),
        (["--olt", "huawei-a", "--olt", "huawei-a"], "listed twice"),
        (["--olt", "huawei-a", "--option", "method=fast"], "Invalid option method = fast"),
        (["--olt", "huawei-a", "--option", "nokey"], "KEY=VALUE"),
        (["--olt", "huawei-a", "--type", "crawl"], "Invalid value for '--type'"),
        (["--olt", "huawei-a", "--oid", "hwGponDeviceOntSn"], "takes no OID"),  # a poll
        (["--olt", "huawei-a", "--brand", "%"], "no brand named '%'"),
    ],
)
def test_bad_jobs_are_refused_with_the_reason_and_nothing_is_written(
    app, runner, lab, args, message
):
    make_olt(lab, "huawei-a")
    result = runner.invoke(args=["jobs", "add", "bad", *args])
    assert result.exit_code in (1, 2) and message in result.output, result.output
    assert "Traceback" not in result.output
    db.session.rollback()
    assert _jobs() == 0


def test_a_job_name_is_taken_once(app, runner, lab):
    make_olt(lab, "huawei-a")
    assert runner.invoke(args=["jobs", "add", "p", "--olt", "huawei-a"]).exit_code == 0
    again = runner.invoke(args=["jobs", "add", "p", "--olt", "huawei-a"])
    assert again.exit_code == 1 and "a job named 'p' exists" in again.output
    assert _jobs() == 1


def test_a_job_name_longer_than_its_column_is_refused(app, runner, lab):
    make_olt(lab, "huawei-a")
    result = runner.invoke(args=["jobs", "add", "j" * 151, "--olt", "huawei-a"])
    assert result.exit_code == 1 and "1 to 150 characters" in result.output, result.output
    assert "Traceback" not in result.output
    db.session.rollback()
    assert _jobs() == 0
