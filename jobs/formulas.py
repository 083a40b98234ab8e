"""Choose the index formula and state labels that apply to an OLT."""

from __future__ import annotations

from sqlalchemy import select

from snmp.indexes import IndexFormula as FormulaSpec
from webapp.extensions import db
from webapp.models import IndexFormula, StateLabel


def resolve_formula(brand_id: int | None, model_id: int | None) -> tuple[str, FormulaSpec] | None:
    """Pick the enabled formula for brand+model, else brand, else generic; None if there is none."""
    candidates = db.session.scalars(
        select(IndexFormula).where(
            IndexFormula.enabled.is_(True),
            (IndexFormula.brand_id == brand_id) | IndexFormula.brand_id.is_(None),
        )
    ).all()

    def rank(f: IndexFormula) -> int | None:
        if f.brand_id == brand_id and model_id is not None and f.model_id == model_id:
            return 0
        if f.brand_id == brand_id and f.model_id is None:
            return 1
        if f.brand_id is None and f.model_id is None:
            return 2
        return None

    ranked = sorted((r, f.id, f) for f in candidates if (r := rank(f)) is not None)
    if not ranked:
        return None
    best = ranked[0][2]
    return best.name, best.spec()


def state_labels(brand_id: int | None, model_id: int | None = None) -> dict[int, str]:
    """Map state values to labels: the model's first, then the brand's, then generic ones."""
    rows = db.session.scalars(
        select(StateLabel).where(
            (StateLabel.brand_id == brand_id) | StateLabel.brand_id.is_(None),
            StateLabel.model_id.is_(None) | (StateLabel.model_id == model_id),
        )
    ).all()

    def level(r: StateLabel) -> int:
        return 0 if r.brand_id is None else (2 if r.model_id is not None else 1)

    return {r.value: r.label for r in sorted(rows, key=level)}  # later levels override
