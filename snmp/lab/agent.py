"""LabAgent: one snmpsim-command-responder process serving simulated OLTs on 127.0.0.1."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from snmp.client import Target, get_sync
from snmp.errors import SnmpError
from snmp.lab.generate import generate_rows, write_snmprec

log = logging.getLogger(__name__)

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
# snmpsim's built-in SNMPv3 user (context name = community = data file stem)
LAB_V3_USER, LAB_V3_AUTH_KEY, LAB_V3_PRIV_KEY = "simulator", "auctoritas", "privatus"
LAB_V3_AUTH_PROTO, LAB_V3_PRIV_PROTO = "MD5", "DES"


@dataclass(frozen=True)
class V3User:
    """An SNMPv3 USM user for the lab; "NONE" turns authentication or privacy off."""

    name: str
    auth_proto: str = "SHA"
    auth_key: str = ""
    priv_proto: str = "AES"
    priv_key: str = ""


DEFAULT_V3_USER = V3User(
    LAB_V3_USER, LAB_V3_AUTH_PROTO, LAB_V3_AUTH_KEY, LAB_V3_PRIV_PROTO, LAB_V3_PRIV_KEY
)


def find_free_udp_port(host: str = "127.0.0.1") -> int:
    """A UDP port that was free a moment ago on ``host``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def responder_executable() -> Path:
    """snmpsim-command-responder next to the running interpreter (the venv's bin)."""
    path = Path(sys.executable).parent / "snmpsim-command-responder"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; install snmpsim into this environment")
    return path


class LabAgent:
    """Serve simulated OLTs, one ``<community>.snmprec`` data file per OLT."""

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        host: str = "127.0.0.1",
        v3_users: tuple[V3User, ...] = (),
    ) -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port or find_free_udp_port(host)
        self.communities: list[str] = []
        # snmpsim's built-in user stays; these are added (SHA/AES, authNoPriv…).
        self.v3_users = (DEFAULT_V3_USER, *v3_users) if v3_users else ()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        """snmpsim's own log file."""
        return self.data_dir / "snmpsim.log"

    @property
    def pid(self) -> int:
        """The simulator's process id (once started)."""
        if self._proc is None:
            raise RuntimeError("not started")
        return self._proc.pid

    @property
    def running(self) -> bool:
        """True while the simulator process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def add_olt(self, community: str, shape: str, onus: int, seed: int = 0) -> Path:
        """Write the data file of one simulated OLT of a lab shape; call before start()."""
        return self._add(
            community, lambda path: write_snmprec(path, generate_rows(shape, onus, seed))
        )

    def add_recording(self, community: str, recording: Path | str) -> Path:
        """Serve an snmprec recording as it is (say, a hand-written one); before start()."""
        text = Path(recording).read_text("ascii")
        return self._add(community, lambda path: path.write_text(text, "ascii") and path)

    def _add(self, community: str, write) -> Path:
        if self._proc is not None:
            raise RuntimeError("OLTs must be added before start()")
        if not community or not all(c.isalnum() or c in "-_" for c in community):
            raise ValueError(f"community {community!r} must be a plain file-name stem")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / f"{community}.snmprec"
        write(path)
        self.communities.append(community)
        return path

    def target(self, community: str | None = None, **kwargs: object) -> Target:
        """A v2c Target pointing at this lab (first community by default)."""
        community = community or self.communities[0]
        return Target(self.host, self.port, community=community, **kwargs)

    def _command(self) -> list[str]:
        """The simulator command line."""
        return [
            str(responder_executable()),
            *self._v3_options(),  # an engine's options come before its data and endpoints
            f"--data-dir={self.data_dir}",
            f"--cache-dir={self.data_dir / '.cache'}",
            self._endpoint_option(),
            f"--logging-method=file:{self.log_path}",
            "--log-level=error",
        ]

    def _v3_options(self) -> list[str]:
        """One snmpsim engine with every configured SNMPv3 user."""
        if not self.v3_users:
            return []
        args = ["--v3-engine-id=auto"]
        for user in self.v3_users:
            args.append(f"--v3-user={user.name}")
            if user.auth_proto != "NONE":  # snmpsim wants no protocol at all when it is off
                args += [f"--v3-auth-proto={user.auth_proto}", f"--v3-auth-key={user.auth_key}"]
            if user.priv_proto != "NONE":
                args += [f"--v3-priv-proto={user.priv_proto}", f"--v3-priv-key={user.priv_key}"]
        return args

    def _endpoint_option(self) -> str:
        """snmpsim's listening option: IPv4 or IPv6 by the host given."""
        if ":" in self.host:
            return f"--agent-udpv6-endpoint=[{self.host}]:{self.port}"
        return f"--agent-udpv4-endpoint={self.host}:{self.port}"

    def start(self, timeout: float = 30) -> LabAgent:
        """Spawn the simulator and wait until it answers a GET of sysDescr."""
        if not self.communities:
            raise RuntimeError("add at least one OLT before start()")
        if self._proc is not None:
            raise RuntimeError("already started")
        env = dict(os.environ, SNMPSIM_ALLOW_ROOT="true")
        self._proc = subprocess.Popen(
            self._command(),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # a terminal Ctrl-C reaches us, and we stop the child
        )
        log.info("snmpsim pid %s on %s:%s", self._proc.pid, self.host, self.port)
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        """Poll sysDescr until answered, the process dies, or the deadline passes."""
        probe = self.target(timeout=0.3, retries=0)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                err = self._proc.stderr.read().decode(errors="replace") if self._proc else ""
                raise RuntimeError(f"snmpsim exited early: {err.strip()[-2000:]}")
            try:
                get_sync(probe, [SYS_DESCR])
                return
            except SnmpError:
                time.sleep(0.1)
        raise TimeoutError(f"snmpsim on {self.host}:{self.port} not ready after {timeout} s")

    def stop(self, timeout: float = 5) -> None:
        """Terminate the simulator (kill if needed) and reap it."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        if proc.stderr:
            proc.stderr.close()
        log.info("snmpsim pid %s stopped (rc %s)", proc.pid, proc.returncode)

    def __enter__(self) -> LabAgent:
        return self.start() if self._proc is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
