"""Run net-snmp's snmpd with the in-memory ``oltsim`` dlmod as a fast benchmark agent.

snmpsim serves ~5k values/s, which makes it the bottleneck of any client benchmark.
This helper compiles ``bench/agent/oltsim.c`` (a net-snmp dlmod that loads an snmprec
file into a sorted array and answers GET/GETNEXT/GETBULK with a binary search) and runs
``/usr/sbin/snmpd`` on 127.0.0.1 with it, with all state in a temporary directory.

    from bench.netsnmp_agent import NetSnmpAgent, build_module
    from snmp.lab.generate import generate_rows, write_snmprec

    write_snmprec("/tmp/h.snmprec", generate_rows("huawei", 4096, seed=1))
    with NetSnmpAgent("/tmp/h.snmprec", community="public") as agent:
        print(agent.host, agent.port)            # 127.0.0.1 <free UDP port>
        ...                                      # poll it
        print(agent.cpu_seconds())               # agent CPU time (user+sys) so far

Nothing is installed by this module; if a tool is missing, ``AgentUnavailable`` names the
Debian packages to install (``apt-get install -y snmpd snmp libsnmp-dev gcc make``).

The data is served in a private SNMP context (``com2sec -Cn oltsim ...``): the community
maps to a context where only the oltsim module is registered, so the agent serves exactly
the snmprec file (no host sysDescr/IF-MIB/UCD objects mixed in), and a walk past the last
object returns endOfMibView.  Clients need nothing special: v1/v2c communities select the
context on the agent side.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = [
    "AGENT_DIR",
    "BUILD_DIR",
    "MODULE_SOURCE",
    "AgentUnavailable",
    "NetSnmpAgent",
    "build_module",
    "free_udp_port",
    "module_is_current",
    "missing_packages",
    "proc_cpu_seconds",
    "proc_sched_seconds",
    "snmp_ping",
    "require_client_tools",
]

AGENT_DIR = Path(__file__).resolve().parent / "agent"
MODULE_SOURCE = AGENT_DIR / "oltsim.c"
BUILD_DIR = AGENT_DIR / "build"
MODULE_PATH = BUILD_DIR / "oltsim.so"
SNMPD = "/usr/sbin/snmpd"
HOST = "127.0.0.1"


# log messages after which snmpd will never serve the data
_FATAL_LOG = (
    "oltsim: cannot open",
    "oltsim: no data file",
    "oltsim: out of memory",
    "oltsim: registration failed",
    ") failed: ",  # dlmod: "dlopen(<path>) failed: <reason>"
    "Error opening specified endpoint",
)


class AgentUnavailable(RuntimeError):
    """A tool needed to build or run the agent is missing (message names the packages)."""


# ----------------------------------------------------------------------------- checks


def missing_packages(
    *, build: bool = True, run: bool = True, client_tools: tuple[str, ...] = ()
) -> list[str]:
    """Debian packages whose tools are missing for building and/or running the agent.

    client_tools: net-snmp commands (e.g. "snmpbulkwalk") to require too (package snmp).
    """
    missing: list[str] = []
    if build:
        if not shutil.which("gcc"):
            missing.append("gcc")
        if (
            not shutil.which("net-snmp-config")
            or not Path("/usr/include/net-snmp/net-snmp-config.h").exists()
        ):
            missing.append("libsnmp-dev")
    if run and not os.access(SNMPD, os.X_OK):
        missing.append("snmpd")
    if any(not shutil.which(t) for t in client_tools):
        missing.append("snmp")
    return missing


def _raise_missing(missing: list[str], what: str) -> None:
    if missing:
        raise AgentUnavailable(
            f"cannot {what}: missing Debian package(s) {', '.join(missing)} "
            f"(install with: apt-get install -y {' '.join(missing)}); nothing was installed"
        )


def require_client_tools(*tools: str) -> dict[str, str]:
    """Paths of net-snmp command-line tools (package ``snmp``), or AgentUnavailable."""
    tools = tools or ("snmpbulkwalk", "snmpget")
    found = {t: shutil.which(t) for t in tools}
    lacking = [t for t, p in found.items() if not p]
    if lacking:
        raise AgentUnavailable(
            f"missing command(s) {', '.join(lacking)}: install the Debian package 'snmp' "
            "(apt-get install -y snmp); nothing was installed"
        )
    return {t: p for t, p in found.items() if p}


# ----------------------------------------------------------------------------- build


def module_is_current() -> bool:
    """True if bench/agent/build/oltsim.so exists and is newer than oltsim.c."""
    return MODULE_PATH.exists() and MODULE_PATH.stat().st_mtime >= MODULE_SOURCE.stat().st_mtime


def build_module(force: bool = False) -> Path:
    """Compile bench/agent/oltsim.c into bench/agent/build/oltsim.so (once) and return it.

    Rebuilt only when missing or older than the source.  The output is written to a
    temporary name and renamed, so parallel callers never see a half-written module.
    """
    if not force and module_is_current():
        return MODULE_PATH
    _raise_missing(missing_packages(build=True, run=False), "build the oltsim snmpd module")
    cflags = subprocess.run(
        ["net-snmp-config", "--cflags"], capture_output=True, text=True, check=True
    ).stdout.split()
    libs = subprocess.run(
        ["net-snmp-config", "--agent-libs"], capture_output=True, text=True, check=True
    ).stdout.split()
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    tmp = BUILD_DIR / f".oltsim.{os.getpid()}.so"
    cmd = [
        "gcc",
        "-shared",
        "-fPIC",
        "-O2",
        "-Wall",
        *cflags,
        "-o",
        str(tmp),
        str(MODULE_SOURCE),
        *libs,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        hint = ""
        if "No such file" in proc.stderr or "cannot find -l" in proc.stderr:
            hint = " (headers/libraries missing: apt-get install -y libsnmp-dev)"
        raise AgentUnavailable(f"building oltsim.so failed{hint}:\n{' '.join(cmd)}\n{proc.stderr}")
    os.replace(tmp, MODULE_PATH)
    return MODULE_PATH


# ----------------------------------------------------------------------------- helpers


def free_udp_port(host: str = HOST) -> int:
    """A UDP port that was free on host a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds, from /proc/<pid>/stat."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) "
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of stat(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def proc_sched_seconds(pid: int) -> float | None:
    """On-CPU time of a process's main thread from /proc/<pid>/schedstat (ns resolution).

    snmpd is single-threaded, so this is its CPU time with better resolution than the
    10 ms ticks of /proc/<pid>/stat.  None when the kernel has no schedstat.
    """
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def _ber_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _ber_len(len(body)) + body


def _probe_packet(community: str, request_id: int) -> bytes:
    """SNMPv2c GetRequest for 1.3.6.1.2.1.1.1.0 (any response proves the agent is up)."""
    oid = _tlv(0x06, bytes([0x2B, 6, 1, 2, 1, 1, 1, 0]))
    varbind = _tlv(0x30, oid + b"\x05\x00")
    rid = _tlv(0x02, request_id.to_bytes(4, "big"))
    pdu = _tlv(0xA0, rid + b"\x02\x01\x00\x02\x01\x00" + _tlv(0x30, varbind))
    return _tlv(0x30, b"\x02\x01\x01" + _tlv(0x04, community.encode()) + pdu)


def snmp_ping(host: str, port: int, community: str, timeout: float = 0.2) -> bool:
    """True if an SNMPv2c agent answers a GET with this community."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.sendto(_probe_packet(community, 0x4F4C54), (host, port))
            data = s.recv(65535)
        except OSError:  # timeout, ICMP port unreachable
            return False
    return data[:1] == b"\x30" and b"\xa2" in data


# ----------------------------------------------------------------------------- agent


class NetSnmpAgent:
    """snmpd + oltsim serving one snmprec file on 127.0.0.1:<port> (context manager).

    Parameters:
        snmprec: the data file (``oid|tag|value`` lines).
        community: v1/v2c read-only community.
        port: UDP port; default a free one.
        context: SNMP context the module registers in and the community maps to.
        max_bulk_responses: ``maxGetbulkResponses`` (-1 = unlimited; snmpd's default, 100,
            silently truncates bulk replies).
        startup_timeout: seconds to wait for the agent to answer.
        workdir: where conf/log/pid/persistent files go (default: a new temp dir,
            removed on stop).
        extra_conf: additional snmpd.conf lines.
    """

    def __init__(
        self,
        snmprec: Path | str,
        community: str = "public",
        port: int | None = None,
        *,
        context: str = "oltsim",
        max_bulk_responses: int = -1,
        startup_timeout: float = 10.0,
        workdir: Path | str | None = None,
        extra_conf: tuple[str, ...] | list[str] = (),
    ) -> None:
        self.snmprec = Path(snmprec).resolve()
        self.community = community
        self.host = HOST
        self.port = port
        self.context = context
        self.max_bulk_responses = max_bulk_responses
        self.startup_timeout = startup_timeout
        self.extra_conf = list(extra_conf)
        self._workdir_arg = Path(workdir) if workdir else None
        self.workdir: Path | None = None
        self._own_workdir = False
        self.proc: subprocess.Popen | None = None
        self.objects: int | None = None

    # paths ------------------------------------------------------------------
    @property
    def conf_path(self) -> Path:
        return self._dir / "snmpd.conf"

    @property
    def log_path(self) -> Path:
        return self._dir / "snmpd.log"

    @property
    def pid_path(self) -> Path:
        return self._dir / "snmpd.pid"

    @property
    def _dir(self) -> Path:
        if self.workdir is None:
            raise RuntimeError("agent not started")
        return self.workdir

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError("agent not started")
        return self.proc.pid

    @property
    def address(self) -> str:
        """``127.0.0.1:<port>`` as net-snmp tools take it."""
        return f"{self.host}:{self.port}"

    # config -----------------------------------------------------------------
    def _conf_text(self, module: Path) -> str:
        ctx = self.context
        lines = [
            f"agentAddress udp:{self.host}:{self.port}",
        ]
        if ctx:
            # rocommunity cannot map a community to a context; com2sec -Cn can.
            lines += [
                f"com2sec -Cn {ctx} oltsimro {self.host} {self.community}",
                "group oltsimgrp v1 oltsimro",
                "group oltsimgrp v2c oltsimro",
                "view oltsimall included .1",
                f"access oltsimgrp {ctx} any noauth exact oltsimall none none",
            ]
        else:
            lines.append(f"rocommunity {self.community} {self.host}")
        lines += [
            f"maxGetbulkResponses {self.max_bulk_responses}",
            "maxGetbulkRepeats -1",
            # else snmpd logs "Connection from UDP: ..." for every request (CPU + disk)
            "dontLogTCPWrappersConnects yes",
            f"dlmod oltsim {module}",
        ]
        if ctx:
            lines.append(f"oltsimContext {ctx}")
        lines.append(f"oltsimFile {self.snmprec}")
        lines += self.extra_conf
        return "\n".join(lines) + "\n"

    # lifecycle ----------------------------------------------------------------
    def start(self) -> NetSnmpAgent:
        if self.proc is not None:
            return self
        if not self.snmprec.is_file():
            raise FileNotFoundError(self.snmprec)
        _raise_missing(missing_packages(build=False, run=True), "run the benchmark agent")
        module = build_module()
        if self._workdir_arg:
            self.workdir = self._workdir_arg
            self.workdir.mkdir(parents=True, exist_ok=True)
        else:
            self.workdir = Path(tempfile.mkdtemp(prefix="oltsim-snmpd-"))
            self._own_workdir = True
        fixed_port = self.port is not None
        last_error = ""
        for _attempt in range(3 if not fixed_port else 1):  # port races: retry
            if not fixed_port:
                self.port = free_udp_port(self.host)
            try:
                self._spawn(module)
                return self
            except AgentUnavailable as exc:
                last_error = str(exc)
                self._kill()
                if "Error opening specified endpoint" not in last_error:
                    break
        self._cleanup()
        raise AgentUnavailable(last_error)

    def _spawn(self, module: Path) -> None:
        d = self._dir
        persist = d / "persist"
        persist.mkdir(exist_ok=True)
        self.conf_path.write_text(self._conf_text(module))
        self.log_path.write_text("")
        env = dict(os.environ)
        env["SNMP_PERSISTENT_DIR"] = str(persist)
        env["SNMPCONFPATH"] = str(d)
        env.pop("OLTSIM_FILE", None)
        env.pop("OLTSIM_CONTEXT", None)
        cmd = [
            SNMPD,
            "-f",  # foreground: the Popen pid is snmpd
            "-C",
            "-c",
            str(self.conf_path),  # only our config file
            "-p",
            str(self.pid_path),
            "-Lf",
            str(self.log_path),
            "-M",
            str(d / "no-mibs"),
            "-m",
            "",  # do not parse MIB files (noise, time)
            "--persistentDir=" + str(persist),
        ]
        with open(d / "snmpd.stdio", "wb") as out:
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=d,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AgentUnavailable(
                    f"snmpd exited with {self.proc.returncode}:\n{self._log_tail()}"
                )
            if snmp_ping(self.host, self.port, self.community):
                break
            log = self.log_path.read_text(errors="replace")
            fatal = [m for m in _FATAL_LOG if m in log]
            if fatal:
                raise AgentUnavailable(f"snmpd/oltsim failed ({fatal[0]!r}):\n{self._log_tail()}")
            time.sleep(0.05)
        else:
            raise AgentUnavailable(
                f"snmpd did not answer on {self.address} within {self.startup_timeout}s:\n"
                f"{self._log_tail()}"
            )
        log = self.log_path.read_text(errors="replace")
        if "oltsim: loaded" not in log or "registration(s)" not in log:
            raise AgentUnavailable(f"oltsim module did not load the data:\n{self._log_tail()}")
        for line in log.splitlines():
            if line.startswith("oltsim: loaded "):
                self.objects = int(line.split()[2])

    def _log_tail(self, lines: int = 30) -> str:
        parts = []
        for p in (self.log_path, self._dir / "snmpd.stdio"):
            if p.exists():
                parts += p.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(parts)

    def _kill(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def _cleanup(self) -> None:
        if self._own_workdir and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
            self._own_workdir = False

    def stop(self) -> None:
        """Terminate snmpd (SIGTERM, wait, SIGKILL) and remove the temp dir."""
        self._kill()
        self._cleanup()

    def cpu_seconds(self) -> float:
        """CPU time (user+system) the snmpd process has used so far."""
        return proc_cpu_seconds(self.pid)

    def cpu_seconds_precise(self) -> float:
        """CPU time from /proc/<pid>/schedstat (ns), falling back to cpu_seconds()."""
        t = proc_sched_seconds(self.pid)
        return self.cpu_seconds() if t is None else t

    def client_env(self) -> dict[str, str]:
        """Environment for net-snmp client tools: no MIB loading, no state in /var/lib/snmp."""
        env = dict(os.environ)
        env["SNMP_PERSISTENT_DIR"] = str(self._dir / "client-persist")
        env["MIBS"] = ""
        env["MIBDIRS"] = str(self._dir / "no-mibs")
        return env

    def __enter__(self) -> NetSnmpAgent:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"pid={self.proc.pid}" if self.proc else "stopped"
        return f"NetSnmpAgent({self.snmprec.name!r}, {self.address}, {state})"
