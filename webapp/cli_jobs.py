"""`manage_cli.py jobs …`: list and add SNMP jobs from scripts (the admin form's rules).

Exit codes as for `olts`: 0 done, 1 refused (the reason on stderr), 2 the database is
unreachable. Running jobs is `manage_cli.py run JOB_ID…` (and `olts poll NAME`).
"""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import or_, select

from jobs.definitions import JobDefinitionError, check_job, first_run
from jobs.schedule import describe
from jobs.types import NAMES as JOB_TYPES
from webapp.admin.schedule_text import schedule_words
from webapp.cli_i18n import table
from webapp.cli_olts import _fail, _olt
from webapp.cli_ops import _reading, unreachable_is_one_line
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
@unreachable_is_one_line
@_reading
def jobs_list(as_json: bool) -> None:
    """Every job: type, OID, schedule, OLTs."""
    found = db.session.scalars(select(SnmpJob).order_by(SnmpJob.name)).all()
    rows = [job_info(j) for j in found]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        click.echo(_("no jobs: add one with `manage_cli.py jobs add NAME --olt OLT`"))
        return
    for row, job in zip(rows, found, strict=True):
        row["olts"] = ", ".join(row["olts"]) or "-"
        row["oid"] = row["oid_name"] or "-"
        row["schedule"] = schedule_words(job.interval, job.cron)  # --json keeps describe()'s
    table(
        rows,
        {
            "id": _("id"),
            "name": _("name"),
            "type": _("type"),
            "brand": _("brand"),
            "oid": _("OID"),
            "schedule": _("schedule"),
            "enabled": _("enabled"),
            "olts": _("OLTs"),
        },
    )


def _brand(name: str) -> Brand:
    brand = db.session.scalar(select(Brand).where(Brand.name == name))
    if brand is None:
        known = ", ".join(db.session.scalars(select(Brand.name).order_by(Brand.name)))
        _fail(_("no brand named %(name)r; known: %(known)s", name=name, known=known))
    return brand


def _oid(text: str, brand_ids: set[int]) -> Oid:
    """An OID row by its dotted OID, its name or its MIB object name, among the brands in play."""
    dotted = text.strip().lstrip(".")
    query = select(Oid).where(or_(Oid.oid == dotted, Oid.name == text, Oid.mib_name == text))
    if brand_ids:
        query = query.where(Oid.brand_id.in_(brand_ids))
    found = db.session.scalars(query.order_by(Oid.id)).all()
    if not found and brand_ids:
        _fail(_("no OID %(oid)r of this brand (see the admin's OIDs, or give --brand)", oid=text))
    if not found:
        _fail(_("no OID %(oid)r (see the admin's OIDs, or give --brand)", oid=text))
    if len(found) > 1:
        # names, OIDs and brands as they are stored
        names = "; ".join(f"{o.name} ({o.oid}, {o.brand.name if o.brand else '-'})" for o in found)
        _fail(
            _(
                "OID %(oid)r is ambiguous: %(names)s; give --brand or the dotted OID",
                oid=text,
                names=names,
            )
        )
    return found[0]


def _options(pairs: tuple[str, ...]) -> dict:
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            _fail(_("--option %(pair)r: write it as KEY=VALUE", pair=pair))
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
@unreachable_is_one_line
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
        _fail(_("a job named %(name)r exists", name=name))
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
            _(
                "added job %(name)s (id %(id)s, %(type)s, %(schedule)s) on %(olts)s",
                name=job.name,
                id=job.id,
                type=job.job_type,
                schedule=schedule_words(job.interval, job.cron),
                olts=", ".join(info["olts"]) or _("no OLTs yet"),
            )
        )
