"""Issue 9, point 6: communities and SNMPv3 keys leave no trace, whatever fails.

Every failure path we know runs against real agents (net-snmp's snmpd with an SNMPv3 user,
the hostile agent, silent and closed ports), by a real worker process and in-process; then
every log line, every column of every row of the database as stored (the OLTs' secrets too:
they are encrypted at rest), every RQ job and every Redis key and value are searched for each
secret, as text and as hex.
The search proves itself at the end by finding secrets planted once in each place.
"""

from __future__ import annotations

import logging
import socket
import sys
from pathlib import Path

import pytest
from rq.job import Job
from sqlalchemy import select, text

from jobs.dispatch import run_jobs_now
from jobs.olts import ensure_poll_job, poll_job_of
from jobs.queues import get_redis
from snmp.lab.generate import generate_rows, write_snmprec
from snmp.lab.hostile import HostileAgent
from tests.conftest import csrf_token, login
from tests.factories import brand, make_job, make_user
from tests.secret_scan import forms, redis_dump
from tests.test_hostile_agent import run_worker
from tests.test_runner import work
from webapp.extensions import db
from webapp.models import Execution, Oid, Olt

sys.path.append(str(Path(__file__).resolve().parent.parent / "bench"))
netsnmp_agent = pytest.importorskip("netsnmp_agent")
MISSING = netsnmp_agent.missing_packages(build=True, run=True)
pytestmark = pytest.mark.skipif(bool(MISSING), reason=f"needs Debian packages {MISSING}")

COMMUNITY = "c0mmun1ty-SECRET-x91"  # snmpd's: right for the good OLTs
WRONG_COMMUNITY = "wr0ng-c0mmun1ty-SECRET-55"
AUTH_KEY, PRIV_KEY = "authKEY-secret-7731", "privKEY-secret-4410"  # snmpd's v3 user's
WRONG_AUTH_KEY = "wr0ngAUTH-secret-2218"
SHORT_KEY = "Sk3y-x9"  # 7 characters: RFC 3414 wants 8
SECRETS = (COMMUNITY, WRONG_COMMUNITY, AUTH_KEY, PRIV_KEY, WRONG_AUTH_KEY, SHORT_KEY)
V3_USER = "noc-v3"


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory):
    """snmpd serving a 20-ONU Huawei OLT: community COMMUNITY, v3 user with AUTH/PRIV_KEY."""
    netsnmp_agent.build_module()
    rec = write_snmprec(
        tmp_path_factory.mktemp("secrets") / "olt.snmprec", generate_rows("huawei", 20, seed=3)
    )
    conf = [
        f'createUser {V3_USER} SHA "{AUTH_KEY}" AES "{PRIV_KEY}"',
        f"rouser {V3_USER} priv -V oltsimall oltsim",
    ]
    with netsnmp_agent.NetSnmpAgent(rec, community=COMMUNITY, extra_conf=conf) as agent:
        yield agent


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once it is closed: ICMP unreachable


def _olt(name: str, port: int, detect: bool = False, **fields) -> Olt:
    v3 = dict(snmp_version="3", community="", v3_user=V3_USER, v3_context="oltsim")
    olt = Olt(
        name=name,
        brand_id=None if detect else brand("Huawei").id,
        auto_detect=detect,
        host="127.0.0.1",
        snmp_port=port,
        timeout=0.5,
        retries=0,
        **(v3 if "v3_auth_key" in fields else {}) | fields,
    )
    db.session.add(olt)
    db.session.flush()
    ensure_poll_job(olt)
    return olt


def _every_failure_path(snmpd, hostile_port: int) -> list[int]:
    """OLTs for each way to fail (and to succeed), with poll, discovery and get jobs."""
    port = snmpd.port
    olts = [
        _olt("good-v2c", port, community=COMMUNITY),
        _olt("good-v3", port, v3_auth_key=AUTH_KEY, v3_priv_key=PRIV_KEY),
        _olt("wrong-community", port, community=WRONG_COMMUNITY),  # a timeout
        _olt("unreachable", _closed_port(), community=COMMUNITY),
        _olt("short-key", port, v3_auth_key=SHORT_KEY, v3_priv_key=PRIV_KEY),  # an old row
        _olt("short-priv-key", port, v3_auth_key=AUTH_KEY, v3_priv_key=SHORT_KEY),
        _olt("wrong-v3-key", port, v3_auth_key=WRONG_AUTH_KEY, v3_priv_key=PRIV_KEY),
        _olt("wrong-priv-key", port, v3_auth_key=AUTH_KEY, v3_priv_key=WRONG_AUTH_KEY),
        _olt("hostile", hostile_port, community=COMMUNITY),
        _olt("detect-good", port, detect=True, community=COMMUNITY),
        _olt("detect-wrong", port, detect=True, community=WRONG_COMMUNITY),
        _olt(
            "detect-v3-wrong", port, detect=True, v3_auth_key=WRONG_AUTH_KEY, v3_priv_key=PRIV_KEY
        ),
        _olt("detect-v3-short", port, detect=True, v3_auth_key=SHORT_KEY, v3_priv_key=PRIV_KEY),
    ]
    db.session.commit()
    huawei = [o for o in olts if o.brand_id is not None]
    discovery = make_job(huawei, name="discovery all")
    get = make_job(huawei, name="serials all", job_type="get")
    get.oid_id = db.session.scalar(
        select(Oid.id).filter_by(brand_id=brand("Huawei").id, kind="serial").limit(1)
    )
    db.session.commit()
    return [poll_job_of(o).id for o in olts] + [discovery.id, get.id]


def _run_everything(job_ids: list[int]) -> list[int]:
    report = run_jobs_now(job_ids, trigger="cli", label="secrets")
    db.session.commit()
    return report.execution_ids


# ---------------------------------------------------------------- the search


def _database_dump() -> dict[str, bytes]:
    """Every row of every table as stored (plain SQL: the OLTs' secrets stay encrypted)."""
    out = {}
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(text(f"SELECT * FROM {table.name}")).mappings():
            out[f"{table.name} row {row.get('id')}"] = repr(dict(row)).encode()
    db.session.commit()
    return out


def _log_lines(records: list[logging.LogRecord]) -> dict[str, bytes]:
    fmt = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return {f"log {n} ({r.name})": fmt.format(r).encode() for n, r in enumerate(records)}


def _found(sources: dict[str, bytes]) -> list[tuple[str, str]]:
    """(where, secret) for every secret found anywhere, in any form."""
    return [
        (where, secret)
        for where, blob in sources.items()
        for secret in SECRETS
        if any(form in blob for form in forms(secret))
    ]


# ---------------------------------------------------------------- the test


def explode(*args, **kwargs):
    raise RuntimeError("the store step exploded")


def _run_every_path(app, runner, client, monkeypatch, snmpd, database_url, redis_url) -> dict:
    """Run every failure path: by a real worker, in-process, from the CLI and the admin."""
    out: dict = {}
    with HostileAgent() as hostile:
        job_ids = _every_failure_path(snmpd, hostile.port)
        # 1. a real worker process (its stdout and stderr are searched)
        out["first"] = _run_everything(job_ids)
        out["output"], _rss, _wall = run_worker(
            database_url, redis_url, {"SNMP_MAX_WALK_BYTES": "300000"}
        )
        # 2. in-process (caplog sees the app's and the worker's logging), with an exception
        # inside the job's store step of the OLTs that answer...
        out["second"] = _run_everything(job_ids)
        monkeypatch.setattr("jobs.inventory.store", explode)
        work(app)
        # ... and one that escapes the runner: RQ keeps its traceback
        out["third"] = _run_everything(job_ids[1:2])  # good-v3's poll
        monkeypatch.setattr("jobs.errors.disabled_reason", explode)
        work(app)
        monkeypatch.undo()
    # 3. the CLI: detection, listings, an add with a short key (refused)
    cli = [
        runner.invoke(args=["olts", "detect", name, "--json"])
        for name in ("detect-wrong", "detect-v3-wrong", "detect-v3-short", "good-v3")
    ]
    cli += [runner.invoke(args=a) for a in (["olts", "list", "--json"], ["recent", "--json"])]
    short = runner.invoke(
        args=["olts", "add", "cli-short", "--host", "127.0.0.1", "--version", "3"]
        + ["--v3-user", V3_USER, "--v3-keys-stdin", "--brand", "Huawei"],
        input=f"{SHORT_KEY}\n{PRIV_KEY}\n",
    )
    assert short.exit_code != 0 and "at least 8 characters" in short.output
    out["cli"] = [r.output for r in (*cli, short)]
    # 4. the admin pages that list OLTs, jobs and executions
    make_user("boss", superuser=True)
    login(client, "boss")
    urls = ["/admin/olt/", "/admin/execution/", "/admin/snmpjob/"]
    urls += [f"/admin/olt/details/?id={i}" for i in db.session.scalars(select(Olt.id))]
    out["pages"] = {url: client.get(url).text for url in urls}
    return out


def _check_errors(runs: dict[int, Execution], first: list[int]) -> None:
    """Each path failed as it should, typed, by the real worker and in-process alike."""
    by_olt = {(ex.olt_name, ex.job_type, ex.id in first): ex for ex in runs.values()}
    for real_worker in (True, False):
        for name in ("short-key", "short-priv-key"):
            ex = by_olt[(name, "poll", real_worker)]
            field = "auth key" if name == "short-key" else "privacy key"
            assert ex.status == "FAILED" and "SNMPv3 settings cannot be used" in ex.error
            assert f"the {field} of SNMPv3 user 'noc-v3' is shorter than 8" in ex.error
        assert "did not answer" in by_olt[("wrong-community", "poll", real_worker)].error
        assert "unreachable" in by_olt[("unreachable", "poll", real_worker)].error
        assert "Wrong SNMP PDU digest" in by_olt[("wrong-v3-key", "poll", real_worker)].error
        assert "sent more than 293 KB" in by_olt[("hostile", "poll", real_worker)].error
        assert "did not answer" in by_olt[("detect-wrong", "poll", real_worker)].error
        assert "SNMPv3 settings" in by_olt[("detect-v3-short", "poll", real_worker)].error
    for name in ("good-v2c", "good-v3", "detect-good"):
        assert by_olt[(name, "poll", True)].status == "SUCCESS"
    assert "RuntimeError: the store step exploded" in by_olt[("good-v3", "poll", False)].error
    assert not any("internal error" in (ex.error or "") for ex in runs.values() if ex.id in first)


def test_no_secret_leaves_through_any_failure(
    app, runner, client, snmpd, database_url, redis_url, caplog, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    app.config["SNMP_MAX_WALK_BYTES"] = 300_000  # the hostile OLT fails fast
    ran = _run_every_path(app, runner, client, monkeypatch, snmpd, database_url, redis_url)
    first, redis = ran["first"], get_redis(redis_url)
    runs = {ex.id: ex for ex in db.session.scalars(select(Execution))}
    assert set(first) | set(ran["second"]) | set(ran["third"]) == set(runs)
    _check_errors(runs, first)
    assert "internal error" in caplog.text and "Traceback" in caplog.text  # logged in full
    failed = Job.fetch(runs[ran["third"][0]].rq_job_id, connection=redis)
    assert "RuntimeError: the store step exploded" in failed.latest_result().exc_string

    def everything() -> dict[str, bytes]:
        sources = {"worker output": ran["output"].encode()}
        sources |= _log_lines(caplog.records)
        sources |= {f"cli {n}": printed.encode() for n, printed in enumerate(ran["cli"])}
        sources |= {f"page {url}": html.encode() for url, html in ran["pages"].items()}
        return sources | _database_dump() | redis_dump(redis)

    sources = everything()
    assert len([w for w in sources if w.startswith("rq job ")]) >= len(runs)
    assert len(ran["output"].splitlines()) > 50 and len(caplog.records) > 50
    assert _found(sources) == []

    # The search can fail: each secret planted once in one place is found there, only there.
    logging.getLogger("tests.planted").warning("the community is %s", COMMUNITY)
    db.session.execute(
        text("UPDATE executions SET error = :e WHERE id = :i"), {"e": AUTH_KEY, "i": first[0]}
    )
    db.session.commit()
    job = Job.fetch(runs[first[1]].rq_job_id, connection=redis)
    job.meta["planted"] = PRIV_KEY
    job.save_meta()
    redis.set("planted", SHORT_KEY.encode().hex())
    assert set(_found(everything())) == {
        (f"log {len(caplog.records) - 1} (tests.planted)", COMMUNITY),
        (f"executions row {first[0]}", AUTH_KEY),
        (f"redis rq:job:{job.id}", PRIV_KEY),
        (f"rq job {job.id}", PRIV_KEY),
        ("redis planted", SHORT_KEY),  # as hex
    }


def _v3_form(name: str, brand_id: int) -> dict:
    """The admin's OLT form for an SNMPv3 OLT, without its keys."""
    return {
        "name": name,
        "model_choice": f"brand:{brand_id}",
        "host": "127.0.0.1",
        "snmp_port": "161",
        "snmp_version": "3",
        "v3_user": V3_USER,
        "v3_auth_proto": "SHA",
        "v3_priv_proto": "AES",
        "timeout": "1",
        "retries": "0",
        "max_repetitions": "25",
        "enabled": "y",
    }


def test_the_admin_refuses_short_v3_keys_without_echoing_them(app, client):
    make_user("boss", superuser=True)
    login(client, "boss")
    olt = _olt("v3-olt", 161, v3_auth_key=AUTH_KEY, v3_priv_key=PRIV_KEY)
    db.session.commit()
    base = _v3_form("v3-olt", olt.brand_id)
    for field in ("new_v3_auth_key", "new_v3_priv_key"):
        for url in (f"/admin/olt/edit/?id={olt.id}", "/admin/olt/new/"):
            page = client.get(url)
            data = base | {field: SHORT_KEY, "csrf_token": csrf_token(page.text)}
            if url.endswith("new/"):
                data["name"] = "another-v3-olt"
            r = client.post(url, data=data, follow_redirects=True)
            assert r.status_code == 200
            assert "Field must be at least 8 characters long." in r.text, field
            assert SHORT_KEY not in r.text and SHORT_KEY.encode().hex() not in r.text
    db.session.expire_all()
    olt = db.session.get(Olt, olt.id)
    assert (olt.v3_auth_key, olt.v3_priv_key) == (AUTH_KEY, PRIV_KEY)  # kept
    assert db.session.scalar(select(Olt).filter_by(name="another-v3-olt")) is None
    page = client.get(f"/admin/olt/edit/?id={olt.id}")  # a long enough key is taken
    r = client.post(
        f"/admin/olt/edit/?id={olt.id}",
        data=base | {"new_v3_auth_key": "a-longer-key-1", "csrf_token": csrf_token(page.text)},
        follow_redirects=True,
    )
    assert r.status_code == 200 and "Field must be at least" not in r.text
    db.session.expire_all()
    assert db.session.get(Olt, olt.id).v3_auth_key == "a-longer-key-1"


def test_the_admin_checks_v3_settings_as_the_cli_does(app, client):
    """Privacy without an auth key is refused at save, not found out at the first poll."""
    make_user("boss", superuser=True)
    login(client, "boss")
    seed_olt = _olt("v3-seed", 161)
    db.session.commit()
    page = client.get("/admin/olt/new/")
    data = _v3_form("v3-priv-only", seed_olt.brand_id) | {
        "new_v3_priv_key": PRIV_KEY,
        "csrf_token": csrf_token(page.text),
    }
    r = client.post("/admin/olt/new/", data=data, follow_redirects=True)
    assert r.status_code == 200 and "SNMPv3 privacy needs an auth key too" in r.text
    assert PRIV_KEY not in r.text
    db.session.rollback()
    assert db.session.scalar(select(Olt).filter_by(name="v3-priv-only")) is None
