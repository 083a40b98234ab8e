"""`manage_cli.py lab …`: generate and serve simulated OLTs (the lab used by tests and demos)."""

from __future__ import annotations

import signal
import sys
import tempfile
import time
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext

from snmp.lab.stories import STORIES
from webapp.cli_i18n import span

lab = AppGroup("lab", help="Generate and serve simulated OLTs on 127.0.0.1.")


def _parse_olt(spec: str) -> tuple[str, str, int]:
    """Read NAME:SHAPE:ONUS (for example lab-1:huawei:4096)."""
    from snmp.lab.generate import SHAPES

    parts = spec.split(":")
    if len(parts) != 3 or not parts[2].isdigit():
        raise click.BadParameter(
            _("%(spec)r is not NAME:SHAPE:ONUS, e.g. lab-1:huawei:4096", spec=spec)
        )
    name, profile, onus = parts[0], parts[1], int(parts[2])
    if profile not in SHAPES:
        raise click.BadParameter(_unknown_shape(profile))
    if not 1 <= onus <= 16384:
        raise click.BadParameter(_("ONUS must be between 1 and 16384"))
    return name, profile, onus


def _unknown_shape(profile: str) -> str:
    from snmp.lab.generate import SHAPES

    return _(
        "unknown lab shape %(shape)r; known: %(known)s", shape=profile, known=", ".join(SHAPES)
    )


@lab.command("generate")
@click.option("--profile", required=True, help="Lab shape, e.g. huawei, zte, zte_v21, ufiber.")
@click.option("--onus", default=128, show_default=True, type=click.IntRange(1, 16384))
@click.option("--seed", default=0, show_default=True)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def lab_generate(profile: str, onus: int, seed: int, out: Path) -> None:
    """Write the .snmprec recording of one simulated OLT."""
    from snmp.lab.generate import SHAPES, generate_rows, write_snmprec

    if profile not in SHAPES:
        raise click.BadParameter(_unknown_shape(profile))
    rows = generate_rows(profile, onus, seed)
    write_snmprec(out, rows)
    click.echo(
        ngettext(
            "wrote %(num)d row for %(onus)s to %(path)s",
            "wrote %(num)d rows for %(onus)s to %(path)s",
            len(rows),
            onus=ngettext("%(num)d %(shape)s ONU", "%(num)d %(shape)s ONUs", onus, shape=profile),
            path=out,
        )
    )


@lab.command("serve")
@click.option(
    "--olt",
    "olts",
    multiple=True,
    required=True,
    metavar="NAME:SHAPE:ONUS",
    help="A simulated OLT (repeatable); its SNMP community is NAME.",
)
@click.option("--port", type=int, default=None, help="UDP port on 127.0.0.1 (default: free).")
@click.option("--register", is_flag=True, help="Create or update these OLTs and their poll jobs.")
@click.option(
    "--scenario",
    type=click.Choice(STORIES),
    default=None,
    help="A story the OLTs play, one step every --step-every seconds (pon-cut, power-outage…).",
)
@click.option(
    "--step-every",
    type=click.IntRange(1, 86400),
    default=60,
    show_default=True,
    help="Seconds between the steps of --scenario (poll more often than this to see each).",
)
def lab_serve(
    olts: tuple[str, ...], port: int | None, register: bool, scenario: str | None, step_every: int
) -> None:
    """Serve simulated OLTs with snmpsim until Ctrl-C."""
    from snmp.lab.agent import LabAgent

    specs = [_parse_olt(s) for s in olts]
    with tempfile.TemporaryDirectory(prefix="oltwatch-lab-") as tmp:
        agent = LabAgent(Path(tmp), port=port)
        paths = [
            agent.add_olt(name, profile, onus, seed=len(name)) for name, profile, onus in specs
        ]
        with agent:
            if register:
                _register(specs, agent.port)
            click.echo(
                ngettext(
                    "serving %(num)d OLT on udp 127.0.0.1:%(port)s "
                    "(community = OLT name); Ctrl-C stops",
                    "serving %(num)d OLTs on udp 127.0.0.1:%(port)s "
                    "(community = OLT name); Ctrl-C stops",
                    len(specs),
                    port=agent.port,
                )
            )
            _wait_for_signal(_story(specs, paths, scenario, step_every))


def _story(specs, paths, scenario: str | None, every: int):
    """A callback that moves every OLT one step further in the story each ``every`` seconds."""
    from snmp.lab.stories import Player

    if scenario is None:
        return None
    olts = [(p, profile, onus, len(n)) for (n, profile, onus), p in zip(specs, paths, strict=True)]
    player = Player(scenario, olts, every)

    def tick() -> None:
        step = player.tick()
        if step is not None:
            click.echo(_("%(story)s: step %(step)s", story=scenario, step=step))

    click.echo(_("playing %(story)s: a step every %(every)s", story=scenario, every=span(every)))
    return tick


def _register(specs: list[tuple[str, str, int]], port: int) -> None:
    from webapp.extensions import db
    from webapp.seed import seed_demo_olt

    for name, profile, _onus in specs:
        olt_id = seed_demo_olt(name, profile, "127.0.0.1", port, community=name).id
        click.echo(_("registered OLT %(name)s (id %(id)s)", name=name, id=olt_id))
    # End the session's transaction: on SQLite an open one holds the write lock while we
    # serve, which would block every worker.
    db.session.remove()


def _wait_for_signal(every_while=None) -> None:
    stop = {"now": False}

    def handler(signum, frame):
        stop["now"] = True

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    while not stop["now"]:
        time.sleep(0.3)
        if every_while is not None:
            every_while()
    sys.stdout.flush()


@click.command("demo")
@click.option("--port", type=int, default=None, help="UDP port on 127.0.0.1 (default: free).")
@click.pass_context
def demo_command(ctx: click.Context, port: int | None) -> None:
    """Seed the profiles and serve the demo OLTs of `make run` (registered) until Ctrl-C."""
    from webapp.devstack import LAB_OLTS
    from webapp.seed import seed_profiles

    seed_profiles()
    ctx.invoke(
        lab_serve,
        olts=tuple(f"{n}:{p}:{o}" for n, p, o, _detect in LAB_OLTS),
        port=port,
        register=True,
    )
