"""`make run` as a user runs it: the embedded system comes up, serves /health, and a Ctrl-C
stops every part quietly (no traceback, each log event on one line, no process left)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import ROOT
from webapp.devstack import free_tcp_port


def _ours(instance: Path) -> list[int]:
    """Processes whose environment names this run's instance folder (devstack's children
    inherit it, whichever session they were started in)."""
    marker = f"OLTWATCH_INSTANCE={instance}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:  # gone, or not ours to read
                pass
    return found


def _health(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
            return answer.status
    except OSError:
        return 0


def test_make_run_comes_up_and_a_ctrl_c_stops_it_quietly(tmp_path):
    instance, port = tmp_path / "instance", free_tcp_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(OLTWATCH_EMBEDDED="1", OLTWATCH_INSTANCE=str(instance), PORT=str(port), WORKERS="2")
    log = (tmp_path / "make-run.log").open("w+")
    # its own process group, as a shell gives a foreground job: the terminal's Ctrl-C is a
    # SIGINT to the whole group
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "manage_cli.py"), "devstack"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, process_group=0,
    )  # fmt: skip
    try:
        deadline, status = time.monotonic() + 120, 0
        while status != 200 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
            status = _health(port)
        assert status == 200, Path(log.name).read_text()[-3000:]
        time.sleep(4)  # the scheduler ticks and the workers poll the lab meanwhile
        os.killpg(proc.pid, signal.SIGINT)
        rc = proc.wait(120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        log.close()
    output = Path(log.name).read_text()
    assert rc == 0, output[-3000:]
    assert "Traceback" not in output and "StopRequested" not in output, output[-3000:]
    # every line but the web server's access log (two requests in one second look alike)
    lines = [line for line in output.splitlines() if line.strip() and " HTTP/1." not in line]
    repeated = sorted({line for line in lines if lines.count(line) > 1})
    assert not repeated, "printed more than once:\n" + "\n".join(repeated)
    assert "stopped workers" in output and "stopped redis-server" in output
    deadline = time.monotonic() + 10
    while _ours(instance) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _ours(instance) == [], "left running after Ctrl-C"
