"""Roll raw samples up into hours and hours into days; drop what is past its retention.

Run by the scheduler's housekeeping, a bounded number of periods per call, so a backlog is
worked off over several ticks. A period is rolled up once it has ended (UTC hours and days)
and only once: the newest rollup of an OLT says where the next one starts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from history import codec
from history.samples import write_blocks
from webapp.models.history import SampleBlock, SampleRoster

BATCH = 500


@dataclass(frozen=True)
class Retention:
    """Days each resolution is kept."""

    raw_days: int = 7
    hourly_days: int = 90
    daily_days: int = 730


def _floor(at: datetime, resolution: int) -> datetime:
    at = at.replace(minute=0, second=0, microsecond=0)
    return at.replace(hour=0) if resolution == codec.DAY else at


def _period(resolution: int) -> timedelta:
    return timedelta(days=1) if resolution == codec.DAY else timedelta(hours=1)


@dataclass
class _Acc:
    """Running min/avg/max of rx and tx, the last state and distance, the sample count."""

    rx: list = field(default_factory=lambda: [None, 0, 0, None])  # min, sum, weight, max
    tx: list = field(default_factory=lambda: [None, 0, 0, None])
    state: int | None = None
    distance: int | None = None
    n: int = 0

    @staticmethod
    def _add(acc: list, low, avg, high, weight: int) -> None:
        if avg is None:
            return
        acc[0] = low if acc[0] is None else min(acc[0], low)
        acc[3] = high if acc[3] is None else max(acc[3], high)
        acc[1] += avg * weight
        acc[2] += weight

    def add(self, record: tuple, source: int) -> None:
        if source == codec.RAW:
            rx, tx, state, distance = record
            self._add(self.rx, rx, rx, rx, 1)
            self._add(self.tx, tx, tx, tx, 1)
            n = 1
        else:
            rx_lo, rx_avg, rx_hi, tx_lo, tx_avg, tx_hi, state, distance, n = record
            n = n or 0
            self._add(self.rx, rx_lo, rx_avg, rx_hi, max(n, 1))
            self._add(self.tx, tx_lo, tx_avg, tx_hi, max(n, 1))
        self.state = state if state is not None else self.state  # blocks come oldest first
        self.distance = distance if distance is not None else self.distance
        self.n += n

    def record(self) -> tuple:
        def triple(acc):
            return (acc[0], round(acc[1] / acc[2]) if acc[2] else None, acc[3])

        return (*triple(self.rx), *triple(self.tx), self.state, self.distance, min(self.n, 65534))


def _pending_periods(session: Session, target: int, now: datetime) -> list[tuple[int, datetime]]:
    """(olt, period start) of every ended period with source blocks and no rollup yet."""
    source = codec.RAW if target == codec.HOUR else codec.HOUR
    current = _floor(now, target)
    done = dict(
        session.execute(
            select(SampleBlock.olt_id, func.max(SampleBlock.at))
            .where(SampleBlock.resolution == target)
            .group_by(SampleBlock.olt_id)
        ).all()
    )
    rows = session.execute(
        select(SampleBlock.olt_id, SampleBlock.at).where(
            SampleBlock.resolution == source, SampleBlock.at < current
        )
    ).all()
    periods = set()
    for olt_id, at in rows:
        start = _floor(at, target)
        last = done.get(olt_id)
        if last is None or start > last:
            periods.add((olt_id, start))
    return sorted(periods, key=lambda p: (p[1], p[0]))


def _roll(session: Session, olt_id: int, start: datetime, target: int) -> int:
    """Write the rollup of one OLT's period; return the number of ONUs in it."""
    source = codec.RAW if target == codec.HOUR else codec.HOUR
    blocks = session.execute(
        select(SampleBlock.roster_id, SampleBlock.data)
        .where(
            SampleBlock.olt_id == olt_id,
            SampleBlock.resolution == source,
            SampleBlock.at >= start,
            SampleBlock.at < start + _period(target),
        )
        .order_by(SampleBlock.at)
    ).all()
    rosters = {
        r.id: codec.unpack_ids(r.onu_ids)
        for r in session.execute(
            select(SampleRoster.id, SampleRoster.onu_ids).where(
                SampleRoster.id.in_({b.roster_id for b in blocks})
            )
        )
    }
    accs: dict[int, _Acc] = defaultdict(_Acc)
    for block in blocks:
        ids = rosters[block.roster_id]
        for onu, record in zip(ids, codec.unpack(block.data, source), strict=False):
            accs[onu].add(record, source)
    if not accs:
        return 0
    records = {onu: acc.record() for onu, acc in accs.items()}
    write_blocks(session, olt_id, target, start, None, records)
    return len(records)


def purge(session: Session, now: datetime, keep: Retention) -> int:
    """Delete blocks past their retention, in batches, then rosters no block uses."""
    deleted = 0
    for resolution, days in (
        (codec.RAW, keep.raw_days),
        (codec.HOUR, keep.hourly_days),
        (codec.DAY, keep.daily_days),
    ):
        cutoff = now - timedelta(days=days)
        while True:
            ids = session.scalars(
                select(SampleBlock.id)
                .where(SampleBlock.resolution == resolution, SampleBlock.at < cutoff)
                .limit(BATCH)
            ).all()
            if not ids:
                break
            session.execute(delete(SampleBlock).where(SampleBlock.id.in_(ids)))
            deleted += len(ids)
    used = select(SampleBlock.roster_id).where(SampleBlock.roster_id == SampleRoster.id)
    session.execute(
        delete(SampleRoster).where(
            SampleRoster.created_at < now - timedelta(hours=1), ~used.exists()
        )
    )
    return deleted


def rollup(session: Session, now: datetime, keep: Retention, max_periods: int = 50) -> dict:
    """Roll up ended hours, then ended days, at most max_periods each; purge; commit each step."""
    report = {"hours": 0, "days": 0, "purged_blocks": 0}
    for target, key in ((codec.HOUR, "hours"), (codec.DAY, "days")):
        pending = _pending_periods(session, target, now)
        for olt_id, start in pending[:max_periods]:
            _roll(session, olt_id, start, target)
            session.commit()
            report[key] += 1
        if len(pending) > max_periods:
            break  # a day is rolled up from its hours only once they are all there
    report["purged_blocks"] = purge(session, now, keep)
    session.commit()
    return report
