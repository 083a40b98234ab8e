"""The built-in profiles, read-only: detection rules, candidate columns, formulas, labels."""

from __future__ import annotations

from flask import abort, request
from flask_admin import BaseView, expose

from snmp.indexes import decode_index
from snmp.profiles import PROFILES
from snmp.profiles.detection import RULES
from webapp.admin.base import StaffAccess


class ProfilesView(StaffAccess, BaseView):
    """What oltwatch knows of each OLT family (the one source the database only overrides)."""

    @expose("/")
    def index(self):
        rules = {}
        for rule in RULES:
            rules.setdefault(rule.profile, []).append(rule)
        return self.render("admin/profiles.html", profiles=PROFILES.values(), rules=rules)

    @expose("/<key>/")
    def profile(self, key: str):
        profile = PROFILES.get(key)
        if profile is None:
            abort(404)
        raw = request.args.get("index", "").strip()
        name = request.args.get("formula", "")
        result = error = None
        if raw and name in profile.formulas:
            try:
                result = decode_index(profile.formulas[name], raw)
            except ValueError as exc:
                error = str(exc)
        rules = [r for r in RULES if r.profile == key]
        return self.render(
            "admin/profile.html",
            profile=profile,
            rules=rules,
            raw=raw,
            formula_name=name,
            result=result,
            error=error,
        )
