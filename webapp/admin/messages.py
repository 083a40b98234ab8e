"""The words a person reads about a run: flash messages and skip reasons, translated."""

from __future__ import annotations

from flask import current_app, flash
from flask_babel import gettext as _
from flask_babel import ngettext

from jobs import dispatch
from jobs.dispatch import RunReport, Skip


def skip_text(skip: Skip) -> str:
    """Say in the user's language why something is skipped."""
    texts = {
        dispatch.JOB_DISABLED: _("job disabled"),
        dispatch.NO_HOSTS: _("no enabled OLTs"),
        dispatch.HOST_DISABLED: _("OLT disabled for this job"),
        dispatch.OLT_DISABLED: _("OLT disabled"),
        dispatch.ALREADY_PENDING: _("an execution is already pending"),
        dispatch.ALREADY_RUNNING: _("an execution is already running"),
        dispatch.NOT_FOUND: _("job not found"),
    }
    text = texts.get(skip.reason, skip.reason)
    return f"{skip.olt_name}: {text}" if skip.olt_name else text


def _reasons(report: RunReport) -> str:
    return "; ".join(f"{job}: {skip_text(s)}" for job, s in report.skips)


def flash_report(report: RunReport) -> None:
    """Flash exactly what run_jobs_now did and what it skipped and why."""
    if report.queue_error:
        flash(
            ngettext(
                "The queue is unavailable: %(num)d execution was marked FAILED (%(error)s)",
                "The queue is unavailable: %(num)d executions were marked FAILED (%(error)s)",
                report.created,
                error=report.queue_error,
            ),
            "error",
        )
    elif report.created:
        flash(
            _(
                "Ran %(jobs)d jobs: %(count)d executions created and enqueued",
                jobs=report.jobs_run,
                count=report.created,
            ),
            "success",
        )
        flash(
            _(
                "Executions will appear in Executions and be processed on the %(queue)s queue",
                queue=current_app.config["QUEUE_NAME"],
            ),
            "info",
        )
    if not report.created:
        flash(
            _("No executions were created: %(reasons)s", reasons=_reasons(report) or "-"), "warning"
        )
    elif report.skips:
        flash(_("Skipped: %(reasons)s", reasons=_reasons(report)), "warning")
