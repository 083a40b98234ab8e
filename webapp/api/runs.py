"""/api/v1/jobs and /api/v1/executions: list, read, run now, cancel, run again."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import selectinload

from jobs.dispatch import RunReport, run_jobs_now
from webapp.api.core import (
    ID,
    api_user,
    get_or_404,
    keyset_page,
    olt_named,
    problem,
    run_label,
    scope,
)
from webapp.api.schemas import (
    ExecutionDetailSchema,
    ExecutionListArgs,
    ExecutionPage,
    ExecutionSchema,
    JobListArgs,
    JobPage,
    JobSchema,
    RunOneSchema,
    RunReportSchema,
    RunSchema,
)
from webapp.extensions import db
from webapp.models import Execution, JobHost, Olt, SnmpJob
from webapp.models.executions import PENDING, TERMINAL

jobs_blp = Blueprint("Jobs", __name__, url_prefix="/api/v1/jobs", description="SNMP jobs")
executions_blp = Blueprint(
    "Executions", __name__, url_prefix="/api/v1/executions", description="Runs of jobs on OLTs"
)


def report_dict(report: RunReport) -> dict:
    return {
        "jobs_run": report.jobs_run,
        "created": report.created,
        "enqueued": report.enqueued,
        "execution_ids": list(report.execution_ids),
        "skipped": [{"job": j, "olt": s.olt_name, "reason": s.reason} for j, s in report.skips],
        "queue": current_app.config["QUEUE_NAME"],
        "queue_error": report.queue_error,
    }


def report_response(report: RunReport):
    """202 with the report when executions were queued; a problem+json that carries the
    report when none could be created (409) or the queue could not take them (503)."""
    data = report_dict(report)
    if report.queue_error:
        problem(503, f"The executions could not be queued: {report.queue_error}", report=data)
    if not report.created:
        reasons = sorted({s["reason"].replace("_", " ") for s in data["skipped"]})
        problem(
            409,
            "Nothing was run: " + ("; ".join(reasons) or "the jobs have no OLTs"),
            skipped=data["skipped"],
            report=data,
        )
    return data


def _run(job_ids: list[int], olt_ids: list[int] | None):
    found = set(db.session.scalars(select(SnmpJob.id).where(SnmpJob.id.in_(job_ids))))
    missing = sorted(set(job_ids) - found)
    if missing:
        problem(404, f"There is no SNMP job {', '.join(map(str, missing))}.")
    if olt_ids:
        olts = set(db.session.scalars(select(Olt.id).where(Olt.id.in_(olt_ids))))
        unknown = sorted(set(olt_ids) - olts)
        if unknown:
            problem(404, f"There is no OLT {', '.join(map(str, unknown))}.")
    report = run_jobs_now(
        sorted(found),
        user=api_user(),
        trigger="api",
        label=run_label(),
        olt_ids=set(olt_ids) if olt_ids else None,
    )
    return report_response(report)


@jobs_blp.route("", strict_slashes=False)
class Jobs(MethodView):
    @jobs_blp.arguments(JobListArgs, location="query")
    @jobs_blp.response(200, JobPage)
    def get(self, args):
        """List SNMP jobs"""
        query = select(SnmpJob).options(
            selectinload(SnmpJob.hosts).joinedload(JobHost.olt),
            selectinload(SnmpJob.brand),
            selectinload(SnmpJob.oid),
        )
        if args.get("q"):
            like = f"%{args['q']}%"
            query = query.where(or_(SnmpJob.name.ilike(like), SnmpJob.description.ilike(like)))
        if args.get("job_type"):
            query = query.where(SnmpJob.job_type == args["job_type"])
        if "enabled" in args:
            query = query.where(SnmpJob.enabled.is_(args["enabled"]))
        if args.get("olt_id"):
            query = query.where(
                exists().where(JobHost.job_id == SnmpJob.id, JobHost.olt_id == args["olt_id"])
            )
        if args.get("olt"):
            query = query.where(
                exists().where(
                    JobHost.job_id == SnmpJob.id, JobHost.olt_id == olt_named(args["olt"])
                )
            )
        return keyset_page(query, SnmpJob.id, args, JobSchema)


@jobs_blp.route("/run")
class RunJobs(MethodView):
    @jobs_blp.arguments(RunSchema)
    @jobs_blp.response(202, RunReportSchema)
    @scope("run")
    def post(self, data):
        """Run jobs now

        The same run-now as the admin's action: one PENDING execution per (job, OLT) that
        may run, recorded as requested by the token's user; the rest are skipped with the
        reason (job disabled, OLT disabled, already pending or running…)."""
        return _run(data["job_ids"], data.get("olt_ids"))


@jobs_blp.route(f"/<{ID}:job_id>")
class JobItem(MethodView):
    @jobs_blp.response(200, JobSchema)
    def get(self, job_id):
        """Read an SNMP job"""
        return get_or_404(SnmpJob, job_id, "SNMP job")


@jobs_blp.route(f"/<{ID}:job_id>/run")
class RunJob(MethodView):
    @jobs_blp.arguments(RunOneSchema(), required=False)
    @jobs_blp.response(202, RunReportSchema)
    @scope("run")
    def post(self, data, job_id):
        """Run one job now (on all its OLTs, or on those given)"""
        return _run([job_id], (data or {}).get("olt_ids"))


def get_execution(execution_id: int) -> Execution:
    return get_or_404(Execution, execution_id, "execution")


@executions_blp.route("", strict_slashes=False)
class Executions(MethodView):
    @executions_blp.arguments(ExecutionListArgs, location="query")
    @executions_blp.response(200, ExecutionPage)
    def get(self, args):
        """List executions, newest first"""
        query = select(Execution)
        for key in ("status", "trigger", "job_id", "olt_id", "job_name", "olt_name"):
            if args.get(key) is not None:
                query = query.where(getattr(Execution, key) == args[key])
        if args.get("since"):
            query = query.where(Execution.created_at >= args["since"])
        if args.get("until"):
            query = query.where(Execution.created_at < args["until"])
        return keyset_page(query, Execution.id, args, ExecutionSchema, newest_first=True)


@executions_blp.route(f"/<{ID}:execution_id>")
class ExecutionItem(MethodView):
    @executions_blp.response(200, ExecutionDetailSchema)
    def get(self, execution_id):
        """Read an execution, with its summary"""
        return get_execution(execution_id)


@executions_blp.route(f"/<{ID}:execution_id>/cancel")
class CancelExecution(MethodView):
    @executions_blp.response(200, ExecutionDetailSchema)
    @scope("run")
    def post(self, execution_id):
        """Cancel a PENDING execution"""
        from jobs.control import cancel_executions

        ex = get_execution(execution_id)
        if ex.status != PENDING or not cancel_executions([ex.id], api_user()):
            db.session.refresh(ex)
            problem(409, f"Execution {ex.id} is {ex.status}: only a PENDING one can be cancelled.")
        db.session.refresh(ex)
        return ex


@executions_blp.route(f"/<{ID}:execution_id>/rerun")
class RerunExecution(MethodView):
    @executions_blp.response(202, RunReportSchema)
    @scope("run")
    def post(self, execution_id):
        """Run an execution's job on its OLT again (a finished execution)"""
        ex = get_execution(execution_id)
        if ex.status not in TERMINAL:
            problem(409, f"Execution {ex.id} is {ex.status}: only a finished one can run again.")
        if ex.job_id is None or ex.olt_id is None:
            problem(409, f"Execution {ex.id}'s job or OLT no longer exists.")
        return _run([ex.job_id], [ex.olt_id])
