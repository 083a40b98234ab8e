"""What makes a job definition valid, for every way of writing one (admin form, CLI, API).

``check_job`` normalises and checks a job before it is saved and raises JobDefinitionError
with a sentence for people; the caller turns it into a form error, a CLI message or a
problem+json. Nothing here talks to Redis or an OLT.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from jobs.types import get_type
from webapp.models import SnmpJob
from webapp.models.base import utcnow
from webapp.validators import interval_seconds, validate_cron


class JobDefinitionError(ValueError):
    """A job that cannot be saved as written."""


NAME_MAX = SnmpJob.__table__.c["name"].type.length
OPTION_CHECKS = {
    "method": lambda v: v in ("walk", "get"),
    "max_repetitions": lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 500,
}


def check_job(job: SnmpJob) -> None:
    """Normalise (blank schedule fields become None, cron is tidied) and check ``job``."""
    job.interval = (job.interval or "").strip() or None
    job.cron = (job.cron or "").strip() or None
    job.name = (job.name or "").strip()
    if not job.name or len(job.name) > NAME_MAX:
        raise JobDefinitionError(_("A job's name is 1 to %(n)d characters.", n=NAME_MAX))
    if job.interval and job.cron:
        raise JobDefinitionError(
            _("Give one of interval (30s, 5m, 1h, 1d) or cron, or neither to run it by hand.")
        )
    try:
        job_type = get_type(job.job_type)
    except KeyError as exc:
        raise JobDefinitionError(exc.args[0]) from None
    problem = job_type.check(job.oid)
    if problem:
        raise JobDefinitionError(problem)
    try:
        if job.interval:
            interval_seconds(job.interval)
        elif job.cron:
            job.cron = validate_cron(job.cron)
    except ValueError as exc:
        raise JobDefinitionError(str(exc)) from exc
    _check_brand(job)
    job.options = check_options(job.options)
    olts = [h.olt_id or (h.olt and h.olt.id) for h in job.hosts]
    if len(olts) != len(set(olts)):
        raise JobDefinitionError(_("An OLT is listed twice in this job."))


def first_run(job: SnmpJob) -> None:
    """A new, enabled, scheduled job runs at the next tick."""
    if job.enabled and job.next_run_at is None and (job.interval or job.cron):
        job.next_run_at = utcnow()


def _check_brand(job: SnmpJob) -> None:
    if job.brand is None:
        return
    if job.oid is not None and job.oid.brand_id not in (None, job.brand.id):
        raise JobDefinitionError(_("The OID belongs to another brand."))
    wrong = [h.olt.name for h in job.hosts if h.olt is not None and h.olt.brand_id != job.brand.id]
    if wrong:
        raise JobDefinitionError(
            _("These OLTs are of another brand: %(names)s", names=", ".join(wrong))
        )


def check_options(options: Any) -> dict:
    """Job options: {"method": "walk" | "get"} for get jobs, {"max_repetitions": 1-500}."""
    options = options if options is not None else {}
    if not isinstance(options, dict):
        raise JobDefinitionError(_('Options must be a JSON object, such as {"method": "get"}.'))
    for key, value in options.items():
        check = OPTION_CHECKS.get(key)
        if check is None or not check(value):
            raise JobDefinitionError(_("Invalid option %(key)s = %(value)s", key=key, value=value))
    return options
