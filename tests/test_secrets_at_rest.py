"""OLT secrets at rest: stored encrypted, rotated with `secrets rotate`, a changed key says so;
a new SQLite file and the instance folder are readable by their owner only; migration 0004."""

from __future__ import annotations

import json
import stat
import subprocess
import sys

from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, select, text

from tests.conftest import PASSWORD, ROOT, login
from tests.factories import make_job, make_olt, make_user
from tests.test_migrations import MIGRATIONS, fresh_url  # noqa: F401 - a fixture
from tests.test_runner import work
from webapp import create_app
from webapp.crypto import PREFIX, SecretUnreadable
from webapp.extensions import db
from webapp.models import Execution, Olt

V3_AUTH, V3_PRIV = "authKEY-secret-7731", "privKEY-secret-9124"


def _stored(olt_id: int) -> dict:
    """The secrets as the database holds them (plain SQL, past the model's column type)."""
    row = db.session.execute(
        text("SELECT community, v3_auth_key, v3_priv_key FROM olts WHERE id = :i"), {"i": olt_id}
    ).one()
    db.session.commit()
    return dict(row._mapping)


def _reload(olt_id: int) -> Olt:
    db.session.expire_all()
    return db.session.get(Olt, olt_id)


def test_secrets_are_stored_encrypted_and_still_poll(app, lab):
    olt = make_olt(lab, "huawei-a")  # the lab answers the community "huawei-a"
    v3 = make_olt(
        None,
        "v3",
        snmp_version="3",
        v3_user="noc",
        v3_auth_key=V3_AUTH,
        v3_priv_key=V3_PRIV,
        community="",
    )
    stored, stored_v3 = _stored(olt.id), _stored(v3.id)
    assert stored["community"].startswith(PREFIX) and "huawei-a" not in stored["community"]
    for field, secret in (("v3_auth_key", V3_AUTH), ("v3_priv_key", V3_PRIV)):
        assert stored_v3[field].startswith(PREFIX) and secret not in stored_v3[field]
    assert stored_v3["community"] == ""  # empty stays empty
    assert _reload(olt.id).community == "huawei-a" and _reload(v3.id).v3_priv_key == V3_PRIV
    # two OLTs with one community are two different ciphertexts (Fernet's random IV)
    twin = make_olt(lab, "twin", community="huawei-a")
    assert _stored(twin.id)["community"] != stored["community"]
    from jobs.dispatch import run_jobs_now

    run_jobs_now([make_job([olt]).id], trigger="cli", label="t")
    work(app)
    assert db.session.scalar(select(Execution.status)) == "SUCCESS"


def test_rotation_and_a_key_that_changed_without_one(app, lab, runner, client):
    from jobs.dispatch import run_jobs_now

    app.config["ENCRYPTION_KEY"] = "old-key"
    olt = make_olt(lab, "huawei-a")
    job = make_job([olt])
    before = _stored(olt.id)["community"]
    # the new key first, the old one still listed: everything reads, `rotate` re-encrypts
    app.config["ENCRYPTION_KEY"] = "new-key, old-key"
    assert _reload(olt.id).community == "huawei-a"
    result = runner.invoke(args=["secrets", "rotate", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"olts": 1, "rotated": 1, "unreadable": []}
    after = _stored(olt.id)["community"]
    assert after != before and after.startswith(PREFIX)
    app.config["ENCRYPTION_KEY"] = "new-key"  # the old key dropped
    assert _reload(olt.id).community == "huawei-a"
    run_jobs_now([job.id], trigger="cli", label="t")
    work(app)
    assert db.session.scalar(select(Execution.status)) == "SUCCESS"

    # a key that changed without rotation: lists work, a poll fails saying why
    app.config["ENCRYPTION_KEY"] = "someone-elses-key"
    unreadable = _reload(olt.id).community
    assert isinstance(unreadable, SecretUnreadable) and unreadable == ""
    db.session.commit()
    run_jobs_now([job.id], trigger="cli", label="t")
    work(app)
    ex = db.session.scalars(select(Execution).order_by(Execution.id.desc())).first()
    assert ex.status == "FAILED"
    assert "SNMP community of OLT huawei-a cannot be decrypted" in ex.error
    assert "OLTWATCH_ENCRYPTION_KEY" in ex.error
    detect = runner.invoke(args=["olts", "detect", "huawei-a", "--json"])
    assert detect.exit_code == 1 and "cannot be decrypted" in detect.output
    assert runner.invoke(args=["olts", "list"]).exit_code == 0
    rotate = runner.invoke(args=["secrets", "rotate"])
    assert rotate.exit_code == 1 and "cannot decrypt: huawei-a (community)" in rotate.output
    assert _stored(olt.id)["community"] == after  # nothing was overwritten
    make_user("noc")
    login(client, "noc", PASSWORD)
    page = client.get("/admin/olt/")
    assert page.status_code == 200 and "huawei-a" in page.text
    # saving the OLT without a new community keeps the stored ciphertext as it was
    edit = client.get(f"/admin/olt/edit/?id={olt.id}")
    assert edit.status_code == 200
    app.config["ENCRYPTION_KEY"] = "new-key"  # the right key is back: all is readable again
    assert _reload(olt.id).community == "huawei-a"


def test_a_new_sqlite_file_and_the_instance_folder_are_private(tmp_path):
    path = tmp_path / "data" / "new.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "k"})
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        db.session.commit()
        db.engine.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    instance = tmp_path / "instance"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "OLTWATCH_INSTANCE": str(instance),
        "OLTWATCH_EMBEDDED": "1",
    }
    proc = subprocess.run(
        [sys.executable, str(ROOT / "manage_cli.py"), "olts", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    assert stat.S_IMODE((instance / "secret_key").stat().st_mode) == 0o600
    assert stat.S_IMODE((instance / "oltwatch.db").stat().st_mode) == 0o600


def test_migration_0004_encrypts_what_is_there_and_0003_gets_it_back(fresh_url):  # noqa: F811
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_url, "SECRET_KEY": "m", "TESTING": True})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0003_user_sessions")
        engine = create_engine(
            fresh_url.replace("postgresql://", "postgresql+psycopg://", 1)
            if fresh_url.startswith("postgresql://")
            else fresh_url
        )
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO brands (name, description) VALUES ('Huawei', '')"))
            for name in "abc":
                conn.execute(
                    text(
                        "INSERT INTO olts (name, brand_id, host, snmp_port, snmp_version,"
                        " community, v3_user, v3_auth_proto, v3_auth_key, v3_priv_proto,"
                        " v3_priv_key, v3_context, timeout, retries, max_repetitions, enabled,"
                        " description, created_at, auto_detect) VALUES (:n, 1, '10.0.0.1', 161,"
                        " '2c', :c, '', 'SHA', :k, 'AES', '', '', 2, 1, 25, TRUE, '',"
                        " '2026-11-01 00:00:00', FALSE)"
                    ),
                    {"n": name, "c": f"old-community-{name}", "k": V3_AUTH if name == "a" else ""},
                )
            conn.execute(
                text(
                    "INSERT INTO snmp_jobs (name, description, job_type, enabled, max_retries,"
                    " retry_delay, options, created_at, updated_at) VALUES ('j', '', 'poll',"
                    " TRUE, 2, 30, '{}', '2026-11-01 00:00:00', '2026-11-01 00:00:00')"
                )
            )
            for status in ("PENDING", "RUNNING", "SUCCESS"):  # an older release's duplicates
                conn.execute(
                    text(
                        "INSERT INTO executions (job_id, olt_id, job_name, olt_name, job_type,"
                        " requested_by_name, trigger, queue, attempt, status, created_at, summary)"
                        " VALUES (1, 1, 'j', 'a', 'poll', '', 'cli', 'discovery_main', 0, :s,"
                        " '2026-11-01 00:00:00', '{}')"
                    ),
                    {"s": status},
                )
        upgrade(directory=MIGRATIONS)
        with engine.connect() as conn:
            stored = dict(conn.execute(text("SELECT name, community FROM olts")).all())
            key = conn.execute(text("SELECT v3_auth_key FROM olts WHERE name = 'a'")).scalar()
            ends = conn.execute(text("SELECT status, error FROM executions ORDER BY id")).all()
        assert all(v.startswith(PREFIX) and "old-community" not in v for v in stored.values())
        assert key.startswith(PREFIX) and V3_AUTH not in key
        assert [tuple(e) for e in ends] == [
            ("PENDING", None),
            ("INTERRUPTED", "a duplicate of execution 1"),
            ("SUCCESS", None),
        ]
        olts = {o.name: o for o in db.session.scalars(select(Olt))}
        assert olts["b"].community == "old-community-b" and olts["a"].v3_auth_key == V3_AUTH
        db.session.remove()
        downgrade(directory=MIGRATIONS, revision="0003_user_sessions")
        with engine.connect() as conn:
            back = dict(conn.execute(text("SELECT name, community FROM olts")).all())
        assert back == {n: f"old-community-{n}" for n in "abc"}
        engine.dispose()
        db.engine.dispose()
