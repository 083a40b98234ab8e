"""One ONU's rx and tx over 24 h, 7 days or 90 days, with thresholds and state changes."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, jsonify
from sqlalchemy import select

from history import query
from jobs.onu_history import olt_rules
from webapp.admin.guards import parse_id
from webapp.extensions import db
from webapp.models import Onu, OnuEvent
from webapp.models.base import utcnow

SPANS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "90d": timedelta(days=90)}
MARKED = ("offline", "online", "absent", "reappeared", "swapped", "moved")


def _problem(status: int, detail: str):
    response = jsonify({"title": "Bad request" if status == 400 else "Not found", "detail": detail})
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def response(args):
    """The chart's data as JSON (a problem+json for a bad id or span)."""
    span = args.get("span", "24h")
    if span not in SPANS:
        return _problem(400, f"span is one of {', '.join(SPANS)}")
    onu_id = parse_id(args.get("id"))
    onu = db.session.get(Onu, onu_id) if onu_id is not None else None
    if onu is None:
        return _problem(404, "no such ONU")
    end = utcnow()
    start = end - SPANS[span]
    cfg = current_app.config
    series = query.series(
        db.session, onu.olt_id, onu.id, start, end,
        cfg["HISTORY_RAW_DAYS"], cfg["HISTORY_HOURLY_DAYS"],
    )  # fmt: skip
    rules = olt_rules(onu.olt_id)
    events = db.session.execute(
        select(OnuEvent.at, OnuEvent.kind, OnuEvent.detail)
        .where(OnuEvent.onu_id == onu.id, OnuEvent.at >= start, OnuEvent.kind.in_(MARKED))
        .order_by(OnuEvent.at)
    )
    return jsonify(
        {
            "onu": onu.position,
            "span": span,
            "start": start.isoformat(),
            "end": end.isoformat(),
            **series,
            "thresholds": {
                "warning": rules.rx_warning,
                "critical": rules.rx_critical,
                "overload": rules.rx_overload,
            },
            "events": [
                {"at": at.isoformat(), "kind": kind, "detail": detail or {}}
                for at, kind, detail in events
            ],
        }
    )
