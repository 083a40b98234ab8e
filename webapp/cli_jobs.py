"""`manage_cli.py jobs …`: list and add SNMP jobs from scripts (the admin form's rules).

Exit codes as for `olts`: 0 done, 1 refused (the reason on stderr), 2 the database is
unreachable. Running jobs is `manage_cli.py run JOB_ID…` (and `olts poll NAME`).
"""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup
from sqlalchemy import or_, select

from jobs.definitions import JobDefinitionError, check_job, first_run
from jobs.schedule import describe
from jobs.types import NAMES as JOB_TYPES
from webapp.cli_olts import _fail, _olt
from webapp.cli_ops import _reading, _reasons, _table
from webapp.extensions import db
from webapp.models import Brand, JobHost, Oid, SnmpJob

jobs = AppGroup("jobs", help="List and add SNMP jobs.")


def job_info(job: SnmpJob) -> dict:
    """A job as the CLI (and scripts) see it."""
    return {
        "id": job.id,
        "name": job.name,
        "type": job.job_type,
        "brand": job.brand.name if job.brand else None,
        "oid": job.oid.oid if job.oid else None,
        "oid_name": job.oid.name if job.oid else None,
        "interval": job.interval,
        "cron": job.cron,
        "schedule": describe(job.interval, job.cron),
        "enabled": job.enabled,
        "olts": [h.olt.name for h in job.hosts if h.olt is not None],
        "options": job.options or {},
        "next_run_at": job.next_run_at.isoformat() if job.next_run_at else None,
        "last_run_at": job.last_run_at.isoformat() if job.last_run_at else None,
    }


@jobs.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@_reasons
@_reading
def jobs_list(as_json: bool) -> None:
    """Every job: type, OID, schedule, OLTs."""
    rows = [job_info(j) for j in db.session.scalars(select(SnmpJob).order_by(SnmpJob.name))]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        click.echo("no jobs: add one with `manage_cli.py jobs add NAME --olt OLT`")
        return
    for row in rows:
        row["olts"] = ", ".join(row["olts"]) or "-"
        row["oid"] = row["oid_name"] or "-"
    _table(rows, ["id", "name", "type", "brand", "oid", "schedule", "enabled", "olts"])


def _brand(name: str) -> Brand:
    brand = db.session.scalar(select(Brand).where(Brand.name == name))
    if brand is None:
        known = ", ".join(db.session.scalars(select(Brand.name).order_by(Brand.name)))
        _fail(f"no brand named {name!r}; known: {known}")
    return brand


def _oid(text: str, brand_ids: set[int]) -> Oid:
    """An OID row by its dotted OID, its name or its MIB object name, among the brands in play."""
    dotted = text.strip().lstrip(".")
    query = select(Oid).where(or_(Oid.oid == dotted, Oid.name == text, Oid.mib_name == text))
    if brand_ids:
        query = query.where(Oid.brand_id.in_(brand_ids))
    found = db.session.scalars(query.order_by(Oid.id)).all()
    if not found:
        where = " of this brand" if brand_ids else ""
        _fail(f"no OID {text!r}{where} (see the admin's OIDs, or give --brand)")
    if len(found) > 1:
        names = "; ".join(f"{o.name} ({o.oid}, {o.brand.name if o.brand else '-'})" for o in found)
        _fail(f"OID {text!r} is ambiguous: {names}; give --brand or the dotted OID")
    return found[0]


def _options(pairs: tuple[str, ...]) -> dict:
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            _fail(f"--option {pair!r}: write it as KEY=VALUE")
        try:
            options[key] = json.loads(value)
        except ValueError:
            options[key] = value
    return options


@jobs.command("add")
@click.argument("name")
@click.option(
    "--type",
    "job_type",
    default="poll",
    show_default=True,
    type=click.Choice(JOB_TYPES),
    help="poll: every attribute the OLT supports; discovery/get: one OID.",
)
@click.option("--olt", "olt_names", multiple=True, help="An OLT it runs on (repeatable).")
@click.option(
    "--oid", "oid_text", help="A discovery/get job's OID: dotted, its name or its MIB object name."
)
@click.option("--brand", "brand_name", help="Restrict the job (and the OID lookup) to a brand.")
@click.option("--interval", help="Every 30s, 5m, 1h, 1d… (neither this nor --cron: manual only).")
@click.option("--cron", help='A cron expression, such as "*/15 * * * *".')
@click.option("--disabled", is_flag=True, help="Create it disabled.")
@click.option("--description", default="")
@click.option("--max-retries", default=2, show_default=True, type=click.IntRange(0, 10))
@click.option("--retry-delay", default=30, show_default=True, type=click.IntRange(1, 86400))
@click.option("--option", "option_pairs", multiple=True, help="KEY=VALUE, such as method=get.")
@click.option("--json", "as_json", is_flag=True, help="Print the job as JSON.")
@_reasons
def jobs_add(
    name,
    job_type,
    olt_names,
    oid_text,
    brand_name,
    interval,
    cron,
    disabled,
    description,
    max_retries,
    retry_delay,
    option_pairs,
    as_json,
):
    """Add a job (checked as the admin form checks it); it runs at the next tick if scheduled."""
    if db.session.scalar(select(SnmpJob.id).where(SnmpJob.name == name)) is not None:
        _fail(f"a job named {name!r} exists")
    olts = [_olt(n) for n in olt_names]
    brand = _brand(brand_name) if brand_name else None
    oid = None
    if oid_text:
        brand_ids = {brand.id} if brand else {o.brand_id for o in olts if o.brand_id}
        oid = _oid(oid_text, brand_ids)
    job = SnmpJob(
        name=name,
        description=description,
        brand=brand,
        job_type=job_type,
        oid=oid,
        interval=interval,
        cron=cron,
        enabled=not disabled,
        max_retries=max_retries,
        retry_delay=retry_delay,
        options=_options(option_pairs),
        hosts=[JobHost(olt=o) for o in olts],
    )
    try:
        check_job(job)
    except JobDefinitionError as exc:
        _fail(str(exc))
    first_run(job)
    db.session.add(job)
    db.session.commit()
    if as_json:
        click.echo(json.dumps(job_info(job), ensure_ascii=False))
    else:
        info = job_info(job)
        click.echo(
            f"added job {job.name} (id {job.id}, {job.job_type}, {info['schedule']}) "
            f"on {', '.join(info['olts']) or 'no OLTs yet'}"
        )
