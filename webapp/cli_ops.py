"""Operator views: status, recent, tasks, workers, restart (tables, or --json for scripts)."""

from __future__ import annotations

import functools
import json
import sys

import click
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from jobs import ops
from jobs.messages import execution_error
from webapp.admin.base import local_time
from webapp.cli_i18n import (
    ago,
    fail_line,
    seconds_figure,
    span,
    table,
    unreachable_is_one_line,
    when,
)
from webapp.extensions import db, read_only
from webapp.models import Execution, Olt


def _reading(fn):
    """A command that only reads: its transactions take no SQLite write lock."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with read_only():
            return fn(*args, **kwargs)

    return wrapper


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@unreachable_is_one_line
@_reading
def status_command(as_json: bool) -> None:
    """Redis, queues, workers, scheduler, locks, jobs and the last 24 h of executions."""
    s = ops.status()
    if as_json:
        click.echo(json.dumps(s))
        return
    redis = s["redis"]
    click.echo(
        _(
            "Redis %(version)s (%(memory)s used)",
            version=redis["version"],
            memory=redis["used_memory"],
        )
    )
    for name, q in s["queues"].items():
        click.echo(
            _(
                "queue %(name)s: %(queued)s, %(running)s, %(scheduled)s, %(failed)s",
                name=name,
                queued=ngettext("%(num)d queued", "%(num)d queued", q["queued"]),
                running=ngettext("%(num)d running", "%(num)d running", q["running"]),
                scheduled=ngettext("%(num)d scheduled", "%(num)d scheduled", q["scheduled"]),
                failed=ngettext("%(num)d failed", "%(num)d failed", q["failed"]),
            )
        )
    w = s["workers"]
    click.echo(
        _(
            "workers: %(count)s (%(busy)s, %(idle)s)",
            count=w["count"],
            busy=ngettext("%(num)d busy", "%(num)d busy", w["busy"]),
            idle=ngettext("%(num)d idle", "%(num)d idle", w["idle"]),
        )
    )
    tick = s["scheduler"]
    click.echo(
        _("scheduler: never ticked")
        if tick["last_tick"] is None
        else _("scheduler: last tick %(ago)s", ago=ago(tick["age_s"]))
    )
    click.echo(_("locks held: %(num)s", num=s["locks"]))
    jobs = s["jobs"]
    click.echo(
        _(
            "jobs: %(total)s (%(enabled)s)",
            total=jobs["total"],
            enabled=ngettext("%(num)d enabled", "%(num)d enabled", jobs["enabled"]),
        )
    )
    # the statuses are the executions' own values (PENDING, SUCCESS…), as in --json
    by = ", ".join(f"{k} {v}" for k, v in sorted(s["executions_24h"].items())) or _("none")
    click.echo(_("executions, last 24 h: %(counts)s", counts=by))
    if s["oldest_pending_age_s"] is not None:
        age = span(s["oldest_pending_age_s"])
        click.echo(_("oldest PENDING execution: %(age)s old", age=age))


@click.command("recent")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option(
    "--status",
    "status_",
    type=click.Choice(
        ["PENDING", "RUNNING", "SUCCESS", "FAILED", "INTERRUPTED"], case_sensitive=False
    ),
)
@click.option("--olt", help="OLT name.")
@click.option("--job", "job_id", type=int, help="Job id.")
@click.option("--json", "as_json", is_flag=True)
@unreachable_is_one_line
@_reading
def recent_command(limit, status_, olt, job_id, as_json) -> None:
    """The latest executions: job, OLT, status, who ran it, start, duration, error."""
    query = select(Execution).order_by(Execution.id.desc()).limit(limit)
    if status_:
        query = query.where(Execution.status == status_.upper())
    if olt:
        if db.session.scalar(select(Olt.id).where(Olt.name == olt)) is None:
            click.echo(fail_line(_("no OLT named %(name)r", name=olt)), err=True)
            sys.exit(1)
        query = query.where(Execution.olt_name == olt)
    if job_id is not None:
        query = query.where(Execution.job_id == job_id)
    executions = db.session.scalars(query).all()
    starts = [e.started_at for e in executions]
    rows = [
        {
            "id": e.id,
            "job": e.job_name,
            "olt": e.olt_name,
            "status": e.status,
            "by": e.requested_by_name or e.trigger,
            "attempt": e.attempt,
            "started": local_time(e.started_at) if e.started_at else None,
            "duration_s": round(e.duration_ms / 1000, 1) if e.duration_ms is not None else None,
            "error": (e.error or "")[:80] or None,
        }
        for e in executions
    ]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row, started, e in zip(rows, starts, executions, strict=True):
        row["started"] = when(started)
        row["error"] = execution_error(e)[:80] or None  # in the reader's language
        if row["duration_s"] is not None:
            row["duration_s"] = seconds_figure(row["duration_s"])
    table(
        rows,
        {
            "id": _("id"),
            "job": _("job"),
            "olt": _("OLT"),
            "status": _("status"),
            "by": _("by"),
            "attempt": _("attempt"),
            "started": _("started"),
            "duration_s": _("duration"),
            "error": _("error"),
        },
    )


@click.command("tasks")
@click.option("--json", "as_json", is_flag=True)
@unreachable_is_one_line
@_reading
def tasks_command(as_json: bool) -> None:
    """Queued, running, scheduled and failed RQ jobs, with their execution ids."""
    from flask import current_app
    from rq import Queue
    from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

    redis = ops.get_redis(current_app.config["REDIS_URL"])
    rows = []
    for name in ops.queue_names():
        q = Queue(name, connection=redis)
        for state, ids in (
            ("queued", q.job_ids),
            ("running", StartedJobRegistry(queue=q).get_job_ids()),
            ("scheduled", ScheduledJobRegistry(queue=q).get_job_ids()),
            ("failed", FailedJobRegistry(queue=q).get_job_ids()),
        ):
            rows += [
                {"queue": name, "state": state, "rq_job": i, "execution": ops.execution_of(i)}
                for i in ids
            ]
    if as_json:
        click.echo(json.dumps(rows))
    elif rows:
        # the states are RQ's registries (queued, running, scheduled, failed), as in --json
        table(
            rows,
            {
                "queue": _("queue"),
                "state": _("state"),
                "rq_job": _("RQ job"),
                "execution": _("execution"),
            },
        )
    else:
        click.echo(_("no RQ jobs"))


@click.command("workers")
@click.option("--json", "as_json", is_flag=True)
@unreachable_is_one_line
@_reading
def workers_command(as_json: bool) -> None:
    """Each RQ worker: host, pid, state, current execution, successes, failures."""
    rows = ops.workers_status()
    if as_json:
        click.echo(json.dumps(rows))
    elif rows:
        table(
            rows,
            {
                "name": _("name"),
                "host": _("host"),
                "pid": _("pid"),
                "state": _("state"),
                "execution": _("execution"),
                "successes": _("successes"),
                "failures": _("failures"),
            },
        )
    else:
        click.echo(_("no workers are running"))


@click.command("restart")
@unreachable_is_one_line
def restart_command() -> None:
    """Warm-restart the workers: each finishes its execution, then a fresh one starts."""
    n = ops.restart_workers()
    click.echo(
        ngettext(
            "asked %(num)d worker to restart after its current execution",
            "asked %(num)d workers to restart after their current execution",
            n,
        )
    )


COMMANDS = (status_command, recent_command, tasks_command, workers_command, restart_command)
