"""ONU history at an ISP's size: append, bytes per sample, the 90-day chart, the rollup.

Usage: python bench/history.py [--onus 16384] [--raw-days 7] [--hourly-days 90] [--queries 50]

On a fresh SQLite file and, when TEST_DATABASE_URL names a PostgreSQL server, a fresh
database next to it (dropped at the end), for one OLT of --onus ONUs:
1. appends --raw-days of polls every 15 minutes (96 a day; 7 days of 16,384 ONUs are 11
   million samples) through history.samples.append, one transaction per poll, and times each;
2. measures the table's size on PostgreSQL (heap, TOAST and indexes) per raw sample;
3. adds --hourly-days of hourly rollups (as the housekeeping writes them) and times the
   rollup of one hour of raw samples (history.rollup);
4. asks history.query.series for the 90-day chart of --queries random ONUs.
The last line is `append16k_s_max=<s> bytes_per_sample_pg=<b> chart90d_ms_p95=<ms>` (the
slowest database's append and chart; bytes on PostgreSQL, "n/a" without it).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from history import codec, query, rollup, samples  # noqa: E402

POLLS_PER_DAY = 96


def _databases(tmp: Path):
    import upsert  # bench/upsert.py: the throw-away PostgreSQL database of every bench

    return upsert.databases(tmp, "history.db")


def _onus(db, olt_id: int, n: int) -> list[int]:
    from webapp.models import Onu

    rows = [
        dict(olt_id=olt_id, position=f"0/{i // 2048}/{i // 128 % 16}:{i % 128}", raw_index=str(i))
        for i in range(n)
    ]
    for start in range(0, n, 2000):
        db.session.execute(insert(Onu), rows[start : start + 2000])
    db.session.commit()
    return sorted(db.session.scalars(text("SELECT id FROM onus")).all())


def _poll(ids: list[int], rng: random.Random) -> dict:
    """One poll's samples: most ONUs online around -20 dBm, a few offline (no light)."""
    out = {}
    for onu in ids:
        if rng.random() < 0.05:
            out[onu] = (None, None, 2, None)
        else:
            out[onu] = (-20 + rng.uniform(-6, 4), 2 + rng.uniform(-1, 1), 1, 1000 + onu % 20000)
    return out


def _size_pg(db) -> int:
    return db.session.scalar(
        text(
            "SELECT pg_total_relation_size('sample_blocks') + "
            "pg_total_relation_size('sample_rosters')"
        )
    )


def measure(name: str, url: str, args) -> dict:
    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import Olt, SampleBlock

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
    rng = random.Random(7)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        olt = Olt(name="bench", host="127.0.0.1", community="bench")
        db.session.add(olt)
        db.session.commit()
        ids = _onus(db, olt.id, args.onus)
        polls = [_poll(ids, rng) for _ in range(4)]  # values vary; content does not change costs
        now = datetime.now(UTC).replace(microsecond=0)
        start = now - timedelta(days=args.raw_days)
        appends = []
        total = args.raw_days * POLLS_PER_DAY
        for k in range(total):
            at = start + timedelta(minutes=15 * k)
            t0 = time.perf_counter()
            samples.append(db.session, olt.id, None, at, polls[k % 4])
            db.session.commit()
            appends.append(time.perf_counter() - t0)
        raw_samples = total * len(ids)
        size = _size_pg(db) if name == "postgresql" else None
        # hourly rollups for the older days, as the housekeeping leaves them
        first_hour = rollup._floor(start, codec.HOUR)
        t0 = time.perf_counter()
        rollup._roll(db.session, olt.id, first_hour + timedelta(hours=1), codec.HOUR)
        db.session.commit()
        roll_s = time.perf_counter() - t0
        segments = db.session.execute(
            text("SELECT roster_id, data FROM sample_blocks WHERE resolution = 1")
        ).all()  # the hour's blocks, one per 1,024 ONUs
        hours = [first_hour - timedelta(hours=h) for h in range(1, args.hourly_days * 24 - 24 * 7)]
        for chunk in range(0, len(hours), 8):
            blocks = [
                dict(olt_id=olt.id, roster_id=roster, resolution=codec.HOUR, at=h, data=data)
                for h in hours[chunk : chunk + 8]
                for roster, data in segments
            ]
            db.session.execute(insert(SampleBlock), blocks)
            db.session.commit()
        if name == "postgresql":
            db.session.execute(text("ANALYZE sample_blocks"))
            db.session.commit()
        charts = []
        for onu in rng.sample(ids, args.queries):
            t0 = time.perf_counter()
            result = query.series(db.session, olt.id, onu, now - timedelta(days=90), now)
            db.session.commit()
            charts.append(time.perf_counter() - t0)
            got = (result["resolution"], len(result["points"]))
            assert got[0] == "hour" and got[1] >= len(hours), f"chart of ONU {onu}: {got}"
        total_blocks = db.session.scalar(text("SELECT count(*) FROM sample_blocks"))
        db.session.remove()
        db.engine.dispose()  # before the database is dropped
    charts.sort()
    return {
        "append_med": statistics.median(appends),
        "append_max": max(appends),
        "raw_samples": raw_samples,
        "bytes_per_sample": size / raw_samples if size else None,
        "roll_s": roll_s,
        "chart_p50_ms": 1000 * statistics.median(charts),
        "chart_p95_ms": 1000 * charts[int(0.95 * (len(charts) - 1))],
        "blocks": total_blocks,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onus", type=int, default=16384)
    parser.add_argument("--raw-days", type=int, default=7)
    parser.add_argument("--hourly-days", type=int, default=90)
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="oltwatch-history-") as tmp:
        for name, url, drop in _databases(Path(tmp)):
            try:
                results[name] = r = measure(name, url, args)
            finally:
                drop()
            per = f"{r['bytes_per_sample']:.2f} bytes per sample, " if r["bytes_per_sample"] else ""
            print(
                f"{name:10s} {r['raw_samples']:,} raw samples ({r['blocks']} blocks): append of "
                f"{args.onus} ONUs median {r['append_med']:.3f} s, max {r['append_max']:.3f} s; "
                f"{per}rollup of an hour {r['roll_s']:.2f} s; 90-day chart p50 "
                f"{r['chart_p50_ms']:.1f} ms, p95 {r['chart_p95_ms']:.1f} ms"
            )
    pg = results.get("postgresql", {}).get("bytes_per_sample")
    print(
        f"append16k_s_max={max(r['append_max'] for r in results.values()):.3f} "
        f"bytes_per_sample_pg={f'{pg:.2f}' if pg else 'n/a'} "
        f"chart90d_ms_p95={max(r['chart_p95_ms'] for r in results.values()):.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
