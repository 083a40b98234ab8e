"""Where a 10,000-row run-now write goes on PostgreSQL: ids, COPY, its foreign key checks
and index entries, last_run_at, commit (TEST_DATABASE_URL, a throw-away database).

Usage: python bench/runnow_split.py [--olts 1000] [--jobs 10] [--runs 3]

Each case writes the executions of --jobs jobs on --olts OLTs as run_jobs_now does
(jobs.dispatch._take_ids, insert_executions), then rolls back; "no FK checks" sets
session_replication_role = replica (superuser) for the transaction, "no indexes" drops the
executions' secondary indexes inside it. The process's CPU is shown next to the wall time:
the difference is mostly the server's. The last line is
`take_ids_s=… copy_s=… copy_cpu_s=… fk_s=… indexes_s=… last_run_at_s=… commit_s=…`
(medians; fk_s and indexes_s: what the COPY saves without them).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after ROOT: bench/history.py must not hide history/

from sqlalchemy import text, update  # noqa: E402

SECONDARY = (
    "ix_executions_status_created",
    "ix_executions_created",
    "ix_executions_job_name_created",
    "ix_executions_olt_name_created",
    "ix_executions_trigger_created",
    "ix_executions_job_olt_status",
    "uq_executions_one_active",
)


def _timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def measure(url: str, olts: int, jobs: int, runs: int) -> dict[str, list[float]]:
    import scale

    from jobs import dispatch
    from webapp.extensions import db
    from webapp.models import SnmpJob
    from webapp.models.base import utcnow

    app = scale._app(url, "redis://127.0.0.1:1/0")  # nothing is enqueued
    out: dict[str, list[float]] = {}
    with app.app_context():
        job_ids = scale._fill(olts, jobs)

        def case(name: str, setup=None, commit: bool = False) -> None:
            db.session.remove()
            if setup:
                setup()
            plans = dispatch.plan_run(job_ids)
            rows = dispatch._execution_rows(plans, None, "manual", "", None, utcnow())
            ids = []
            took, _ = _timed(lambda: ids.extend(dispatch._take_ids(len(rows))))
            copy, copy_cpu = _timed(lambda: dispatch.insert_executions(rows, ids))
            stamped, _ = _timed(
                lambda: db.session.execute(
                    update(SnmpJob).where(SnmpJob.id.in_(job_ids)).values(last_run_at=utcnow())
                )
            )
            if commit:
                out.setdefault("commit", []).append(_timed(db.session.commit)[0])
                db.session.execute(text("DELETE FROM executions"))
                db.session.commit()
            else:
                db.session.rollback()
            for key, value in (
                ("take_ids", took),
                ("last_run_at", stamped),
                (f"copy {name}", copy),
                (f"copy_cpu {name}", copy_cpu),
            ):
                out.setdefault(key, []).append(value)
            print(f"{name:<18} take_ids {took:.3f}  copy {copy:.3f} (cpu {copy_cpu:.3f})")

        def no_fk() -> None:
            db.session.execute(text("SET LOCAL session_replication_role = replica"))

        def no_indexes() -> None:
            for index in SECONDARY:
                db.session.execute(text(f"DROP INDEX {index}"))

        def neither() -> None:
            no_fk()
            no_indexes()

        for _ in range(runs):
            case("as is", commit=True)
            case("no FK checks", no_fk)
            case("no indexes", no_indexes)
            case("no FK, no indexes", neither)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--olts", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import scale

    with tempfile.TemporaryDirectory(prefix="oltwatch-runnow-split-") as tmp:
        found = None
        for name, url, drop in scale._databases(Path(tmp)):
            if name != "postgresql":
                continue
            try:
                found = measure(url, args.olts, args.jobs, args.runs)
            finally:
                drop()
    if found is None:
        return 1
    m = {key: statistics.median(values) for key, values in found.items()}
    print(
        f"take_ids_s={m['take_ids']:.3f} copy_s={m['copy as is']:.3f} "
        f"copy_cpu_s={m['copy_cpu as is']:.3f} "
        f"fk_s={m['copy as is'] - m['copy no FK checks']:.3f} "
        f"indexes_s={m['copy as is'] - m['copy no indexes']:.3f} "
        f"last_run_at_s={m['last_run_at']:.3f} commit_s={m['commit']:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
