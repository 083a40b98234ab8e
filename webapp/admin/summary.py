"""An execution's summary as figures a NOC reads at a glance (the raw JSON stays one click away).

The keys are those that jobs/runner.py and jobs/types/{poll,discovery,get}.py write; a key this
module does not know is still in the raw JSON below the figures.
"""

from __future__ import annotations

import json

from flask import render_template
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

# (key, label, Bootstrap colour of a non-zero figure); in the order a NOC reads them
COUNTS = (
    ("found", _l("ONUs found"), "primary"),
    ("targets", _l("ONUs read"), "primary"),
    ("new", _l("New"), "info"),
    ("reappeared", _l("Reappeared"), "info"),
    ("absent_now", _l("Absent now"), "danger"),
    ("missing_not_yet_absent", _l("Missing, not yet absent"), "warning"),
    ("absent_total", _l("Absent in all"), "secondary"),
    ("rows", _l("Rows read"), "secondary"),
    ("no_row", _l("ONUs without a row"), "warning"),
    ("rows_for_unknown_onus", _l("Rows of unknown ONUs"), "warning"),
    ("samples", _l("Signal samples"), "secondary"),
    ("alarms", _l("Alarms"), "danger"),
    ("undecoded", _l("Undecoded indexes"), "warning"),
    ("not_onus", _l("Rows that are not ONUs"), "secondary"),
    ("lock_waits", _l("Waits for the OLT's lock"), "warning"),
)


def _number(value) -> int | float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _listed(value) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _tables(s: dict) -> list[tuple[str, str]]:
    """(what, table) pairs: the presence table, then one per attribute."""
    rows = []
    if s.get("presence_table"):
        rows.append((str(_l("presence")), str(s["presence_table"])))
    for attribute, table in sorted((s.get("tables") or {}).items()):
        rows.append((str(attribute), _listed(table)))
    if s.get("table"):
        rows.append((str(s.get("attribute") or _l("ONUs")), str(s["table"])))
    return rows


def _problems(s: dict) -> list[tuple[str, str]]:
    rows = []
    for table, error in sorted((s.get("failed_tables") or {}).items()):
        rows.append((str(_l("Table failed: %(table)s", table=table)), str(error)))
    for table, answer in sorted((s.get("rejected_tables") or {}).items()):
        rows.append((str(_l("Table refused: %(table)s", table=table)), str(answer)))
    errors = s.get("value_errors")
    if isinstance(errors, dict):
        for attribute, n in sorted(errors.items()):
            rows.append((str(_l("Values not understood: %(a)s", a=attribute)), str(n)))
    elif errors:
        rows.append((str(_l("Values not understood")), str(errors)))
    for key in ("note", "presence_note"):
        if s.get(key):
            rows.append((str(_l("Note")), str(s[key])))
    return rows


def figures(summary: dict | None) -> dict:
    """The summary's parts, ready for admin/_summary.html."""
    s = summary or {}
    counts = [
        (label, s[key], kind if s[key] else "light")
        for key, label, kind in COUNTS
        if _number(s.get(key)) is not None
    ]
    states = sorted((s.get("states") or {}).items(), key=lambda kv: (-kv[1], str(kv[0])))
    snmp_s, db_s = _number(s.get("snmp_s")), _number(s.get("db_s"))
    timing = None
    if snmp_s is not None or db_s is not None:
        total = (snmp_s or 0) + (db_s or 0)
        timing = {
            "snmp_s": snmp_s or 0,
            "db_s": db_s or 0,
            "snmp_pct": round(100 * (snmp_s or 0) / total) if total else 0,
        }
    return {
        "counts": counts,
        "states": states,
        "timing": timing,
        "tables": _tables(s),
        "not_supported": list(s.get("not_supported") or []),
        "no_table": list(s.get("no_table_in_profile") or []),
        "problems": _problems(s),
        "profile": s.get("profile") or "",
        "raw": json.dumps(s, indent=2, ensure_ascii=False, sort_keys=True),
    }


def render(summary: dict | None) -> Markup:
    """The summary as figures with the raw JSON folded below them."""
    return Markup(render_template("admin/_summary.html", f=figures(summary)))


def onus_found(summary: dict | None) -> int | None:
    """The ONUs a run found (poll, discovery) or read (get); None when it says nothing."""
    s = summary or {}
    return _number(s.get("found", s.get("targets")))
