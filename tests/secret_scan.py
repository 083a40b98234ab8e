"""Search stored data for secrets, in every form they could leak in.

Used by tests/test_secrets.py and bench/chaos.py: a secret may show as text, as hex (upper or
lower case: a pysnmp dump of an OCTET STRING), or inside RQ's zlib-compressed job data.
"""

from __future__ import annotations

import zlib

from rq.job import Job


def forms(secret: str) -> tuple[bytes, ...]:
    """The secret as text and as hex."""
    raw = secret.encode()
    return raw, raw.hex().encode(), raw.hex().upper().encode()


def unpacked(value: bytes) -> list[bytes]:
    """A Redis value, and what it holds when it is zlib-compressed (RQ's job data)."""
    out = [value]
    try:
        out.append(zlib.decompress(value))
    except zlib.error:
        pass
    return out


def redis_dump(redis) -> dict[str, bytes]:
    """Every Redis key with its values (unpacked), and every RQ job as RQ reads it."""
    out = {}
    for key in redis.scan_iter("*"):
        kind = redis.type(key).decode()
        if kind == "string":
            values = [redis.get(key)]
        elif kind == "hash":
            values = [x for kv in redis.hgetall(key).items() for x in kv]
        elif kind == "list":
            values = redis.lrange(key, 0, -1)
        elif kind == "set":
            values = list(redis.smembers(key))
        elif kind == "zset":
            values = redis.zrange(key, 0, -1)
        elif kind == "stream":
            values = [x for _id, entry in redis.xrange(key) for kv in entry.items() for x in kv]
        else:
            values = []
        blob = [key] + [v for value in values if value for v in unpacked(value)]
        out[f"redis {key.decode(errors='replace')}"] = b"\n".join(blob)
    for key in redis.scan_iter("rq:job:*"):
        job_id = key.decode().split(":", 2)[2]
        if ":" in job_id:
            continue
        job = Job.fetch(job_id, connection=redis)
        seen = [job.description, job.args, job.kwargs, job.meta, job.func_name]
        result = job.latest_result()
        if result is not None:
            seen += [result.return_value, result.exc_string]
        out[f"rq job {job_id}"] = repr(seen).encode() + b"\n" + bytes(job.data)
    return out
