"""Admin view for SNMP jobs, with the bulk action "Run selected jobs now"."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import inspect
from wtforms import SelectField
from wtforms.validators import NumberRange, ValidationError

from jobs.control import interrupt_pending, reschedule_from_now, set_jobs_enabled
from jobs.definitions import JobDefinitionError, check_job, first_run
from jobs.dispatch import plan_run, run_jobs_now
from jobs.messages import Message
from webapp.admin.base import StaffModelView, choices, local_time
from webapp.admin.guards import parse_ids
from webapp.admin.messages import flash_report, grouped_skips
from webapp.admin.schedule_text import schedule_words, time_until
from webapp.auth import safe_next
from webapp.models import JobHost
from webapp.models.base import utcnow
from webapp.models.jobs import JOB_TYPES
from webapp.validators import interval_seconds, validate_cron


def _interval_field(form, field):
    """An interval's error at its field, with its units and examples."""
    value = (field.data or "").strip()
    if not value:
        return
    try:
        interval_seconds(value)
    except ValueError:
        raise ValidationError(
            _("Not an interval: a number and a unit, s, m, h or d (30s, 5m, 1h, 1d).")
        ) from None


def _cron_field(form, field):
    """A cron expression's error at its field, with examples; and only one schedule."""
    value = (field.data or "").strip()
    if value and (form.interval.data or "").strip():
        raise ValidationError(
            _("Give an interval or a cron expression, not both (neither: run it by hand only).")
        )
    if not value:
        return
    try:
        validate_cron(value)
    except ValueError:
        raise ValidationError(
            _(
                "Not a cron expression: five fields, minute hour day month weekday, such as "
                "*/15 * * * * (every 15 minutes) or 0 3 * * * (every day at 03:00)."
            )
        ) from None


class SnmpJobView(StaffModelView):
    """SNMP jobs: what to collect, from which OLTs, on what schedule."""

    column_list = (
        "name",
        "brand",
        "job_type",
        "oid",
        "schedule",
        "enabled",
        "hosts",
        "last_run_at",
        "next_run_at",
    )
    column_searchable_list = ("name", "description")
    column_filters = ("brand.name", "job_type", "enabled")
    column_formatters = {
        "hosts": lambda v, c, m, n: len(m.hosts),
        "schedule": lambda v, c, m, n: schedule_words(m.interval, m.cron),
        "next_run_at": lambda v, c, m, n: _next(m),
    }
    column_labels = {"hosts": _l("OLTs"), "schedule": _l("Schedule"), "next_run_at": _l("Next run")}
    form_columns = (
        "name",
        "description",
        "brand",
        "job_type",
        "oid",
        "interval",
        "cron",
        "enabled",
        "max_retries",
        "retry_delay",
        "options",
        "hosts",
    )
    form_overrides = {"job_type": SelectField}
    form_args = {
        "job_type": {"choices": choices(*JOB_TYPES)},
        "interval": {
            "validators": [_interval_field],
            "description": _l("How often: 30s, 5m, 1h or 1d. Empty: use cron, or run by hand."),
        },
        "cron": {
            "validators": [_cron_field],
            "description": _l(
                "Instead of an interval: minute hour day month weekday, e.g. */15 * * * * "
                "(every 15 minutes) or 0 3 * * * (every day at 03:00)."
            ),
        },
        "max_retries": {
            "validators": [NumberRange(0, 10, message=_l("From 0 to 10 retries."))],
            "description": _l("Runs again after a failure, up to this many times (0 to 10)."),
        },
        "retry_delay": {
            "validators": [NumberRange(1, 86400, message=_l("From 1 to 86400 seconds."))],
            "description": _l("Seconds to wait before a retry, 1 to 86400 (e.g. 30)."),
        },
    }
    inline_models = [
        (JobHost, {"form_columns": ("id", "olt", "enabled"), "form_label": _l("OLTs of this job")})
    ]

    def on_model_change(self, form, model, is_created):
        try:
            check_job(model)
        except JobDefinitionError as exc:
            raise ValidationError(str(exc)) from exc
        if is_created:
            first_run(model)
            return
        state = inspect(model).attrs
        if state.enabled.history.has_changes() and not model.enabled:
            interrupt_pending(Message("job_disabled", job=model.name), job_ids=[model.id])
        elif model.enabled and any(
            getattr(state, f).history.has_changes() for f in ("enabled", "interval", "cron")
        ):
            reschedule_from_now(model)  # re-enabled or new schedule: from now, no catch-up

    @action("enable", _l("Enable selected jobs"))
    def action_enable(self, ids):
        changed, _interrupted = set_jobs_enabled(parse_ids(ids), True)
        flash(
            ngettext(
                "%(num)d job enabled; it runs on its schedule from now",
                "%(num)d jobs enabled; they run on their schedule from now",
                changed,
            ),
            "success",
        )

    @action("disable", _l("Disable selected jobs"))
    def action_disable(self, ids):
        changed, interrupted = set_jobs_enabled(parse_ids(ids), False)
        flash(
            _(
                "%(changed)s; %(interrupted)s",
                changed=ngettext("%(num)d job disabled", "%(num)d jobs disabled", changed),
                interrupted=ngettext(
                    "%(num)d pending execution interrupted",
                    "%(num)d pending executions interrupted",
                    interrupted,
                ),
            ),
            "success",
        )

    @action("run_now", _l("Run selected jobs now"))
    def action_run_now(self, ids):
        """Show what would run and what would be skipped, and ask for confirmation."""
        plans = plan_run(parse_ids(ids))
        return self.render(
            "admin/run_confirm.html",
            plans=plans,
            grouped_skips=grouped_skips,
            total=sum(p.count for p in plans),
            return_url=safe_next(request.form.get("url"), url_for(".index_view")),
        )

    @expose("/run-now/", methods=["POST"])
    def run_now(self):
        """Create and enqueue the executions (after confirmation), then say what happened."""
        if not self.is_accessible():
            return self.inaccessible_callback("run_now")
        ids = parse_ids(request.form.getlist("rowid"))
        if ids is None:
            flash(_("That selection is not valid: tick rows in the list and try again."), "error")
            return redirect(url_for(".index_view"))
        report = run_jobs_now(ids, user=current_user)
        flash_report(report)
        return redirect(
            url_for("execution.index_view") if report.created else url_for(".index_view")
        )


def _next(job) -> str:
    """Next run in local time with the time until it; nothing for a disabled job."""
    if not job.enabled:
        return _("disabled")
    if not job.interval and not job.cron:
        return _("manual only")
    if job.next_run_at is None:
        return _("at the next tick")
    return f"{local_time(job.next_run_at)} ({time_until(job.next_run_at, utcnow())})"
