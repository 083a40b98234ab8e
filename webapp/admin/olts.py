"""Admin view for OLTs: write-only secrets, model "detect", Test and detect, the poll job."""

from __future__ import annotations

import json

from flask import flash, g, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.model.template import TemplateLinkRowAction
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup
from sqlalchemy import inspect, select
from wtforms import PasswordField, SelectField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from jobs.control import interrupt_pending, set_olts_enabled
from jobs.detection import detect_olts
from jobs.messages import Message
from jobs.olts import V3_MIN_KEY, check_v3, ensure_poll_job, poll_job_of
from webapp.admin import olt_overview, olt_page
from webapp.admin.base import (
    Select,
    StaffModelView,
    badge,
    choices,
    local_time,
    uptime_words,
)
from webapp.extensions import db
from webapp.models import Brand, Olt, OltModel
from webapp.models.inventory import SNMP_VERSIONS
from webapp.validators import Invalid, validate_host

DETECT = "detect"
# the form field of a setting an Invalid names
_FORM_FIELD = {
    "community": "new_community",
    "v3_auth_key": "new_v3_auth_key",
    "v3_priv_key": "new_v3_priv_key",
}
# RFC 3414: keys of fewer than 8 characters are refused (pysnmp would fail every poll); empty
# keeps the current key. wtforms' own message, never the value (a PasswordField never echoes it)
_V3_KEY = [Optional(strip_whitespace=False), Length(min=V3_MIN_KEY), Length(max=255)]
SECRETS = {
    "new_community": "community",
    "new_v3_auth_key": "v3_auth_key",
    "new_v3_priv_key": "v3_priv_key",
}


def _host_validator(form, field):
    try:
        field.data = validate_host(field.data)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def model_choices() -> list[tuple[str, str]]:
    """ "detect", then every brand (its default profile) and every model."""
    out = [(DETECT, _("Detect from the OLT (sysObjectID, sysDescr)"))]
    for brand in db.session.scalars(select(Brand).order_by(Brand.name)):
        out.append((f"brand:{brand.id}", _("%(brand)s (any model)", brand=brand.name)))
        models = db.session.scalars(
            select(OltModel).where(OltModel.brand_id == brand.id).order_by(OltModel.name)
        )
        out.extend((f"model:{m.id}", f"{brand.name} {m.name}") for m in models)
    return out


def _choice_of(olt: Olt) -> str:
    if olt.auto_detect and olt.brand_id is None:
        return DETECT
    if olt.model_id is not None:
        return f"model:{olt.model_id}"
    return f"brand:{olt.brand_id}" if olt.brand_id is not None else DETECT


def _apply_choice(olt: Olt, value: str) -> None:
    """Set brand, model and detect mode from the form's single "Model" choice."""
    if value == DETECT:
        olt.auto_detect, olt.brand, olt.model = True, None, None
        return
    kind, _sep, ident = (value or "").partition(":")
    if kind == "model":
        model = db.session.get(OltModel, int(ident))
        if model is None:
            raise ValidationError(_("That OLT model no longer exists."))
        olt.model, olt.brand = model, model.brand
    elif kind == "brand":
        brand = db.session.get(Brand, int(ident))
        if brand is None:
            raise ValidationError(_("That brand no longer exists."))
        olt.brand, olt.model = brand, None
    else:
        raise ValidationError(_("Choose a model, a brand or detect."))
    olt.auto_detect = False


def _brand_model(view, context, model, name):
    if model.brand is None:
        return badge(_("to be detected"), "info")
    text = f"{model.brand.name} {model.model.name}" if model.model else model.brand.name
    return f"{text} ({_('detect')})" if model.auto_detect else text


def _detection_cell(view, context, model, name):
    d = model.detection or {}
    if not d:
        return ""
    if not d.get("answered"):
        return badge(_("no answer"), "danger")
    if not d.get("known"):
        return badge(_("not an OLT we know"), "warning")
    kind = "success" if d.get("applied") or d.get("agrees", True) else "warning"
    return badge(f"{d['match']['brand']} {d['match']['model']}", kind)


def _detection_detail(view, context, model, name):
    d = model.detection
    if not d:
        return _("never detected: use Test and detect")
    rows = [
        (_("When"), local_time(model.detected_at)),
        (_("Result"), d.get("message", "")),
        (_("Round trip"), f"{d['rtt_ms']} ms" if d.get("rtt_ms") is not None else ""),
        ("sysDescr", d.get("sys_descr") or ""),
        ("sysObjectID", d.get("sys_object_id") or ""),
        ("sysName", d.get("sys_name") or ""),
        ("sysUpTime", uptime_words(d.get("sys_uptime_s"))),
    ]
    match = d.get("match")
    if match:
        rows += [
            (_("Chosen"), f"{match['brand']} {match['model']} → {_('profile')} {match['profile']}"),
            (_("Rule"), f"{match['rule']} ({match['source']})"),
        ]
    if d.get("error"):
        rows.append((_("Error"), d["error"]))
    body = Markup("").join(
        Markup("<tr><th class='pr-3'>{}</th><td>{}</td></tr>").format(k, v) for k, v in rows
    )
    return Markup("<table class='table table-sm mb-0'>{}</table>").format(body)


def _poll_job(view, context, model, name):
    job = poll_job_of(model)
    if job is None:
        return ""
    return Markup('<a href="{}">{}</a>').format(
        url_for("snmpjob.details_view", id=job.id), job.name
    )


def _fact(model):
    return g.get("olt_facts", {}).get(model.id)


def _last_poll(view, context, model, name):
    return olt_page.last_poll_cell(_fact(model))


def _reachability(view, context, model, name):
    return olt_page.reachability_cell(_fact(model))


def _onus(view, context, model, name):
    return olt_page.onus_cell(model, _fact(model))


class OltView(StaffModelView):
    """OLTs; the community and SNMPv3 keys are write-only (never shown, never echoed)."""

    list_template = "admin/olt_list.html"
    edit_template = "admin/olt_edit.html"
    create_template = "admin/olt_create.html"
    details_template = "admin/olt_details.html"
    column_list = (
        "name",
        "brand_model",
        "host",
        "snmp_version",
        "enabled",
        "reachability",
        "last_poll",
        "onus",
        "detection",
        "description",
    )
    column_details_list = (
        "name",
        "brand_model",
        "host",
        "snmp_port",
        "snmp_version",
        "v3_user",
        "timeout",
        "retries",
        "max_repetitions",
        "enabled",
        "poll_job",
        "detection",
        "description",
        "created_at",
    )
    column_searchable_list = ("name", "host", "description")
    column_filters = ("brand.name", "enabled", "snmp_version", "auto_detect")
    column_export_exclude_list = ("community", "v3_auth_key", "v3_priv_key", "detection")
    column_labels = {
        "brand_model": _l("Brand / model"),
        "detection": _l("Detection"),
        "detected_at": _l("Detected"),
        "poll_job": _l("Poll job"),
        "reachability": _l("Reachability"),
        "last_poll": _l("Last poll"),
        "onus": _l("ONUs: present, offline, low signal"),
    }
    column_formatters = {
        "brand_model": _brand_model,
        "detection": _detection_cell,
        "reachability": _reachability,
        "last_poll": _last_poll,
        "onus": _onus,
    }
    column_formatters_detail = {
        "brand_model": _brand_model,
        "detection": _detection_detail,
        "poll_job": _poll_job,
    }

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """The page, with its OLTs' last poll, reachability and ONU counts (a fixed number of
        queries for the whole page)."""
        count, rows = super().get_list(
            page, sort_column, sort_desc, search, filters, execute, page_size
        )
        if execute:
            g.olt_facts = olt_page.facts(list(rows))
        return count, rows

    def render(self, template, **kwargs):
        """The details page also gets the OLT's PONs and active alarms."""
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs["pons"] = olt_overview.pons(kwargs["model"])
            kwargs["olt_alarms"] = olt_overview.active_alarms(kwargs["model"])
        return super().render(template, **kwargs)

    column_extra_row_actions = [
        TemplateLinkRowAction("olt_actions.detect_row", _l("Test and detect"))
    ]
    form_columns = (
        "name",
        "model_choice",
        "host",
        "snmp_port",
        "snmp_version",
        "new_community",
        "v3_user",
        "v3_auth_proto",
        "new_v3_auth_key",
        "v3_priv_proto",
        "new_v3_priv_key",
        "v3_context",
        "timeout",
        "retries",
        "max_repetitions",
        "enabled",
        "description",
    )
    form_extra_fields = {
        "model_choice": SelectField(
            _l("Model"),
            choices=[],
            widget=Select(),
            description=_l('"Detect" asks the OLT what it is before its first poll.'),
        ),
        "new_community": PasswordField(
            _l("SNMP community"),
            validators=[Length(max=255)],  # the column's size: a longer one is a DataError
            description=_l("Write-only. Leave empty to keep the current one."),
        ),
        "new_v3_auth_key": PasswordField(
            _l("SNMPv3 auth key"), description=_l("Write-only."), validators=_V3_KEY
        ),
        "new_v3_priv_key": PasswordField(
            _l("SNMPv3 privacy key"), description=_l("Write-only."), validators=_V3_KEY
        ),
    }
    form_overrides = {
        "snmp_version": SelectField,
        "v3_auth_proto": SelectField,
        "v3_priv_proto": SelectField,
    }
    form_args = {
        "host": {"validators": [_host_validator]},
        "snmp_port": {"validators": [NumberRange(1, 65535)]},
        "snmp_version": {"choices": choices(*SNMP_VERSIONS)},
        "v3_auth_proto": {"choices": choices("SHA", "MD5", "SHA256", "SHA512")},
        "v3_priv_proto": {"choices": choices("AES", "DES", "AES256")},
        "timeout": {"validators": [NumberRange(0.1, 60)]},
        "retries": {"validators": [NumberRange(0, 10)]},
        "max_repetitions": {"validators": [NumberRange(1, 500)]},
    }

    def _with_models(self, form):
        form.model_choice.choices = model_choices()
        return form

    def create_form(self, obj=None):
        form = self._with_models(super().create_form(obj))
        if not form.model_choice.data:
            form.model_choice.data = DETECT
        return form

    def edit_form(self, obj=None):
        return self._with_models(super().edit_form(obj))

    def on_form_prefill(self, form, id):
        olt = self.get_one(id)
        if olt is not None:
            form.model_choice.data = _choice_of(olt)

    def validate_form(self, form):
        """The SNMP settings checked as a whole (community for v1/v2c; v3 user, protocols
        and RFC 3414 key lengths), each error put at the field it is about. A secret left
        blank on an edit keeps the stored one, so the OLT being edited fills it in."""
        if not hasattr(form, "snmp_version"):  # the delete and action forms
            return super().validate_form(form)
        if not super().validate_form(form):
            return False
        stored = self.get_one(request.args["id"]) if request.args.get("id") else None

        def secret(field: str) -> str:
            return getattr(form, field).data or getattr(stored, SECRETS[field], None) or ""

        version = form.snmp_version.data
        try:
            if version in ("1", "2c") and not secret("new_community"):
                raise Invalid(_("An SNMP community is required for SNMP v1/v2c."), "community")
            if version == "3":
                check_v3(
                    form.v3_user.data or "",
                    form.v3_auth_proto.data,
                    secret("new_v3_auth_key"),
                    form.v3_priv_proto.data,
                    secret("new_v3_priv_key"),
                )
        except Invalid as exc:
            field = _FORM_FIELD.get(exc.field or "", exc.field or "")
            target = getattr(form, field, None) or form.snmp_version
            target.errors = [*target.errors, str(exc)]
            return False
        return True

    def on_model_change(self, form, model, is_created):
        _apply_choice(model, form.model_choice.data)
        for field, column in SECRETS.items():
            value = getattr(form, field).data
            if value:
                setattr(model, column, value)
        if model.snmp_version in ("1", "2c") and not model.community:
            raise ValidationError(_("An SNMP community is required for SNMP v1/v2c."))
        if model.snmp_version == "3" and not model.v3_user:
            raise ValidationError(_("An SNMPv3 user is required for SNMP v3."))
        if model.snmp_version == "3":
            try:  # the same checks as the CLI's (protocols, RFC 3414 key lengths, priv needs auth)
                check_v3(
                    model.v3_user,
                    model.v3_auth_proto,
                    model.v3_auth_key or "",
                    model.v3_priv_proto,
                    model.v3_priv_key or "",
                )
            except ValueError as exc:
                raise ValidationError(str(exc)) from None
        if is_created:
            ensure_poll_job(model)
        elif not model.enabled and inspect(model).attrs.enabled.history.deleted:
            interrupt_pending(Message("olt_disabled", olt=model.name), olt_ids=[model.id])

    def after_model_change(self, form, model, is_created):
        if is_created:
            job = poll_job_of(model)
            flash(
                _(
                    "OLT %(name)s added with its poll job %(job)s (%(every)s); "
                    "its first poll runs at the next scheduler tick.",
                    name=model.name,
                    job=job.name if job else "-",
                    every=job.interval if job else "-",
                ),
                "info",
            )

    @expose("/detect/", methods=["POST"])
    def detect_view(self):
        """Test and detect one OLT (the row action and the edit page's button)."""
        if not self.is_accessible():
            return self.inaccessible_callback("detect_view")
        olt = self.get_one(request.form.get("id", ""))
        if olt is None:
            flash(_("That OLT does not exist."), "error")
            return redirect(url_for(".index_view"))
        self._detect([olt])
        target = request.form.get("next") or "details"
        if target == "list":
            return redirect(url_for(".index_view"))
        if target == "edit":
            return redirect(url_for(".edit_view", id=olt.id))
        return redirect(url_for(".details_view", id=olt.id))

    @action("detect", _l("Test and detect selected OLTs"))
    def action_detect(self, ids):
        olts = db.session.scalars(select(Olt).where(Olt.id.in_([int(i) for i in ids]))).all()
        self._detect(list(olts))

    def _detect(self, olts: list[Olt]) -> None:
        results = detect_olts(olts)
        db.session.commit()
        for olt, data in zip(olts, results, strict=True):
            flash(_detect_message(olt, data), _detect_category(data))

    @action("enable", _l("Enable selected OLTs"))
    def action_enable(self, ids):
        changed, _interrupted = set_olts_enabled([int(i) for i in ids], True)
        flash(ngettext("%(num)d OLT enabled", "%(num)d OLTs enabled", changed), "success")

    @action("disable", _l("Disable selected OLTs"))
    def action_disable(self, ids):
        changed, interrupted = set_olts_enabled([int(i) for i in ids], False)
        flash(
            _(
                "%(changed)s; %(interrupted)s",
                changed=ngettext("%(num)d OLT disabled", "%(num)d OLTs disabled", changed),
                interrupted=ngettext(
                    "%(num)d pending execution interrupted",
                    "%(num)d pending executions interrupted",
                    interrupted,
                ),
            ),
            "success",
        )


def _detect_category(data: dict) -> str:
    if not data.get("answered"):
        return "error"
    if not data.get("known") or data.get("agrees") is False:
        return "warning"
    return "success"


def _detect_message(olt: Olt, data: dict) -> str:
    """One line per OLT, in the user's language."""
    if not data.get("answered"):
        return data.get("message") or _("%(olt)s did not answer", olt=olt.name)
    rtt = data.get("rtt_ms")
    if not data.get("known"):
        return _(
            "%(olt)s answered in %(rtt)s ms but is not an OLT we know: %(message)s",
            olt=olt.name,
            rtt=rtt,
            message=data.get("message"),
        )
    match = data["match"]
    text = _(
        "%(olt)s answered in %(rtt)s ms: %(brand)s %(model)s, profile %(profile)s",
        olt=olt.name,
        rtt=rtt,
        brand=match["brand"],
        model=match["model"],
        profile=match["profile"],
    )
    if data.get("applied"):
        return text + " " + _("(brand and model set)")
    if data.get("agrees") is False:
        configured = data.get("configured") or {}
        return (
            text
            + " "
            + _(
                "but it is configured as %(configured)s: edit it, or choose Detect as its model",
                configured=" ".join(
                    v for v in (configured.get("brand"), configured.get("model")) if v
                )
                or "-",
            )
        )
    return text


def detection_json(olt: Olt) -> str:
    """The stored detection as JSON (for templates and exports without secrets)."""
    return json.dumps(olt.detection or {}, ensure_ascii=False, sort_keys=True)
