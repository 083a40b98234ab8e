"""The words a person reads about a run: flash messages and skip reasons, translated."""

from __future__ import annotations

from flask import current_app, flash
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from jobs import dispatch
from jobs.dispatch import RunReport, Skip
from jobs.messages import render_message


def reason_text(reason: str) -> str:
    """A skip reason in the user's language."""
    texts = {
        dispatch.JOB_DISABLED: _("job disabled"),
        dispatch.NO_HOSTS: _("no enabled OLTs"),
        dispatch.HOST_DISABLED: _("OLT disabled for this job"),
        dispatch.OLT_DISABLED: _("OLT disabled"),
        dispatch.ALREADY_PENDING: _("an execution is already pending"),
        dispatch.ALREADY_RUNNING: _("an execution is already running"),
        dispatch.NOT_FOUND: _("job not found"),
    }
    return texts.get(reason, reason)


def skip_text(skip: Skip) -> str:
    """Say in the user's language why something is skipped."""
    text = reason_text(skip.reason)
    return f"{skip.olt_name}: {text}" if skip.olt_name else text


def grouped_skips(skips: list[Skip]) -> list[tuple[str, list[str]]]:
    """One job's skips as (reason in words, the OLTs it names) pairs, in first-seen order."""
    groups: dict[str, list[str]] = {}
    for skip in skips:
        names = groups.setdefault(skip.reason, [])
        if skip.olt_name:
            names.append(skip.olt_name)
    return [(reason_text(reason), names) for reason, names in groups.items()]


def skips_by_reason(report: RunReport) -> Markup:
    """The skips grouped by reason, each with its count and its OLTs (or jobs) folded under it."""
    groups: dict[str, list[str]] = {}
    for job, skip in report.skips:
        groups.setdefault(skip.reason, []).append(
            f"{job} @ {skip.olt_name}" if skip.olt_name else job
        )
    parts = []
    for reason, names in groups.items():
        on_olts = any(" @ " in n for n in names)
        count = (
            ngettext("%(num)d OLT", "%(num)d OLTs", len(names))
            if on_olts
            else ngettext("%(num)d job", "%(num)d jobs", len(names))
        )
        parts.append(
            Markup(
                '<details class="skip-group"><summary>{}: <strong>{}</strong></summary>'
                '<div class="small">{}</div></details>'
            ).format(reason_text(reason), count, ", ".join(names))
        )
    return Markup("").join(parts)


def flash_report(report: RunReport) -> None:
    """Flash exactly what run_jobs_now did and what it skipped and why."""
    if report.queue_error:
        flash(
            ngettext(
                "The queue is unavailable: %(num)d execution was marked FAILED (%(error)s)",
                "The queue is unavailable: %(num)d executions were marked FAILED (%(error)s)",
                report.created,
                error=render_message(report.queue_error),
            ),
            "error",
        )
    elif report.created:
        flash(
            _(
                "%(jobs)s: %(executions)s",
                jobs=ngettext("Ran %(num)d job", "Ran %(num)d jobs", report.jobs_run),
                executions=ngettext(
                    "%(num)d execution created and enqueued",
                    "%(num)d executions created and enqueued",
                    report.created,
                ),
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
    if report.skips:  # one message: Flask-Admin shows each flash in its own box
        if report.created:
            head = _("Skipped, by reason:")
        else:
            head = _("No executions were created, by reason:")
        flash(Markup("{}{}").format(head, skips_by_reason(report)), "warning")
    elif not report.created:
        flash(_("No executions were created."), "warning")
