"""The columns a job uses on an OLT: the built-in profile's, with the operators' edits on top.

The profile (snmp/profiles) is the one source of OIDs, index formulas, value rules and state
labels; the database holds only what operators changed: Oid rows with value_* overrides,
IndexFormula rows replacing a built-in formula, StateLabel rows renaming state values.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select

from snmp.indexes import IndexFormula as FormulaSpec
from snmp.profiles import GENERIC, Column, Profile, profile_for
from snmp.values import ValueRule
from webapp.extensions import db
from webapp.models import IndexFormula, Oid, StateLabel


@dataclass(frozen=True)
class Resolved:
    """A column as a job applies it on one OLT: formula, value rule and labels in effect."""

    column: Column
    formula_name: str
    formula: FormulaSpec
    rule: ValueRule
    index_suffix: str = ""
    labels: dict | None = None
    keep_previous: bool = False
    presence_only: bool = False  # an operator's "discovery" OID: its values are not states

    @property
    def oid(self) -> str:
        return self.column.oid

    @property
    def attribute(self) -> str:
        return self.column.attribute

    @property
    def lists_every_onu(self) -> bool:
        """Its table lists every ONU of the OLT, offline ones included, so that an ONU missing
        from a complete walk of it is really gone (an optics table lists online ONUs only).
        An operator's own discovery or state OID is taken at its word."""
        column = self.column
        return column.every_onu or (column.source == "operator" and column.attribute == "state")

    @property
    def yields_state(self) -> bool:
        """Its values are ONU states (presence never takes state from any other column)."""
        return self.column.attribute == "state" and not self.presence_only


@dataclass(frozen=True)
class Scope:
    """Who the OLT is, as far as the columns care."""

    brand_id: int | None
    model_id: int | None
    profile_key: str | None

    @property
    def profile(self) -> Profile:
        return profile_for(self.profile_key) or GENERIC


def _by_scope(rows: list, model_id: int | None) -> list:
    """Rows of the model first, then brand-wide ones."""
    return sorted(rows, key=lambda r: 0 if (model_id is not None and r.model_id == model_id) else 1)


def _formula_overrides(scope: Scope) -> dict[str | None, tuple[str, FormulaSpec]]:
    """Operator formulas in effect, by the built-in formula they replace (None: unknown OIDs)."""
    rows = db.session.scalars(
        select(IndexFormula).where(
            IndexFormula.enabled.is_(True),
            (IndexFormula.brand_id == scope.brand_id) | IndexFormula.brand_id.is_(None),
            IndexFormula.model_id.is_(None) | (IndexFormula.model_id == scope.model_id),
        )
    ).all()

    def rank(f: IndexFormula) -> tuple:
        return (f.brand_id is None, f.model_id is None, f.id)

    out: dict[str | None, tuple[str, FormulaSpec]] = {}
    for f in sorted(rows, key=rank):
        if f.brand_id is None and f.model_id is not None:
            continue
        out.setdefault(f.profile_formula or None, (f"{f.name} (#{f.id})", f.spec()))
    return out


def _oid_overrides(scope: Scope) -> dict[str, Oid]:
    """Operator Oid rows of the OLT's brand, by numeric OID (model rows first)."""
    if scope.brand_id is None:
        return {}
    rows = db.session.scalars(
        select(Oid).where(
            Oid.brand_id == scope.brand_id,
            Oid.model_id.is_(None) | (Oid.model_id == scope.model_id),
        )
    ).all()
    out: dict[str, Oid] = {}
    for row in _by_scope(list(rows), scope.model_id):
        out.setdefault(row.oid, row)
    return out


def label_overrides(scope: Scope) -> dict[int, str]:
    """State labels operators set: generic, then the brand's, then the model's (later win)."""
    rows = db.session.scalars(
        select(StateLabel).where(
            (StateLabel.brand_id == scope.brand_id) | StateLabel.brand_id.is_(None),
            StateLabel.model_id.is_(None) | (StateLabel.model_id == scope.model_id),
        )
    ).all()

    def level(r: StateLabel) -> int:
        return 0 if r.brand_id is None else (2 if r.model_id is not None else 1)

    return {r.value: r.label for r in sorted(rows, key=level)}


def _resolve(
    column: Column,
    profile: Profile,
    formulas: dict,
    oid_row: Oid | None,
    labels: dict[int, str],
) -> Resolved:
    key = profile.formula_key(column.formula)
    name, spec = formulas.get(key) or (key, profile.formula_of(column))
    rule = column.rule
    suffix = column.index_suffix
    keep = False
    if oid_row is not None:
        rule = replace(rule, **oid_row.rule_overrides())
        suffix = column.index_suffix if oid_row.index_suffix is None else oid_row.index_suffix
        keep = bool(oid_row.keep_previous)
    merged = {**column.labels, **labels} if column.attribute == "state" else dict(column.labels)
    return Resolved(column, name, spec, rule, suffix, merged, keep)


def olt_columns(scope: Scope) -> list[Resolved]:
    """Every candidate column of the OLT's profile, with the operators' edits applied."""
    profile = scope.profile
    formulas = _formula_overrides(scope)
    oids = _oid_overrides(scope)
    labels = label_overrides(scope)
    return [_resolve(c, profile, formulas, oids.get(c.oid), labels) for c in profile.columns]


def oid_column(scope: Scope, oid: Oid) -> Resolved:
    """The column a per-OID job walks: the profile's (with edits), else one built from the row."""
    for profile in (scope.profile, *_brand_profiles(scope)):
        column = profile.column_of(oid.oid)
        if column is not None and column.oid == oid.oid:
            labels = label_overrides(scope)
            return _resolve(column, profile, _formula_overrides(scope), oid, labels)
    return _unknown_column(scope, oid)


def _brand_profiles(scope: Scope) -> list[Profile]:
    from snmp.profiles import PROFILES

    brand = scope.profile.brand
    return [p for p in PROFILES.values() if p.brand == brand and p is not scope.profile]


def _unknown_column(scope: Scope, oid: Oid) -> Resolved:
    """An OID no profile knows: its kind's defaults, the operators' formula or the profile's."""
    from snmp.profiles import DEFAULT_RULES

    attribute = "state" if oid.kind in ("discovery", "state") else oid.kind
    base = DEFAULT_RULES[attribute]
    profile = scope.profile
    default_name, default_spec = profile.default_formula
    formulas = _formula_overrides(scope)
    name, spec = formulas.get(None) or (profile.formula_key(default_name), default_spec)
    column = Column(
        attribute=attribute,
        oid=oid.oid,
        mib_name=oid.mib_name or oid.name,
        source="operator",
        formula=default_name,
        rule=base,
    )
    labels = label_overrides(scope)
    merged = {**profile_state_labels(profile), **labels}
    return Resolved(
        column,
        name,
        spec,
        replace(base, **oid.rule_overrides()),
        oid.index_suffix or "",
        merged if oid.kind == "state" else {},
        bool(oid.keep_previous),
        presence_only=oid.kind == "discovery",
    )


def profile_state_labels(profile: Profile) -> dict[int, str]:
    """The labels of the profile's first state column."""
    for column in profile.candidates("state"):
        return dict(column.labels)
    return {}


def builtin_column(oid: Oid) -> tuple[Profile, Column] | None:
    """The built-in profile column an Oid row stands for (same brand, same numeric OID)."""
    from snmp.profiles import PROFILES

    brand = oid.brand.name if oid.brand is not None else None
    for profile in PROFILES.values():
        if brand is not None and profile.brand != brand:
            continue
        column = profile.column_of(oid.oid)
        if column is not None and column.oid == oid.oid:
            return profile, column
    return None


def effective_rule(oid: Oid) -> tuple[ValueRule, str, str]:
    """(rule in effect, index suffix in effect, where the base comes from) of an Oid row."""
    from snmp.profiles import DEFAULT_RULES

    found = builtin_column(oid)
    if found is not None:
        profile, column = found
        base, suffix, source = column.rule, column.index_suffix, f"profile {profile.key}"
    else:
        attribute = "state" if oid.kind in ("discovery", "state") else oid.kind
        base = DEFAULT_RULES.get(attribute, ValueRule())
        suffix, source = "", f"defaults of {oid.kind}"
    rule = replace(base, **oid.rule_overrides())
    return rule, suffix if oid.index_suffix is None else oid.index_suffix, source
