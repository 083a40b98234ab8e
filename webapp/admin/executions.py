"""Admin view for executions: read-only, newest first, filterable."""

from __future__ import annotations

from flask import current_app, flash, url_for
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select

from jobs.control import cancel_executions, rerun_executions
from jobs.messages import execution_error
from webapp.admin import summary
from webapp.admin.base import (
    EqualsFirstConverter,
    ReadOnlyModelView,
    badge,
    local_time,
    seconds,
)
from webapp.admin.counts import CheapCount
from webapp.admin.messages import flash_report
from webapp.extensions import db
from webapp.models import Execution, Onu
from webapp.models.base import utcnow
from webapp.models.executions import ACTIVE, STATUSES

STATUS_KINDS = {
    "PENDING": "secondary",
    "RUNNING": "primary",
    "SUCCESS": "success",
    "FAILED": "danger",
    "INTERRUPTED": "warning",
}


def _status(view, context, model, name):
    return badge(model.status, STATUS_KINDS.get(model.status, "light"))


def _duration(view, context, model, name):
    if model.duration_ms is not None:
        return seconds(model.duration_ms / 1000)
    if model.status == "RUNNING" and model.started_at:
        return _("%(s)d s so far", s=(utcnow() - model.started_at).total_seconds())
    return ""


def _who(view, context, model, name):
    if model.requested_by_name:
        return model.requested_by_name
    return _("scheduler") if model.trigger in ("schedule", "retry") else ""


def _summary(view, context, model, name):
    return summary.render(model.summary)


def _onus_found(view, context, model, name):
    n = summary.onus_found(model.summary)
    return "" if n is None else n


def _error(view, context, model, name):
    return execution_error(model)  # the stored code in the reader's language (a text: escaped)


def _job(view, context, model, name):
    if model.job_id is None:
        return model.job_name
    url = url_for("snmpjob.details_view", id=model.job_id)
    return Markup('<a href="{}">{}</a>').format(url, model.job_name)


def _olt(view, context, model, name):
    if model.olt_id is None:
        return model.olt_name
    url = url_for("olt.details_view", id=model.olt_id)
    return Markup('<a href="{}">{}</a>').format(url, model.olt_name)


def _retry_of(view, context, model, name):
    if model.retry_of_id is None:
        return ""
    url = url_for("execution.details_view", id=model.retry_of_id)
    return Markup('<a href="{}">#{}</a>').format(url, model.retry_of_id)


def _time(view, context, model, name):
    return local_time(getattr(model, name))


def _time_zoned(view, context, model, name):
    value = getattr(model, name)
    if value is None:
        return ""
    return Markup('{} <small class="text-muted">{}</small>').format(
        local_time(value), current_app.config["TIMEZONE"]
    )


def _story(ex: Execution) -> dict:
    """The attempts of this run and the ONUs it changed."""
    root = ex.retry_of_id or ex.id
    attempts = db.session.scalars(
        select(Execution)
        .where((Execution.id == root) | (Execution.retry_of_id == root))
        .order_by(Execution.attempt)
    ).all()
    changed = db.session.scalars(
        select(Onu).where(Onu.last_change_execution_id == ex.id).order_by(Onu.id).limit(200)
    ).all()
    total = db.session.scalar(
        select(func.count()).select_from(Onu).where(Onu.last_change_execution_id == ex.id)
    )
    return {"attempts": attempts, "changed": changed, "changed_total": total}


class ExecutionView(CheapCount, ReadOnlyModelView):
    """Every run: who or what started it, where it ran, how it ended."""

    filter_converter = EqualsFirstConverter()
    named_filter_urls = True  # ?flt0_status_equals=FAILED&flt1_olt_equals=…: the home's links

    column_list = (
        "id",
        "status",
        "job_name",
        "olt_name",
        "requested_by_name",
        "trigger",
        "attempt",
        "created_at",
        "started_at",
        "duration_ms",
        "onus_found",
        "worker_name",
        "error",
    )
    column_details_list = (
        "id",
        "status",
        "job_name",
        "olt_name",
        "job_type",
        "requested_by_name",
        "trigger",
        "attempt",
        "retry_of_id",
        "queue",
        "rq_job_id",
        "worker_name",
        "created_at",
        "started_at",
        "finished_at",
        "duration_ms",
        "summary",
        "error",
    )
    # Newest first by creation time, which the indexes of every filter carry (migration 0006).
    column_default_sort = [("created_at", True), ("id", True)]
    column_searchable_list = ("job_name", "olt_name", "rq_job_id", "error")
    column_filters = (
        FilterEqual(Execution.status, _l("Status"), options=[(s, s) for s in STATUSES]),
        "job_name",
        "olt_name",
        "requested_by_name",
        "trigger",
        "created_at",
        "attempt",
    )
    column_labels = {
        "id": _l("ID"),
        "status": _l("Status"),
        "job_name": _l("Job"),
        "olt_name": _l("OLT"),
        "job_type": _l("Job type"),
        "requested_by_name": _l("Requested by"),
        "trigger": _l("Trigger"),
        "attempt": _l("Attempt"),
        "retry_of_id": _l("Retry of"),
        "queue": _l("Queue"),
        "rq_job_id": _l("RQ job ID"),
        "worker_name": _l("Worker"),
        "created_at": _l("Created"),
        "started_at": _l("Started"),
        "finished_at": _l("Finished"),
        "duration_ms": _l("Duration"),
        "onus_found": _l("ONUs found"),
        "summary": _l("Summary"),
        "error": _l("Error"),
    }
    column_formatters = {
        "status": _status,
        "job_name": _job,
        "olt_name": _olt,
        "onus_found": _onus_found,
        "duration_ms": _duration,
        "requested_by_name": _who,
        "created_at": _time,
        "started_at": _time,
        "finished_at": _time,
        "error": _error,
    }
    column_formatters_detail = dict(
        column_formatters,
        summary=_summary,
        retry_of_id=_retry_of,
        created_at=_time_zoned,
        started_at=_time_zoned,
        finished_at=_time_zoned,
    )
    can_export = True
    list_template = "admin/execution_list.html"
    details_template = "admin/execution_details.html"

    def render(self, template, **kwargs):
        """Add the auto-refresh flag to the list and the whole story to the details page."""
        if template == self.list_template:
            kwargs["auto_refresh"] = (
                db.session.scalar(select(Execution.id).where(Execution.status.in_(ACTIVE)).limit(1))
                is not None
            )
        elif template == self.details_template and kwargs.get("model") is not None:
            kwargs.update(_story(kwargs["model"]))
        return super().render(template, **kwargs)

    @action("cancel", _l("Cancel selected pending executions"))
    def action_cancel(self, ids):
        n = cancel_executions([int(i) for i in ids], current_user)
        text = ngettext(
            "%(num)d pending execution cancelled", "%(num)d pending executions cancelled", n
        )
        flash(text, "success" if n else "warning")

    @action("rerun", _l("Run selected finished executions again"))
    def action_rerun(self, ids):
        report, pairs = rerun_executions([int(i) for i in ids], current_user)
        if report is None:
            flash(_("Nothing to run again: pick finished executions"), "warning")
            return
        flash_report(report)
