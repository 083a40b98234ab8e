"""Admin views for brands, OLT models, OLTs, OIDs, index formulas, state labels and ONUs."""

from __future__ import annotations

import re
from dataclasses import fields

from flask import flash, request
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import SelectField
from wtforms.validators import ValidationError

from jobs.columns import builtin_column, effective_rule
from snmp.indexes import MODES, decode_index
from snmp.profiles import ALIASES, PROFILES
from snmp.values import PARSERS, ValueRule
from webapp.admin.base import Select, StaffModelView, choices
from webapp.models.inventory import FORMULA_COLUMNS, OID_KINDS, RULE_COLUMNS, TECHNOLOGIES
from webapp.validators import normalise_oid


def builtin_formula_keys() -> list[str]:
    """ "huawei:onu", "zte:legacy"…: the built-in formulas an operator's formula may replace."""
    return [p.formula_key(name) for p in PROFILES.values() for name in p.formulas]


def profile_choices():
    """Every profile key, and the keys of earlier releases (still stored on old rows)."""
    old = [(k, _l("%(old)s (now %(new)s)", old=k, new=v)) for k, v in ALIASES.items()]
    return choices(("", "-"), *PROFILES, *old)


class BrandView(StaffModelView):
    column_list = ("name", "description", "profile_key")
    column_searchable_list = ("name",)
    form_columns = ("name", "description", "profile_key")
    form_overrides = {"profile_key": SelectField}
    form_args = {"profile_key": {"choices": profile_choices(), "label": _l("Profile")}}

    def on_model_change(self, form, model, is_created):
        model.profile_key = model.profile_key or None


class OltModelView(StaffModelView):
    column_list = ("brand", "name", "technology", "profile_key", "notes")
    column_filters = ("brand.name", "technology")
    form_columns = ("brand", "name", "technology", "profile_key", "notes")
    form_overrides = {"technology": SelectField, "profile_key": SelectField}
    form_args = {
        "technology": {"choices": choices(*TECHNOLOGIES)},
        "profile_key": {"choices": profile_choices(), "label": _l("Profile")},
    }

    def on_model_change(self, form, model, is_created):
        model.profile_key = model.profile_key or None


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


def _rule_text(rule) -> str:
    """A value rule in a few words: "int ×0.01 +0, no value: 2147483647"."""
    parts = [rule.parse]
    if rule.scale != 1:
        parts.append(f"×{rule.scale:g}")
    if rule.offset:
        parts.append(f"{rule.offset:+g}")
    if rule.wrap_above is not None:
        parts.append(f"wrap >{rule.wrap_above} −{rule.wrap_modulus}")
    if rule.round_to is not None:
        parts.append(f"round {rule.round_to}")
    if rule.valid_min is not None or rule.valid_max is not None:
        parts.append(f"valid {rule.valid_min}..{rule.valid_max}")
    if rule.sentinels:
        parts.append("no value: " + ", ".join(str(x) for x in rule.sentinels))
    return " ".join(parts)


def _effective(view, context, model, name):
    rule, suffix, source = effective_rule(model)
    text = _rule_text(rule) + (f", index suffix {suffix}" if suffix else "")
    return Markup("{} <span class='text-muted small'>({})</span>").format(text, source)


class OidView(StaffModelView):
    """OIDs: the catalogue per-OID jobs pick from; value_* fields are overrides of the profile."""

    column_list = ("name", "oid", "brand", "model", "kind", "mib_name", "effective_rule")
    column_details_list = (
        "name",
        "oid",
        "brand",
        "model",
        "kind",
        "mib_name",
        "effective_rule",
        "keep_previous",
        "render_hex",
        "description",
    )
    column_searchable_list = ("name", "oid", "mib_name")
    column_filters = ("brand.name", "kind")
    column_formatters = {"effective_rule": _effective}
    column_labels = {"effective_rule": _l("Value rule in effect")}
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
        *RULE_COLUMNS,
        "description",
    )
    form_overrides = {"kind": SelectField, "value_parse": SelectField}
    form_args = {
        "oid": {"validators": [_oid_validator]},
        "kind": {"choices": choices(*OID_KINDS)},
        "value_parse": {"choices": choices(("", "-"), *PARSERS), "widget": Select()},
        "index_suffix": {"validators": [_suffix_validator]},
        "value_sentinels": {
            "description": _l("Raw values meaning no value, e.g. 2147483647, 65535")
        },
    }
    column_descriptions = {
        "value_scale": _l("Stored value = raw × scale + offset (after sentinels and wrap)"),
        "value_wrap_above": _l("Raw values above this get the wrap modulus subtracted (ZTE)"),
    }

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if obj is not None:
            _placeholders(form, obj)
        return form

    def on_model_change(self, form, model, is_created):
        for column in ("value_parse", "value_sentinels", "index_suffix"):
            if not (getattr(model, column) or "").strip():
                setattr(model, column, None)
        try:
            effective_rule(model)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


def _placeholders(form, oid) -> None:
    """Show the profile's value in each empty override field."""
    found = builtin_column(oid)
    if found is None:
        return
    _profile, column = found
    for f in fields(ValueRule):
        field = getattr(form, f"value_{f.name}", None)
        base = getattr(column.rule, f.name)
        if field is not None and base not in (None, ()):
            shown = ", ".join(map(str, base)) if isinstance(base, tuple) else str(base)
            field.render_kw = dict(field.render_kw or {}, placeholder=shown)
            field.description = _("Empty: as the built-in profile (%(value)s)", value=shown)
    if column.index_suffix:
        form.index_suffix.render_kw = {"placeholder": column.index_suffix}


class IndexFormulaView(StaffModelView):
    """Operators' index formulas, replacing a built-in one or decoding OIDs no profile knows."""

    column_list = (
        "name",
        "brand",
        "model",
        "profile_formula",
        "enabled",
        "mode",
        "base",
        "step_slot",
        "step_port",
        "onu_from_dot",
    )
    column_filters = ("brand.name", "enabled", "mode")
    form_columns = ("name", "brand", "model", "profile_formula", "enabled", *FORMULA_COLUMNS)
    form_overrides = {"mode": SelectField, "profile_formula": SelectField}
    form_args = {
        "mode": {"choices": choices(*MODES)},
        "profile_formula": {
            "choices": choices(("", _l("- (OIDs no profile knows)")), *builtin_formula_keys()),
            "label": _l("Replaces built-in formula"),
        },
    }
    column_labels = {"profile_formula": _l("Replaces")}
    details_template = "admin/formula_details.html"

    def on_model_change(self, form, model, is_created):
        model.profile_formula = model.profile_formula or None

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
