"""Onboarding from the command line: olts add/detect/list/poll, onus list (the JSON contract)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from tests.conftest import ROOT, worker_env
from tests.test_runner import work
from webapp.extensions import db
from webapp.models import Execution, Olt, SnmpJob

OLT_KEYS = {"id", "name", "brand", "model", "profile", "detected"}
ONU_KEYS = {
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
}


def _add(runner, recordings, name: str, *extra: str, community: str | None = None):
    args = ["olts", "add", name, "--host", "127.0.0.1", "--port", str(recordings.port)]
    return runner.invoke(
        args=[*args, "--community-stdin", "--timeout", "1", *extra],
        input=f"{community or name}\n",
    )


def test_olts_add_detect_json_and_its_poll_job(app, runner, recordings):
    result = _add(runner, recordings, "zte-c320-v21", "--detect", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert OLT_KEYS <= set(data)
    assert (data["brand"], data["model"], data["profile"], data["detected"]) == (
        "ZTE",
        "C320",
        "zte",
        True,
    )
    olt = db.session.get(Olt, data["id"])
    assert olt.community == "zte-c320-v21" and olt.auto_detect
    job = db.session.scalar(select(SnmpJob).filter_by(name="poll zte-c320-v21"))
    assert job.job_type == "poll" and job.interval == "15m" and job.next_run_at is not None


def test_olts_add_refuses_bad_input_and_writes_nothing(app, runner, recordings):
    bad_host = _add(runner, recordings, "x1", "--json")
    assert bad_host.exit_code == 0  # a valid add, to test the duplicate next
    dup = _add(runner, recordings, "x1")
    assert dup.exit_code == 1 and "already exists" in dup.output
    host = runner.invoke(
        args=["olts", "add", "x2", "--host", "300.1.1.1", "--community-stdin"], input="c\n"
    )
    assert host.exit_code == 1 and "not a valid IPv4 address" in host.output
    no_community = runner.invoke(args=["olts", "add", "x3", "--host", "10.0.0.1"])
    assert no_community.exit_code == 1 and "SNMP community is required" in no_community.output
    brand = runner.invoke(
        args=["olts", "add", "x4", "--host", "10.0.0.1", "--brand", "Nokia", "--community-stdin"],
        input="c\n",
    )
    assert brand.exit_code == 1 and "unknown brand 'Nokia'" in brand.output
    v3 = runner.invoke(
        args=["olts", "add", "x5", "--host", "10.0.0.1", "--version", "3"]
        + ["--v3-user", "noc", "--v3-keys-stdin"],
        input="short\nlong-enough-key\n",
    )
    assert v3.exit_code == 1 and "at least 8 characters" in v3.output
    assert "short" not in v3.output  # never echo a key
    long_community = runner.invoke(
        args=["olts", "add", "x6", "--host", "10.0.0.1", "--community-stdin"], input="c" * 300
    )
    assert long_community.exit_code == 1 and "at most 255 characters" in long_community.output
    wildcard = runner.invoke(
        args=["olts", "add", "x7", "--host", "10.0.0.1", "--brand", "%", "--community-stdin"],
        input="c\n",
    )
    assert wildcard.exit_code == 1 and "unknown brand '%'" in wildcard.output
    assert [o.name for o in db.session.scalars(select(Olt))] == ["x1"]


def test_olts_add_with_v3_keys_from_stdin(app, runner):
    result = runner.invoke(
        args=["olts", "add", "v3-olt", "--host", "10.0.0.9", "--version", "3"]
        + ["--v3-user", "noc", "--v3-auth-proto", "SHA", "--v3-priv-proto", "AES"]
        + ["--v3-keys-stdin", "--brand", "Huawei", "--model", "MA5608T", "--json"],
        input="auth-key-123\npriv-key-456\n",
    )
    assert result.exit_code == 0, result.output
    olt = db.session.scalar(select(Olt).filter_by(name="v3-olt"))
    assert (olt.v3_auth_key, olt.v3_priv_key, olt.model.name) == (
        "auth-key-123",
        "priv-key-456",
        "MA5608T",
    )
    assert "auth-key-123" not in result.output and "priv-key-456" not in result.output
    assert not olt.auto_detect and json.loads(result.output)["profile"] == "huawei"


def test_olts_add_detect_that_fails_still_adds_and_exits_1(app, runner, recordings):
    result = _add(runner, recordings, "nobody", "--detect", community="wrong")
    assert result.exit_code == 1
    assert "was added, but detection failed: OLT nobody (127.0.0.1:" in result.output
    assert "did not answer within 2 s (2 tries of 1 s)" in result.output
    assert "or the SNMP community is wrong" in result.output
    olt = db.session.scalar(select(Olt).filter_by(name="nobody"))
    assert olt.detection["answered"] is False and olt.brand is None


def test_olts_detect_and_list(app, runner, recordings):
    assert _add(runner, recordings, "ufiber").exit_code == 0
    detect = runner.invoke(args=["olts", "detect", "ufiber", "--json"])
    assert detect.exit_code == 0, detect.output
    data = json.loads(detect.output)
    assert data["sys_object_id"] == "1.3.6.1.4.1.41112.1.5" and data["applied"]
    assert data["match"]["profile"] == "ufiber" and data["rtt_ms"] is not None
    text = runner.invoke(args=["olts", "detect", "ufiber"])
    assert "sys_descr: EdgeOS v4.4.2.4598.220304.1412" in text.output
    listed = json.loads(runner.invoke(args=["olts", "list", "--json"]).output)
    assert [(o["name"], o["brand"], o["detected"]) for o in listed] == [
        ("ufiber", "Ubiquiti", True)
    ]
    missing = runner.invoke(args=["olts", "detect", "nope"])
    assert missing.exit_code == 1 and "no OLT named 'nope'" in missing.output


def test_olts_poll_then_onus_list(app, runner, recordings):
    assert _add(runner, recordings, "vsol-v1600d").exit_code == 0
    result = runner.invoke(args=["olts", "poll", "vsol-v1600d", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["job"] == "poll vsol-v1600d" and data["execution_id"]
    again = runner.invoke(args=["olts", "poll", "vsol-v1600d"])
    assert (
        again.exit_code == 1 and "nothing to run: an execution is already pending" in again.output
    )
    work(app)
    rows = json.loads(runner.invoke(args=["onus", "list", "--olt", "vsol-v1600d", "--json"]).output)
    assert len(rows) == 4 and all(set(r) == ONU_KEYS for r in rows)
    first = rows[0]
    assert (first["olt"], first["position"], first["frame"], first["slot"], first["port"]) == (
        "vsol-v1600d",
        "0/0/1:1",
        0,
        0,
        1,
    )
    assert (first["onu"], first["present"], first["state"], first["rx_dbm"]) == (
        1,
        True,
        "up",
        -14.61,
    )
    assert [r["description"] for r in rows][1] == "José Pérez"
    absent = json.loads(runner.invoke(args=["onus", "list", "--absent", "--json"]).output)
    assert absent == []
    table = runner.invoke(args=["onus", "list"]).output
    assert "0/0/1:3" in table and "POSITION" in table


def test_olts_poll_creates_a_missing_poll_job(app, runner, recordings):
    assert _add(runner, recordings, "ufiber").exit_code == 0
    db.session.delete(db.session.scalar(select(SnmpJob)))
    db.session.commit()
    result = runner.invoke(args=["olts", "poll", "ufiber", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["job_created"] is True


def _poll_wait(name: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage_cli.py"), "olts", "poll", name, "--wait", "--json"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize(
    ("name", "community", "code", "status"),
    [("ufiber", "ufiber", 0, "SUCCESS"), ("silent", "s3cr3t-c0mm", 1, "FAILED")],
)
def test_olts_poll_wait_exits_by_the_outcome(
    app, runner, recordings, database_url, redis_url, name, community, code, status
):
    assert _add(runner, recordings, name, "--brand", "Ubiquiti", community=community).exit_code == 0
    db.session.commit()
    proc = _poll_wait(name, worker_env(database_url, redis_url))
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        work(app)  # this process is the worker the CLI waits for
        time.sleep(0.2)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == code, (out, err)
    data = json.loads(out.strip().splitlines()[-1])
    assert data["status"] == status and data["execution_id"]
    ex = db.session.get(Execution, data["execution_id"])
    assert ex.status == status and ex.trigger == "cli"
    if status == "SUCCESS":
        assert data["summary"]["found"] == 3
    else:
        assert "did not answer" in data["error"] and community not in out + err


def test_every_help_works_without_an_environment(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OLTWATCH_INSTANCE": str(tmp_path)}
    cli = [sys.executable, str(ROOT / "manage_cli.py")]
    top = subprocess.run([*cli, "--help"], env=env, capture_output=True, text=True, timeout=60)
    assert top.returncode == 0 and "Traceback" not in top.stderr, top.stderr
    for group in ("olts", "onus", "jobs", "users", "lab"):
        assert group in top.stdout
    for args in (
        ["olts", "--help"],
        ["olts", "add", "--help"],
        ["olts", "detect", "--help"],
        ["olts", "list", "--help"],
        ["olts", "poll", "--help"],
        ["onus", "list", "--help"],
        ["jobs", "add", "--help"],
        ["jobs", "list", "--help"],
        ["secrets", "rotate", "--help"],
        ["status", "--help"],
        ["run", "--help"],
    ):
        proc = subprocess.run([*cli, *args], env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and "Usage:" in proc.stdout, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
    run = subprocess.run(
        [*cli, "olts", "list"], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2 and "SECRET_KEY is not set" in run.stderr
    assert "Traceback" not in run.stderr
