"""Operator views: status, recent, tasks, workers, restart (tables, or --json for scripts)."""

from __future__ import annotations

import functools
import json
import sys

import click
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from jobs import ops
from webapp.admin.base import local_time
from webapp.extensions import db, read_only
from webapp.models import Execution, Olt


def _reasons(fn):
    """Turn an unreachable Redis or database into one line and a non-zero exit."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except RedisError as exc:
            click.echo(f"error: Redis unreachable: {exc}", err=True)
        except SQLAlchemyError as exc:
            click.echo(f"error: database unreachable: {str(exc).splitlines()[0]}", err=True)
        sys.exit(2)

    return wrapper


def _reading(fn):
    """A command that only reads: its transactions take no SQLite write lock."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with read_only():
            return fn(*args, **kwargs)

    return wrapper


def _table(rows: list[dict], columns: list[str]) -> None:
    widths = {c: max([len(c)] + [len(str(r.get(c, ""))) for r in rows]) for c in columns}
    click.echo("  ".join(c.upper().ljust(widths[c]) for c in columns))
    for r in rows:
        click.echo(
            "  ".join(
                str(r.get(c, "") if r.get(c) is not None else "-").ljust(widths[c]) for c in columns
            )
        )


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@_reasons
@_reading
def status_command(as_json: bool) -> None:
    """Redis, queues, workers, scheduler, locks, jobs and the last 24 h of executions."""
    s = ops.status()
    if as_json:
        click.echo(json.dumps(s))
        return
    click.echo(f"Redis {s['redis']['version']} ({s['redis']['used_memory']} used)")
    for name, q in s["queues"].items():
        click.echo(
            f"queue {name}: {q['queued']} queued, {q['running']} running, "
            f"{q['scheduled']} scheduled, {q['failed']} failed"
        )
    w = s["workers"]
    click.echo(f"workers: {w['count']} ({w['busy']} busy, {w['idle']} idle)")
    tick = s["scheduler"]
    click.echo(
        "scheduler: never ticked"
        if tick["last_tick"] is None
        else f"scheduler: last tick {tick['age_s']} s ago"
    )
    click.echo(f"locks held: {s['locks']}")
    click.echo(f"jobs: {s['jobs']['total']} ({s['jobs']['enabled']} enabled)")
    by = ", ".join(f"{k} {v}" for k, v in sorted(s["executions_24h"].items())) or "none"
    click.echo(f"executions, last 24 h: {by}")
    if s["oldest_pending_age_s"] is not None:
        click.echo(f"oldest PENDING execution: {s['oldest_pending_age_s']} s old")


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
@_reasons
@_reading
def recent_command(limit, status_, olt, job_id, as_json) -> None:
    """The latest executions: job, OLT, status, who ran it, start, duration, error."""
    query = select(Execution).order_by(Execution.id.desc()).limit(limit)
    if status_:
        query = query.where(Execution.status == status_.upper())
    if olt:
        if db.session.scalar(select(Olt.id).where(Olt.name == olt)) is None:
            click.echo(f"error: no OLT named {olt!r}", err=True)
            sys.exit(1)
        query = query.where(Execution.olt_name == olt)
    if job_id is not None:
        query = query.where(Execution.job_id == job_id)
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
        for e in db.session.scalars(query)
    ]
    if as_json:
        click.echo(json.dumps(rows))
    else:
        _table(
            rows, ["id", "job", "olt", "status", "by", "attempt", "started", "duration_s", "error"]
        )


@click.command("tasks")
@click.option("--json", "as_json", is_flag=True)
@_reasons
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
        _table(rows, ["queue", "state", "rq_job", "execution"])
    else:
        click.echo("no RQ jobs")


@click.command("workers")
@click.option("--json", "as_json", is_flag=True)
@_reasons
@_reading
def workers_command(as_json: bool) -> None:
    """Each RQ worker: host, pid, state, current execution, successes, failures."""
    rows = ops.workers_status()
    if as_json:
        click.echo(json.dumps(rows))
    elif rows:
        _table(rows, ["name", "host", "pid", "state", "execution", "successes", "failures"])
    else:
        click.echo("no workers are running")


@click.command("restart")
@_reasons
def restart_command() -> None:
    """Warm-restart the workers: each finishes its execution, then a fresh one starts."""
    n = ops.restart_workers()
    click.echo(f"asked {n} workers to restart after their current execution")


COMMANDS = (status_command, recent_command, tasks_command, workers_command, restart_command)
