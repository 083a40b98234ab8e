"""Operator commands (manage_cli.py / flask --app wsgi); each body calls into jobs/ or models."""

from __future__ import annotations

import getpass
import json
import socket
import sys

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from jobs.messages import render_message
from webapp.cli_i18n import fail_line, speaks_cli_language, table, when, within
from webapp.extensions import db
from webapp.models import User

users = AppGroup("users", help="Create, list and disable users.")


def _fail(message: str, code: int = 1):
    click.echo(fail_line(message), err=True)
    sys.exit(code)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)


@users.command("create")
@click.argument("username")
@click.option("--superuser", is_flag=True, help="May manage users.")
@click.option("--staff/--no-staff", default=True, help="May use the admin (default: yes).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(username: str, superuser: bool, staff: bool, password_stdin: bool) -> None:
    """Create a user; the password is asked for (or read from stdin), never an argument."""
    if db.session.scalar(select(User).filter_by(username=username)):
        _fail(_("user %(name)r already exists", name=username))
    user = User(username=username, is_staff=staff, is_superuser=superuser)
    try:
        user.set_password(_read_password(password_stdin))
    except ValueError as exc:
        _fail(str(exc))
    db.session.add(user)
    db.session.commit()
    click.echo(
        _(
            "created user %(name)s (staff: %(staff)s, superuser: %(superuser)s)",
            name=username,
            staff=_("yes") if staff else _("no"),
            superuser=_("yes") if superuser else _("no"),
        )
    )


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def users_list(as_json: bool) -> None:
    """List users."""
    rows = [
        {
            "username": u.username,
            "staff": u.is_staff,
            "superuser": u.is_superuser,
            "active": u.active,
            "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
        }
        for u in db.session.scalars(select(User).order_by(User.username))
    ]
    if as_json:
        click.echo(json.dumps(rows))
        return
    if not rows:
        click.echo(_("no users: add one with `manage_cli.py users create NAME`"))
        return
    for r in rows:
        r["last_login_at"] = when(r["last_login_at"], _("never"))
    table(
        rows,
        {
            "username": _("username"),
            "staff": _("staff"),
            "superuser": _("superuser"),
            "active": _("active"),
            "last_login_at": _("last login"),
        },
    )


@users.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Disable a user (they can no longer log in)."""
    user = db.session.scalar(select(User).filter_by(username=username))
    if user is None:
        _fail(_("no user %(name)r", name=username))
    user.active = False
    db.session.commit()
    click.echo(_("disabled user %(name)s", name=username))


@click.command("run")
@click.argument("job_ids", nargs=-1, type=int, required=True)
@click.option("--user", "username", help="Staff user to attribute the run to.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def run_command(job_ids: tuple[int, ...], username: str | None, as_json: bool) -> None:
    """Run SNMP jobs now (the same operation as the admin action)."""
    from flask import current_app

    from jobs.dispatch import run_jobs_now
    from webapp.admin.messages import reason_text

    user = None
    if username:
        user = db.session.scalar(select(User).filter_by(username=username))
        if user is None or not user.is_staff or not user.active:
            _fail(_("%(name)r is not an active staff user", name=username))
    label = f"cli:{getpass.getuser()}@{socket.gethostname()}"
    report = run_jobs_now(list(job_ids), user=user, trigger="cli", label=label)
    data = {
        "jobs_run": report.jobs_run,
        "created": report.created,
        "enqueued": report.enqueued,
        "execution_ids": report.execution_ids,
        "skipped": [{"job": j, "olt": s.olt_name, "reason": s.reason} for j, s in report.skips],
        "queue_error": report.queue_error,
    }
    if as_json:
        click.echo(json.dumps(data))
    else:
        click.echo(
            _(
                "%(jobs)s: %(executions)s and %(enqueued)s on %(queue)s",
                jobs=ngettext("Ran %(num)d job", "Ran %(num)d jobs", report.jobs_run),
                executions=ngettext(
                    "%(num)d execution created", "%(num)d executions created", report.created
                ),
                enqueued=ngettext("%(num)d enqueued", "%(num)d enqueued", report.enqueued),
                queue=current_app.config["QUEUE_NAME"],
            )
        )
        for job, skip in report.skips:
            reason = reason_text(skip.reason)
            if skip.olt_name:
                line = _(
                    "skipped %(job)s on %(olt)s: %(reason)s",
                    job=job,
                    olt=skip.olt_name,
                    reason=reason,
                )
            else:
                line = _("skipped %(job)s: %(reason)s", job=job, reason=reason)
            click.echo(line)
    if report.queue_error:
        _fail(render_message(report.queue_error), 2)
    if not report.created:
        _fail(_("no executions were created"), 1)


@click.command("seed")
def seed_command() -> None:
    """Seed the built-in brand profiles (brands, models, OIDs, formulas, state labels)."""
    from webapp.seed import seed_profiles

    brands = seed_profiles()
    click.echo(_("seeded profiles: %(names)s", names=", ".join(b.name for b in brands)))


@click.command("worker")
@click.option("-n", "--workers", default=20, show_default=True, help="Worker processes.")
@click.option("--burst", is_flag=True, help="Quit when the queue is empty.")
def worker_command(workers: int, burst: bool) -> None:
    """Serve the queue with a pool of RQ workers forked from this process (one app, shared)."""
    from flask import current_app

    from jobs.workers import run_pool

    run_pool(current_app._get_current_object(), workers, burst)


@click.command("locks")
@click.option("--clear-stale", is_flag=True, help="Free locks whose execution is not running.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def locks_command(clear_stale: bool, as_json: bool) -> None:
    """Show who holds each OLT lock and since when; optionally free the stale ones."""
    from flask import current_app
    from redis.exceptions import RedisError

    from jobs.locks import lock_holders
    from jobs.queues import get_redis
    from jobs.reaper import clear_stale_locks

    try:
        redis = get_redis(current_app.config["REDIS_URL"])
        cleared = clear_stale_locks(redis) if clear_stale else 0
        holders = lock_holders(redis)
    except RedisError as exc:
        _fail(_("Redis unreachable: %(error)s", error=exc))
    rows = [{k: v for k, v in h.items() if k != "token"} for h in holders]
    if as_json:
        click.echo(json.dumps({"locks": rows, "cleared": cleared}))
        return
    if rows:
        for r in rows:
            r["since"] = when(r["since"])
            r["ttl_s"] = within(r["ttl_s"]) if r["ttl_s"] >= 0 else "-"
        table(
            rows,
            {
                "olt_id": _("OLT"),
                "execution_id": _("execution"),
                "worker": _("worker"),
                "since": _("since"),
                "ttl_s": _("expires"),
            },
        )
    else:
        click.echo(_("no OLT is locked"))
    if clear_stale:
        click.echo(ngettext("cleared %(num)d stale lock", "cleared %(num)d stale locks", cleared))


@click.command("scheduler")
@click.option("--every", default=10, show_default=True, help="Seconds between ticks.")
def scheduler_command(every: int) -> None:
    """Run the periodic tick (rq-scheduler) that dispatches due jobs."""
    import logging

    from flask import current_app

    from jobs.scheduler import run_scheduler

    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )
    run_scheduler(current_app.config["REDIS_URL"], every)


@click.command("devstack")
def devstack_command() -> None:
    """Run everything with embedded defaults (what `make run` does)."""
    from webapp.devstack import main

    sys.exit(main())


def commands() -> list[click.Command]:
    """Every project command (groups included), for app.cli and for manage_cli.py."""
    from webapp.cli_jobs import jobs
    from webapp.cli_lab import demo_command, lab
    from webapp.cli_olts import olts, onus
    from webapp.cli_ops import COMMANDS
    from webapp.cli_secrets import secrets_group
    from webapp.cli_tokens import tokens

    daemons = (worker_command, scheduler_command, devstack_command)  # logs stay English
    every = [
        users,
        lab,
        demo_command,
        olts,
        onus,
        jobs,
        secrets_group,
        tokens,
        *COMMANDS,
        run_command,
        seed_command,
        worker_command,
        scheduler_command,
        locks_command,
        devstack_command,
    ]
    return [c if c in daemons else speaks_cli_language(c) for c in every]


def register(app: Flask) -> None:
    """Add the project's commands to app.cli."""
    for command in commands():
        app.cli.add_command(command)
    app.cli.add_command(run_command, name="run-jobs")  # `flask run` is the dev server
