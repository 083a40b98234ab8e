"""Read one ONU's history for a chart: one record out of each block, by substr().

The resolution follows the span asked for: raw samples up to the raw retention (7 days),
hourly rollups up to the hourly retention (90 days), daily ones beyond; the raw samples
newer than the last rollup complete a rolled-up series up to now.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from history import codec
from webapp.models.history import SampleBlock, SampleRoster


def resolution_for(span: timedelta, raw_days: int, hourly_days: int) -> int:
    """The coarsest detail a chart of this span needs."""
    if span <= timedelta(days=raw_days):
        return codec.RAW
    if span <= timedelta(days=hourly_days):
        return codec.HOUR
    return codec.DAY


def _index(onu_ids: bytes, onu_id: int) -> int | None:
    ids = codec.unpack_ids(onu_ids)
    k = bisect_left(ids, onu_id)
    return k if k < len(ids) and ids[k] == onu_id else None


def _points(
    session: Session, olt_id: int, onu_id: int, resolution: int, start: datetime, end: datetime
) -> list[tuple[datetime, dict]]:
    """(time, record) of every block of one resolution in [start, end] that holds the ONU."""
    in_range = (
        SampleBlock.olt_id == olt_id,
        SampleBlock.resolution == resolution,
        SampleBlock.at >= start,
        SampleBlock.at <= end,
    )
    # the rosters whose id range covers the ONU (a few), not a scan of the blocks in range
    rosters = session.execute(
        select(SampleRoster.id, SampleRoster.onu_ids).where(
            SampleRoster.olt_id == olt_id,
            SampleRoster.first_id <= onu_id,
            SampleRoster.last_id >= onu_id,
        )
    ).all()
    size = codec.width(resolution)
    out = []
    for roster, onu_ids in rosters:
        k = _index(onu_ids, onu_id)
        if k is None:
            continue
        rows = session.execute(
            select(SampleBlock.at, func.substr(SampleBlock.data, k * size + 1, size)).where(
                *in_range, SampleBlock.roster_id == roster
            )
        )
        for at, chunk in rows:
            record = codec.unpack_one(chunk, resolution)
            if record is not None:
                out.append((at, record))
    out.sort(key=lambda p: p[0])
    return out


def series(
    session: Session,
    olt_id: int,
    onu_id: int,
    start: datetime,
    end: datetime,
    raw_days: int = 7,
    hourly_days: int = 90,
) -> dict:
    """The ONU's samples between start and end, as a chart draws them (dBm, metres)."""
    resolution = resolution_for(end - start, raw_days, hourly_days)
    points = _points(session, olt_id, onu_id, resolution, start, end)
    if resolution != codec.RAW:
        rolled_to = (
            points[-1][0] + (timedelta(hours=1) if resolution == codec.HOUR else timedelta(days=1))
            if points
            else start
        )
        points += [
            (at, _as_rollup(r))
            for at, r in _points(session, olt_id, onu_id, codec.RAW, rolled_to, end)
        ]
    return {
        "resolution": codec.RESOLUTIONS[resolution],
        "points": [_readable(at, r) for at, r in points],
    }


def _as_rollup(raw: dict) -> dict:
    """A raw sample in a rolled-up series: min = avg = max."""
    return {
        "rx_min": raw["rx"],
        "rx_avg": raw["rx"],
        "rx_max": raw["rx"],
        "tx_min": raw["tx"],
        "tx_avg": raw["tx"],
        "tx_max": raw["tx"],
        "state": raw["state"],
        "distance": raw["distance"],
        "n": 1,
    }


def _readable(at: datetime, record: dict) -> dict:
    out: dict = {"at": at.isoformat()}
    for key, value in record.items():
        if key.startswith(("rx", "tx")):
            out[key] = None if value is None else value / 100
        else:
            out[key] = value
    return out
