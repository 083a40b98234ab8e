"""Admin views for brands, OLT models, OLTs, OIDs, index formulas, state labels and ONUs."""

from __future__ import annotations

import re

from flask import flash, request
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect
from wtforms import PasswordField, SelectField
from wtforms.validators import NumberRange, ValidationError

from jobs.control import interrupt_pending, set_olts_enabled
from snmp.indexes import decode_index
from snmp.profiles import PROFILES
from snmp.values import PARSERS
from webapp.admin.base import ReadOnlyModelView, StaffModelView, badge, choices
from webapp.models.inventory import OID_KINDS, SNMP_VERSIONS, TECHNOLOGIES
from webapp.validators import normalise_oid, validate_host


class BrandView(StaffModelView):
    column_list = ("name", "description", "profile_key")
    column_searchable_list = ("name",)
    form_columns = ("name", "description", "profile_key")


class OltModelView(StaffModelView):
    column_list = ("brand", "name", "technology", "profile_key", "notes")
    column_filters = ("brand.name", "technology")
    form_columns = ("brand", "name", "technology", "profile_key", "notes")
    form_overrides = {"technology": SelectField, "profile_key": SelectField}
    form_args = {
        "technology": {"choices": choices(*TECHNOLOGIES)},
        "profile_key": {"choices": choices(("", "-"), *PROFILES), "label": _l("Profile")},
    }

    def on_model_change(self, form, model, is_created):
        model.profile_key = model.profile_key or None


def _host_validator(form, field):
    try:
        field.data = validate_host(field.data)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def _suffix_validator(form, field):
    value = (field.data or "").strip()
    if value and not re.fullmatch(r"(\.\d+)+", value):
        raise ValidationError(_("An index suffix looks like .1 or .0.0"))
    field.data = value


def _oid_validator(form, field):
    try:
        field.data = normalise_oid(field.data)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


SECRETS = {
    "new_community": "community",
    "new_v3_auth_key": "v3_auth_key",
    "new_v3_priv_key": "v3_priv_key",
}


class OltView(StaffModelView):
    """OLTs; the community and SNMPv3 keys are write-only (never shown, never echoed)."""

    column_list = (
        "name",
        "brand",
        "model",
        "host",
        "snmp_port",
        "snmp_version",
        "enabled",
        "timeout",
        "retries",
        "description",
    )
    column_searchable_list = ("name", "host", "description")
    column_filters = ("brand.name", "enabled", "snmp_version")
    column_details_exclude_list = ("community", "v3_auth_key", "v3_priv_key")
    column_export_exclude_list = ("community", "v3_auth_key", "v3_priv_key")
    column_editable_list = ()
    form_columns = (
        "name",
        "brand",
        "model",
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
        "new_community": PasswordField(
            _l("SNMP community"),
            description=_l("Write-only. Leave empty to keep the current one."),
        ),
        "new_v3_auth_key": PasswordField(_l("SNMPv3 auth key"), description=_l("Write-only.")),
        "new_v3_priv_key": PasswordField(_l("SNMPv3 privacy key"), description=_l("Write-only.")),
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

    def on_model_change(self, form, model, is_created):
        for field, column in SECRETS.items():
            value = getattr(form, field).data
            if value:
                setattr(model, column, value)
        if model.snmp_version in ("1", "2c") and not model.community:
            raise ValidationError(_("An SNMP community is required for SNMP v1/v2c."))
        if model.snmp_version == "3" and not model.v3_user:
            raise ValidationError(_("An SNMPv3 user is required for SNMP v3."))
        if model.model is not None and model.model.brand_id != model.brand.id:
            raise ValidationError(_("The OLT model belongs to another brand."))
        if not is_created and not model.enabled and inspect(model).attrs.enabled.history.deleted:
            interrupt_pending(f"OLT {model.name} disabled", olt_ids=[model.id])

    @action("enable", _l("Enable selected OLTs"))
    def action_enable(self, ids):
        changed, _interrupted = set_olts_enabled([int(i) for i in ids], True)
        flash(_("%(n)d OLTs enabled", n=changed), "success")

    @action("disable", _l("Disable selected OLTs"))
    def action_disable(self, ids):
        changed, interrupted = set_olts_enabled([int(i) for i in ids], False)
        flash(
            _(
                "%(n)d OLTs disabled; %(p)d pending executions interrupted",
                n=changed,
                p=interrupted,
            ),
            "success",
        )


class OidView(StaffModelView):
    column_list = (
        "name",
        "oid",
        "brand",
        "model",
        "kind",
        "mib_name",
        "keep_previous",
        "render_hex",
    )
    column_searchable_list = ("name", "oid", "mib_name")
    column_filters = ("brand.name", "kind")
    form_columns = (
        "name",
        "oid",
        "brand",
        "model",
        "kind",
        "mib_name",
        "index_suffix",
        "keep_previous",
        "render_hex",
        "value_parse",
        "value_scale",
        "value_offset",
        "value_wrap_above",
        "value_wrap_modulus",
        "value_sentinels",
        "value_round",
        "value_min",
        "value_max",
        "description",
    )
    form_overrides = {"kind": SelectField, "value_parse": SelectField}
    form_args = {
        "oid": {"validators": [_oid_validator]},
        "kind": {"choices": choices(*OID_KINDS)},
        "value_parse": {"choices": choices(("", "-"), *PARSERS)},
        "index_suffix": {"validators": [_suffix_validator]},
        "value_sentinels": {
            "description": _l("Raw values meaning no value, e.g. 2147483647, 65535")
        },
    }
    column_descriptions = {
        "value_scale": _l("Stored value = raw × scale + offset (after sentinels and wrap)"),
        "value_wrap_above": _l("Raw values above this get the wrap modulus subtracted (ZTE)"),
    }

    def on_model_change(self, form, model, is_created):
        try:
            model.rule()
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class IndexFormulaView(StaffModelView):
    """Index formulas, with a page that decodes a sample index with a formula."""

    column_list = (
        "name",
        "brand",
        "model",
        "enabled",
        "mode",
        "base",
        "step_slot",
        "step_port",
        "onu_from_dot",
    )
    column_filters = ("brand.name", "enabled", "mode")
    form_overrides = {"mode": SelectField}
    form_args = {"mode": {"choices": choices("linear", "bitshift")}}
    form_excluded_columns = ()
    details_template = "admin/formula_details.html"

    @expose("/preview/", methods=["GET"])
    def preview(self):
        """Decode the index given in ?index= with the formula ?id=."""
        formula = self.get_one(request.args.get("id", ""))
        raw = request.args.get("index", "").strip()
        result, error = None, None
        if formula is None:
            flash(_("That formula does not exist."), "error")
        elif raw:
            try:
                result = decode_index(formula.spec(), raw)
            except ValueError as exc:
                error = str(exc)
        return self.render(
            "admin/formula_preview.html", formula=formula, raw=raw, result=result, error=error
        )


class StateLabelView(StaffModelView):
    column_list = ("brand", "model", "value", "label")
    column_filters = ("brand.name", "model.name")
    form_columns = ("brand", "model", "value", "label")


def _presence(view, context, model, name):
    return badge(_("present"), "success") if model.present else badge(_("absent"), "secondary")


class OnuView(ReadOnlyModelView):
    """The ONU inventory: one row per ONU per OLT."""

    column_list = (
        "olt",
        "name",
        "present",
        "state_label",
        "serial",
        "description",
        "onu_model",
        "distance_m",
        "rx_power_dbm",
        "last_seen_at",
        "consecutive_misses",
    )
    column_searchable_list = ("serial", "description", "name", "raw_index")
    column_filters = ("olt.name", "present", "state_label", "slot", "port")
    column_sortable_list = (
        "name",
        "present",
        "state_label",
        "serial",
        "last_seen_at",
        ("olt", "olt.name"),
        "distance_m",
        "rx_power_dbm",
    )
    column_default_sort = [
        ("olt_id", False),
        ("frame", False),
        ("slot", False),
        ("port", False),
        ("onu_id", False),
    ]
    column_formatters = {"present": _presence}
    column_labels = {
        "name": _l("Position"),
        "distance_m": _l("Distance (m)"),
        "rx_power_dbm": _l("Rx (dBm)"),
    }
    can_export = True
