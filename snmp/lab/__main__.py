"""CLI: python -m snmp.lab serve --profile huawei --onus 64 --community public --port 16100."""

from __future__ import annotations

import argparse
import logging
import signal
import tempfile
import threading
from pathlib import Path

from snmp.lab.agent import LabAgent
from snmp.profiles import PROFILES


def build_parser() -> argparse.ArgumentParser:
    """Argument parser for the lab CLI."""
    parser = argparse.ArgumentParser(prog="python -m snmp.lab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve one simulated OLT until SIGINT/SIGTERM")
    serve.add_argument("--profile", choices=sorted(PROFILES), default="huawei")
    serve.add_argument("--onus", type=int, default=64)
    serve.add_argument("--community", default="public")
    serve.add_argument("--seed", type=int, default=0)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=16100)
    serve.add_argument("--data-dir", type=Path, help="default: a temporary directory")
    return parser


def serve(args: argparse.Namespace, data_dir: Path) -> int:
    """Run the agent until a signal arrives."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    agent = LabAgent(data_dir, port=args.port, host=args.host)
    agent.add_olt(args.community, args.profile, args.onus, args.seed)
    with agent:
        print(
            f"serving {args.profile} OLT ({args.onus} ONUs) on {agent.host}:{agent.port} "
            f"community {args.community!r}, data in {data_dir}; Ctrl-C to stop",
            flush=True,
        )
        while not stop.wait(0.5):
            if not agent.running:
                print("snmpsim exited unexpectedly", flush=True)
                return 1
    print("stopped", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.data_dir:
        return serve(args, args.data_dir)
    with tempfile.TemporaryDirectory(prefix="oltlab-") as tmp:
        return serve(args, Path(tmp))


if __name__ == "__main__":
    raise SystemExit(main())
