"""Append what a poll read (rx, tx, state, distance per ONU) as one packed block.

Called by the store step inside its transaction, so that the inventory and its history
commit or roll back together. One INSERT per poll (a block per 512 ONUs), plus a roster
per block whose set of ONUs the OLT never had before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from history import codec
from webapp.models.history import SampleBlock, SampleRoster

# A sample: (rx dBm, tx dBm, state value, distance m), any of them None.
# ONUs per block: a chart reads one record per block, and SQLite's substr() reads the whole
# value, so blocks stay small (4 KB raw, 9 KB rolled up); PostgreSQL fetches only the TOAST
# chunk it needs either way. Measured by bench/history.py.
SEGMENT = 512
Sample = tuple[float | None, float | None, int | None, int | None]


def roster_ids(
    session: Session, olt_id: int, chunks: Sequence[Sequence[int]], now: datetime
) -> list[int]:
    """The roster of each chunk of (sorted) ONU ids, created where the OLT never had it."""
    packed = [codec.pack_ids(ids) for ids in chunks]
    digests = [hashlib.sha1(p).hexdigest() for p in packed]
    known = dict(
        session.execute(
            select(SampleRoster.digest, SampleRoster.id).where(
                SampleRoster.olt_id == olt_id, SampleRoster.digest.in_(set(digests))
            )
        ).all()
    )
    out = []
    for ids, blob, digest in zip(chunks, packed, digests, strict=True):
        if digest not in known:
            known[digest] = session.execute(
                insert(SampleRoster)
                .values(
                    olt_id=olt_id,
                    digest=digest,
                    count=len(ids),
                    first_id=ids[0],
                    last_id=ids[-1],
                    onu_ids=blob,
                    created_at=now,
                )
                .returning(SampleRoster.id)
            ).scalar_one()
        out.append(known[digest])
    return out


def write_blocks(
    session: Session,
    olt_id: int,
    resolution: int,
    at: datetime,
    execution_id: int | None,
    records: Mapping[int, Sequence[int | None]],
) -> None:
    """Write packed records of ONU ids as blocks of SEGMENT ONUs each (one INSERT)."""
    ids = sorted(records)
    chunks = [ids[k : k + SEGMENT] for k in range(0, len(ids), SEGMENT)]
    rosters = roster_ids(session, olt_id, chunks, at)
    session.execute(
        insert(SampleBlock),
        [
            dict(
                olt_id=olt_id,
                roster_id=roster,
                resolution=resolution,
                at=at,
                execution_id=execution_id,
                data=codec.pack((records[i] for i in chunk), resolution),
            )
            for chunk, roster in zip(chunks, rosters, strict=True)
        ],
    )


def append(
    session: Session,
    olt_id: int,
    execution_id: int | None,
    at: datetime,
    samples: Mapping[int, Sample],
) -> int:
    """Store one sample per ONU id as raw blocks; return how many (0: nothing stored)."""
    records = {
        onu: (codec.centi(rx), codec.centi(tx), state, distance)
        for onu, (rx, tx, state, distance) in samples.items()
    }
    return append_records(session, olt_id, execution_id, at, records)


def append_records(
    session: Session,
    olt_id: int,
    execution_id: int | None,
    at: datetime,
    records: Mapping[int, Sequence[int | None]],
) -> int:
    """append() for records already in the raw form (rx and tx in hundredths: codec.centi)."""
    if not records:
        return 0
    write_blocks(session, olt_id, codec.RAW, at, execution_id, records)
    return len(records)
