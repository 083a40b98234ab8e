"""manage_cli.py: run, users, seed — through Click's runner and as a real process."""

from __future__ import annotations

import json
import subprocess
import sys

from sqlalchemy import select

from tests.conftest import ROOT, run_subprocess, worker_env
from tests.factories import make_job, make_olt, make_user
from webapp.extensions import db
from webapp.models import Execution, User


def test_run_command_creates_and_enqueues(app, runner, lab):
    make_user("noc")
    job = make_job([make_olt(lab, "huawei-a")])
    result = runner.invoke(args=["run", str(job.id), "--user", "noc"])
    assert result.exit_code == 0, result.output
    assert "Ran 1 job: 1 execution created and 1 enqueued on discovery_main" in result.output
    ex = db.session.scalar(select(Execution))
    assert ex.trigger == "cli" and ex.requested_by.username == "noc" and ex.rq_job_id


def test_run_command_explains_skips_and_fails_when_nothing_runs(app, runner, lab):
    job = make_job([make_olt(lab, "huawei-a", enabled=False)])
    result = runner.invoke(args=["run", str(job.id), "424242"])
    assert result.exit_code == 1
    assert "skipped discovery on huawei-a: OLT disabled" in result.output
    assert "skipped #424242: job not found" in result.output
    assert "error: no executions were created" in result.output


def test_run_command_refuses_unknown_user(app, runner, lab):
    job = make_job([make_olt(lab, "huawei-a")])
    result = runner.invoke(args=["run", str(job.id), "--user", "nobody"])
    assert result.exit_code == 1 and "'nobody' is not an active staff user" in result.output
    assert db.session.scalar(select(Execution)) is None


def test_users_create_reads_password_from_stdin(app, runner):
    result = runner.invoke(
        args=["users", "create", "ana", "--superuser", "--password-stdin"],
        input="a-long-password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).filter_by(username="ana"))
    assert user.is_staff and user.is_superuser and user.check_password("a-long-password")
    again = runner.invoke(args=["users", "create", "ana", "--password-stdin"], input="x" * 10)
    assert again.exit_code == 1 and "already exists" in again.output
    short = runner.invoke(args=["users", "create", "bo", "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "at least 8 characters" in short.output
    listed = runner.invoke(args=["users", "list", "--json"])
    assert [u["username"] for u in json.loads(listed.output)] == ["ana"]
    assert runner.invoke(args=["users", "disable", "ana"]).exit_code == 0
    db.session.expire_all()
    assert not db.session.scalar(select(User).filter_by(username="ana")).active


def test_manage_cli_process_runs_jobs(app, lab, database_url, redis_url):
    job_id = make_job([make_olt(lab, "huawei-a")]).id
    db.session.commit()  # SQLite: release the test's transaction before another process writes
    env = worker_env(database_url, redis_url)
    proc = run_subprocess(
        [sys.executable, str(ROOT / "manage_cli.py"), "run", str(job_id), "--json"], env
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["created"] == report["enqueued"] == 1 and report["queue_error"] is None
    db.session.expire_all()
    ex = db.session.get(Execution, report["execution_ids"][0])
    assert ex.status == "PENDING" and ex.requested_by_name.startswith("cli:")


def test_manage_cli_without_secret_key_says_so(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "OLTWATCH_INSTANCE": str(tmp_path)}
    proc = run_subprocess([sys.executable, str(ROOT / "manage_cli.py"), "users", "list"], env)
    assert proc.returncode != 0 and "SECRET_KEY is not set" in proc.stderr


def test_lab_generate_and_serve_with_register(app, database_url, redis_url, tmp_path):
    import signal
    import subprocess
    import time

    from jobs.dispatch import run_jobs_now
    from tests.test_runner import work
    from webapp.models import Olt, SnmpJob

    env = worker_env(database_url, redis_url)
    out = tmp_path / "olt.snmprec"
    gen = run_subprocess(
        [
            sys.executable,
            str(ROOT / "manage_cli.py"),
            "lab",
            "generate",
            "--profile",
            "zte",
            "--onus",
            "12",
            "--out",
            str(out),
        ],
        env,
    )
    assert gen.returncode == 0 and "for 12 zte ONUs" in gen.stdout and out.stat().st_size > 0
    db.session.commit()  # SQLite: hold no lock while the other process registers OLTs
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage_cli.py"),
            "lab",
            "serve",
            "--olt",
            "cli-lab:huawei:25",
            "--register",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("serving" in x for x in lines):
            lines.append(proc.stdout.readline())
        assert any("serving 1 OLT on" in x for x in lines), lines
        olt = db.session.scalar(select(Olt).filter_by(name="cli-lab"))
        job = db.session.scalar(select(SnmpJob).filter_by(name="poll cli-lab"))
        run_jobs_now([job.id], trigger="cli", label="test")
        work(app)
        ex = db.session.scalar(select(Execution).where(Execution.olt_id == olt.id))
        assert ex.status == "SUCCESS" and ex.summary["found"] == 25, ex.error
    finally:
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(30)
        proc.stdout.close()
    assert rc == 0


def test_db_upgrade_and_worker_command(app, runner, lab, database_url, redis_url):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    job_id = make_job([make_olt(lab, "huawei-a")]).id
    db.session.commit()
    env = worker_env(database_url, redis_url)
    assert (
        run_subprocess(
            [sys.executable, str(ROOT / "manage_cli.py"), "run", str(job_id)], env
        ).returncode
        == 0
    )
    proc = run_subprocess(
        [sys.executable, str(ROOT / "manage_cli.py"), "worker", "-n", "1", "--burst"],
        env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    db.session.expire_all()
    ex = db.session.scalar(select(Execution))
    assert ex.status == "SUCCESS"
    # one line per event, and the lines logged during the run say which run and OLT
    lines = (proc.stdout + proc.stderr).splitlines()
    done = [line for line in lines if "SUCCESS in" in line]
    assert len(done) == 1 and f"[execution {ex.id} · huawei-a]" in done[0], done
    assert sum("Successfully completed" in line for line in lines) == 1


def test_manage_cli_migrates_a_new_database_and_says_when_one_is_not(tmp_path, redis_url):
    """`manage_cli.py db upgrade` as the README says (it was missing from manage_cli.py's
    own command list), and a command on a database not migrated yet: one line, exit 2."""
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    env = worker_env(url, redis_url)
    manage = [sys.executable, str(ROOT / "manage_cli.py")]
    early = run_subprocess([*manage, "users", "create", "ana", "--password-stdin"], env)
    assert early.returncode == 2 and "Traceback" not in early.stderr, early.stderr
    assert early.stderr.startswith("error: database unreachable:") and "users" in early.stderr
    up = run_subprocess([*manage, "db", "upgrade"], env, timeout=120)
    assert up.returncode == 0, up.stderr
    current = run_subprocess([*manage, "db", "current"], env)
    assert current.returncode == 0 and "(head)" in current.stdout, current.stdout
    made = subprocess.run(
        [*manage, "users", "create", "ana", "--password-stdin"],
        cwd=ROOT, env=env, input="long-pass-1\n", capture_output=True, text=True,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
