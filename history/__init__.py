"""ONU history: samples of what each poll read, rolled up hourly and daily; no Flask here.

The store step of a job calls ``history.samples.append`` inside its own transaction; the
scheduler's housekeeping calls ``history.rollup``; the web side reads with
``history.query``.
"""
