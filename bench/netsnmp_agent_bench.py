"""Verify the snmpd+oltsim benchmark agent and measure its ceiling with snmpbulkwalk.

    .venv/bin/python bench/netsnmp_agent_bench.py            # verify + measure
    .venv/bin/python bench/netsnmp_agent_bench.py --json out.json

1. Verification: snmpbulkwalk -Cr25 and -Cr50 of every Huawei column returns exactly the
   rows of ``generate_rows("huawei", N, seed=1)`` (same OIDs, same order, same values);
   GET of a missing instance/object gives noSuchInstance/noSuchObject; GETNEXT after the
   last object gives endOfMibView.
2. Ceiling, one agent: snmpbulkwalk -Cr50 of the whole Huawei subtree
   (1.3.6.1.4.1.2011.6.128.1.1.2 = every profile column) of a 4,096-ONU OLT; median of
   5 runs of wall time, snmpd CPU time (/proc/<pid>/stat) and snmpbulkwalk CPU time.
3. 20 agents x 1,000 ONUs walked by 20 parallel snmpbulkwalk processes; median of 5.

Installs nothing; exits with status 2 and names the missing Debian packages if needed.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.netsnmp_agent import (  # noqa: E402
    AgentUnavailable,
    NetSnmpAgent,
    build_module,
    missing_packages,
    module_is_current,
)
from snmp.lab.generate import generate_rows, write_snmprec  # noqa: E402

HUAWEI_BASE = "1.3.6.1.4.1.2011.6.128.1.1.2"
WALK_TIMEOUT = 300  # seconds, per snmpbulkwalk
END_OF_MIB = "No more variables left in this MIB View"


def children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def walk_cmd(agent: NetSnmpAgent, oid: str, reps: int, *, hex_strings: bool = True) -> list[str]:
    opts = ["-On", "-Oq"] + (["-Ox"] if hex_strings else [])
    return ["snmpbulkwalk", "-v2c", "-c", agent.community, f"-Cr{reps}", *opts, agent.address, oid]


def parse_walk(text: str) -> list[tuple[str, str]]:
    """(oid without leading dot, value) from ``-On -Oq -Ox`` output (hex may wrap lines)."""
    out: list[tuple[str, str]] = []
    for line in text.splitlines():
        if END_OF_MIB in line:  # printed by snmpbulkwalk when the walk hits endOfMibView
            continue
        if line.startswith(".1."):
            oid, _, value = line.partition(" ")
            out.append((oid[1:], value.strip()))
        elif out and line.strip():  # continuation of a wrapped Hex-STRING
            oid, value = out[-1]
            out[-1] = (oid, f"{value} {line.strip()}")
    return out


def count_values(text: str) -> int:
    """Values in -On -Oq output of int/printable values (no wrapped hex)."""
    return sum(1 for line in text.splitlines() if line.startswith(".1.") and END_OF_MIB not in line)


def normalise(tag: str, value: str) -> str:
    """Expected snmprec value as snmpbulkwalk -Oq -Ox prints it (hex without spaces)."""
    if tag == "2":
        return str(int(value))
    if tag == "4":
        return value.encode("latin-1").hex()
    if tag == "4x":
        return value.lower()
    return value


def printed(value: str, tag: str) -> str:
    if tag in ("4", "4x"):
        return value.strip('"').replace(" ", "").lower()  # -Ox: "48 57 54 43 A3 ... "
    return value


# ----------------------------------------------------------------------------- verify


def verify(agent: NetSnmpAgent, rows: list[tuple[str, str, str]], columns: list[str]) -> list[str]:
    """Compare walks with the generated rows; returns human-readable check lines."""
    report = []
    env = agent.client_env()
    for col in columns:
        expected = [(o, t, v) for o, t, v in rows if o.startswith(col + ".")]
        for reps in (25, 50):
            proc = subprocess.run(
                walk_cmd(agent, col, reps),
                capture_output=True,
                text=True,
                env=env,
                timeout=WALK_TIMEOUT,
            )
            got = parse_walk(proc.stdout)
            if proc.returncode != 0:
                raise AssertionError(f"snmpbulkwalk {col} failed: {proc.stderr}")
            if [o for o, _ in got] != [o for o, _, _ in expected]:
                raise AssertionError(
                    f"{col} -Cr{reps}: OIDs differ ({len(got)} walked, {len(expected)} generated)"
                )
            bad = [
                (o, v, normalise(t, ev))
                for (o, v), (_, t, ev) in zip(got, expected, strict=True)
                if printed(v, t) != normalise(t, ev)
            ]
            if bad:
                raise AssertionError(f"{col} -Cr{reps}: {len(bad)} values differ, e.g. {bad[:3]}")
            tags = sorted({t for _, t, _ in expected})
            report.append(f"OK  {col} -Cr{reps}: {len(got)} rows, all values equal (tags {tags})")

    # GET / GETNEXT edge cases
    first_col = columns[0]
    last_oid = rows[-1][0]
    checks = [
        (["snmpget"], f"{first_col}.1.1", "No Such Instance"),
        (["snmpget"], f"{HUAWEI_BASE}.99.1.1.1.1", "No Such Object"),
        (["snmpgetnext"], last_oid, "No more variables left in this MIB View"),
    ]
    for tool, oid, want in checks:
        proc = subprocess.run(
            [*tool, "-v2c", "-c", agent.community, "-On", agent.address, oid],
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
        )
        text = proc.stdout + proc.stderr
        if want not in text:
            raise AssertionError(f"{tool[0]} {oid}: expected {want!r}, got {text!r}")
        report.append(f"OK  {tool[0]} {oid} -> {want}")
    return report


# ----------------------------------------------------------------------------- measure


def measure_single(agent: NetSnmpAgent, expected: int, reps: int, runs: int) -> dict:
    env = agent.client_env()
    samples = []
    for _ in range(runs):
        cpu0, sch0 = agent.cpu_seconds(), agent.cpu_seconds_precise()
        ccpu0, t0 = children_cpu(), time.perf_counter()
        proc = subprocess.run(
            walk_cmd(agent, HUAWEI_BASE, reps, hex_strings=False),
            capture_output=True,
            text=True,
            env=env,
            timeout=WALK_TIMEOUT,
        )
        wall = time.perf_counter() - t0
        cpu, ccpu = agent.cpu_seconds() - cpu0, children_cpu() - ccpu0
        sch = agent.cpu_seconds_precise() - sch0
        n = count_values(proc.stdout)
        if proc.returncode != 0 or n != expected:
            raise AssertionError(f"walk returned {n} values, expected {expected}: {proc.stderr}")
        samples.append({"wall": wall, "agent_cpu": cpu, "agent_cpu_sched": sch, "client_cpu": ccpu})
    return summarise(samples, expected)


def measure_parallel(agents: list[NetSnmpAgent], expected: list[int], reps: int, runs: int) -> dict:
    samples = []
    total = sum(expected)
    for _ in range(runs):
        cpu0 = [a.cpu_seconds() for a in agents]
        sch0 = [a.cpu_seconds_precise() for a in agents]
        ccpu0, t0 = children_cpu(), time.perf_counter()
        procs = [
            subprocess.Popen(
                walk_cmd(a, HUAWEI_BASE, reps, hex_strings=False),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=a.client_env(),
            )
            for a in agents
        ]
        outs = []
        try:
            for p in procs:
                outs.append(p.communicate(timeout=WALK_TIMEOUT))
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        wall = time.perf_counter() - t0
        cpu = sum(a.cpu_seconds() - c for a, c in zip(agents, cpu0, strict=True))
        sch = sum(a.cpu_seconds_precise() - c for a, c in zip(agents, sch0, strict=True))
        ccpu = children_cpu() - ccpu0
        for p, (out, err), want in zip(procs, outs, expected, strict=True):
            n = count_values(out)
            if p.returncode != 0 or n != want:
                raise AssertionError(f"parallel walk returned {n} values, expected {want}: {err}")
        samples.append({"wall": wall, "agent_cpu": cpu, "agent_cpu_sched": sch, "client_cpu": ccpu})
    return summarise(samples, total)


def summarise(samples: list[dict], values: int) -> dict:
    med = {k: statistics.median(s[k] for s in samples) for k in samples[0]}
    return {
        "values": values,
        "runs": len(samples),
        "wall_s": med["wall"],
        "agent_cpu_s": med["agent_cpu"],
        "agent_cpu_sched_s": med["agent_cpu_sched"],
        "client_cpu_s": med["client_cpu"],
        "values_per_s_wall": values / med["wall"],
        "values_per_agent_cpu_s": values / med["agent_cpu"] if med["agent_cpu"] else None,
        "values_per_agent_cpu_sched_s": (
            values / med["agent_cpu_sched"] if med["agent_cpu_sched"] else None
        ),
        "samples": samples,
    }


def fmt(label: str, r: dict) -> str:
    ceiling = r["values_per_agent_cpu_s"]
    return (
        f"{label}: {r['values']} values, median of {r['runs']}: wall {r['wall_s']:.3f}s "
        f"= {r['values_per_s_wall']:,.0f} values/s; snmpd CPU {r['agent_cpu_s']:.3f}s"
        + (f" = {ceiling:,.0f} values per snmpd CPU-second" if ceiling else "")
        + f" (schedstat: {r['agent_cpu_sched_s']:.3f}s = "
        f"{r['values_per_agent_cpu_sched_s'] or 0:,.0f}/s)"
        + f"; snmpbulkwalk CPU {r['client_cpu_s']:.3f}s"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--onus", type=int, default=4096)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--olts", type=int, default=20)
    ap.add_argument("--olt-onus", type=int, default=1000)
    ap.add_argument("--reps", type=int, nargs="+", default=[25, 50])
    ap.add_argument("--skip-verify", action="store_true")
    ap.add_argument("--skip-parallel", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)

    try:
        missing = missing_packages(
            build=not module_is_current(),
            client_tools=("snmpbulkwalk", "snmpget", "snmpgetnext"),
        )
        if missing:
            raise AgentUnavailable(
                f"missing Debian package(s): {', '.join(missing)} "
                f"(apt-get install -y {' '.join(missing)}); nothing was installed"
            )
        print(f"module: {build_module()}")
    except AgentUnavailable as exc:
        print(f"cannot run: {exc}", file=sys.stderr)
        return 2

    from snmp.lab.generate import get_shape, served_columns

    columns = [c.oid for c in served_columns(get_shape("huawei"))]
    results: dict = {"columns": columns}
    with tempfile.TemporaryDirectory(prefix="oltsim-bench-") as tmp:
        tmpdir = Path(tmp)
        rows = generate_rows("huawei", args.onus, seed=1)
        data = write_snmprec(tmpdir / f"huawei-{args.onus}.snmprec", rows)
        expected = sum(1 for o, _, _ in rows if o.startswith(HUAWEI_BASE + "."))
        with NetSnmpAgent(data) as agent:
            print(f"agent: {agent} serving {agent.objects} objects")
            if not args.skip_verify:
                for line in verify(agent, rows, columns):
                    print(line)
            for reps in args.reps:
                r = measure_single(agent, expected, reps, args.runs)
                results[f"single_r{reps}"] = r
                print(fmt(f"1 agent x {args.onus} ONUs, 1 snmpbulkwalk -Cr{reps}", r))

        if not args.skip_parallel:
            agents: list[NetSnmpAgent] = []
            counts = []
            try:
                for i in range(args.olts):
                    rows_i = generate_rows("huawei", args.olt_onus, seed=i + 1)
                    counts.append(sum(1 for o, _, _ in rows_i if o.startswith(HUAWEI_BASE + ".")))
                    path = write_snmprec(tmpdir / f"olt{i:02d}.snmprec", rows_i)
                    agents.append(NetSnmpAgent(path).start())
                for reps in args.reps:
                    r = measure_parallel(agents, counts, reps, args.runs)
                    results[f"parallel_r{reps}"] = r
                    print(
                        fmt(
                            f"{args.olts} agents x {args.olt_onus} ONUs, "
                            f"{args.olts} parallel snmpbulkwalk -Cr{reps}",
                            r,
                        )
                    )
            finally:
                for a in agents:
                    a.stop()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
